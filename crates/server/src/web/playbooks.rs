//! The playbook pages (`/playbooks`, `/playbooks/{slug}`): the latest versions in both
//! languages, a version with its steps and history, and publishing a new version (managers),
//! answering an incident's recommendation when one is named.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use debrief_domain::Action;

use super::WebUser;
use super::form::{WebForm, optional, trimmed};
use super::pages::{app_error, forbidden, may, render_view, see_other};
use crate::AppState;
use debrief_store::playbooks::PlaybookVersion;

/// The playbooks: latest versions, in both languages.
pub async fn playbooks(State(state): State<AppState>, user: WebUser) -> Response {
    let playbooks = match state.app.playbooks(&user.caller()).await {
        Ok(a) => a,
        Err(e) => return app_error(&user, e),
    };
    let frame = super::Frame::page(&user, "playbooks", None);
    render_view(
        "playbooks.html",
        StatusCode::OK,
        &PlaybooksPage { frame, playbooks },
    )
}

/// The playbooks: the latest version of each, in both languages.
#[derive(Debug, serde::Serialize)]
struct PlaybooksPage {
    #[serde(flatten)]
    frame: super::Frame,
    playbooks: Vec<PlaybookVersion>,
}

/// A version of a playbook, its steps, its history, and whether this reader may publish.
#[derive(Debug, serde::Serialize)]
struct PlaybookPage {
    #[serde(flatten)]
    frame: super::Frame,
    playbook: PlaybookVersion,
    steps: Vec<String>,
    versions: Vec<PlaybookVersion>,
    can_publish: bool,
}

/// Which playbook version a page shows: a language and a version (the latest when none).
#[derive(Debug, Default, serde::Deserialize)]
pub struct PlaybookQuery {
    #[serde(default)]
    lang: Option<debrief_domain::Language>,
    #[serde(default)]
    version: Option<i64>,
}

async fn playbook_page(
    state: &AppState,
    user: &WebUser,
    slug: &str,
    q: &PlaybookQuery,
    error: Option<String>,
    code: StatusCode,
) -> Response {
    if let Err(why) = may(user, Action::ReadIncidents) {
        return forbidden(user, &why);
    }
    let lang = q.lang.unwrap_or(user.lang);
    let caller = user.caller();
    let v = match state.app.playbook(&caller, slug, lang, q.version).await {
        Ok(v) => v,
        Err(e) => return app_error(user, e),
    };
    let versions = match state.app.playbook_versions(&caller, slug, lang).await {
        Ok(v) => v,
        Err(e) => return app_error(user, e),
    };
    let steps = debrief_domain::playbook::parse_playbook(&v.body)
        .map(|d| d.steps)
        .unwrap_or_default();
    let frame = super::Frame::page(user, "playbooks", error);
    let view = PlaybookPage {
        frame,
        playbook: v,
        steps,
        versions,
        can_publish: may(user, Action::ManagePlaybooks).is_ok(),
    };
    render_view("playbook.html", code, &view)
}

pub async fn playbook(
    State(state): State<AppState>,
    user: WebUser,
    Path(slug): Path<String>,
    Query(q): Query<PlaybookQuery>,
) -> Response {
    playbook_page(&state, &user, &slug, &q, None, StatusCode::OK).await
}

/// A new version of a playbook, from the page (the incident and recommendation it comes from,
/// when it does).
#[derive(Debug, serde::Deserialize)]
pub struct PublishForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    body: String,
    #[serde(default, deserialize_with = "trimmed")]
    note: String,
    #[serde(default, deserialize_with = "optional")]
    from_incident: Option<String>,
    #[serde(default)]
    recommendation: Option<u64>,
}

/// Publishes a new version (a manager), from an incident's recommendation when one is named —
/// the same rules as `POST /api/v1/playbooks/{slug}/versions`.
pub async fn publish_playbook(
    State(state): State<AppState>,
    user: WebUser,
    Path(slug): Path<String>,
    WebForm(f): WebForm<PublishForm>,
) -> Response {
    if let Err(r) = user.check_csrf(&f.csrf) {
        return r;
    }
    let new = debrief_app::setup::PublishPlaybook {
        slug: slug.clone(),
        body: f.body,
        note: f.note,
        from_incident: f
            .from_incident
            .map(|n| n.trim_start_matches('#').to_string()),
        recommendation: f.recommendation,
    };
    let lang = debrief_domain::playbook::parse_playbook(&new.body)
        .map(|d| d.lang.as_str().to_string())
        .unwrap_or_else(|_| user.lang.as_str().to_string());
    match state.app.publish_playbook(&user.caller(), new).await {
        Ok(_) => see_other(&format!("/playbooks/{slug}?lang={lang}")),
        Err(debrief_app::AppError::Denied(why)) => forbidden(&user, &why.0),
        Err(e) => {
            let q = PlaybookQuery {
                lang: lang.parse().ok(),
                version: None,
            };
            let e = crate::error::ApiError::from(e);
            playbook_page(&state, &user, &slug, &q, Some(e.detail), e.status).await
        }
    }
}
