//! The stakeholder directory page (`/directory`): people and groups with their channels, and the
//! notification rules that propose who is told about which incidents.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use debrief_app::AppError;
use debrief_domain::Action;
use debrief_store::StoreError;

use super::WebUser;
use super::form::{ButtonForm, WebForm, choice, maybe, optional, trimmed};
use super::pages::{app_error, may, render_view, see_other};
use crate::AppState;
use debrief_domain::stakeholder::{Reach, StakeholderCategory, StakeholderKind, WebhookFormat};

/// The stakeholder directory: everyone reads it; managers and admins add to it.
pub async fn directory(State(state): State<AppState>, user: WebUser) -> Response {
    directory_page(&state, &user, None, StatusCode::OK).await
}

async fn directory_page(
    state: &AppState,
    user: &WebUser,
    error: Option<String>,
    code: StatusCode,
) -> Response {
    let caller = user.caller();
    let all = match state.app.directory(&caller).await {
        Ok(a) => a,
        Err(e) => return app_error(user, e),
    };
    let rules = match state.app.rules(&caller).await {
        Ok(r) => r,
        Err(e) => return app_error(user, e),
    };
    let lang = user.lang;
    let obligation_steps = state
        .config
        .regimes
        .regimes
        .iter()
        .flat_map(|r| {
            let regime = r.name.get(lang).to_string();
            r.steps.iter().map(move |s| {
                let step = debrief_report::context::label(lang, &format!("step_{}", s.id))
                    .unwrap_or(&s.id);
                Named {
                    id: format!("{}/{}", r.id, s.id),
                    name: format!("{regime} — {step}"),
                }
            })
        })
        .collect();
    let classes = debrief_domain::taxonomy::classes()
        .iter()
        .map(|c| Named {
            id: c.id.clone(),
            name: debrief_domain::taxonomy::label(&c.en, &c.fr, lang),
        })
        .collect();
    let frame = super::Frame::page(user, "directory", error);
    let view = DirectoryPage {
        frame,
        regime_names: super::regime_names(state, lang),
        stakeholders: all,
        can_manage: may(user, Action::ManageDirectory).is_ok(),
        categories: StakeholderCategory::ALL,
        rules,
        templates: state.config.templates.names(),
        obligation_steps,
        flags: debrief_domain::obligation::FLAGS
            .iter()
            .map(|(k, _)| *k)
            .collect(),
        classes,
    };
    render_view("directory.html", code, &view)
}

/// The directory page: the entries, the notification rules, and the choices of their forms.
#[derive(Debug, serde::Serialize)]
struct DirectoryPage {
    #[serde(flatten)]
    frame: super::Frame,
    /// Regimes by their names in the reader's language, never their ids.
    regime_names: std::collections::BTreeMap<String, String>,
    stakeholders: Vec<debrief_store::stakeholders::Stakeholder>,
    can_manage: bool,
    categories: &'static [StakeholderCategory],
    rules: Vec<debrief_store::stakeholders::StoredRule>,
    /// The notification templates a rule may use.
    templates: Vec<String>,
    /// Every regulatory step, as `regime/step` with its name.
    obligation_steps: Vec<Named>,
    flags: Vec<&'static str>,
    /// The taxonomy's classes a rule may match.
    classes: Vec<Named>,
}

/// A choice with its id and its name in the reader's language.
#[derive(Debug, serde::Serialize)]
struct Named {
    id: String,
    name: String,
}

/// A directory entry added on the page.
#[derive(Debug, serde::Deserialize)]
pub struct StakeholderForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default, deserialize_with = "trimmed")]
    name: String,
    #[serde(deserialize_with = "choice")]
    kind: StakeholderKind,
    #[serde(deserialize_with = "choice")]
    scope: Reach,
    #[serde(deserialize_with = "choice")]
    category: StakeholderCategory,
    #[serde(default, deserialize_with = "optional")]
    email: Option<String>,
    #[serde(default, deserialize_with = "optional")]
    webhook_url: Option<String>,
    #[serde(default, deserialize_with = "maybe")]
    webhook_format: Option<WebhookFormat>,
    #[serde(default, deserialize_with = "maybe")]
    language: Option<debrief_domain::Language>,
    #[serde(default, deserialize_with = "optional")]
    username: Option<String>,
}

pub async fn add_stakeholder(
    State(state): State<AppState>,
    user: WebUser,
    WebForm(f): WebForm<StakeholderForm>,
) -> Response {
    if let Err(r) = user.check_csrf(&f.csrf) {
        return r;
    }
    let new = match debrief_domain::stakeholder::NewStakeholder::parse(
        &f.name,
        f.kind,
        f.scope,
        f.category,
        f.email.as_deref(),
        f.webhook_url.as_deref(),
        f.webhook_format,
        f.language,
    )
    .and_then(|n| n.for_user(f.username.as_deref()))
    {
        Ok(n) => n,
        Err(e) => {
            let msg = super::domain_message(user.lang, &e);
            return directory_page(&state, &user, Some(msg), StatusCode::UNPROCESSABLE_ENTITY)
                .await;
        }
    };
    match state.app.add_stakeholder(&user.caller(), new).await {
        Ok(_) => see_other("/directory"),
        Err(AppError::Store(StoreError::Duplicate(d))) => {
            directory_page(&state, &user, Some(d), StatusCode::CONFLICT).await
        }
        Err(e) => app_error(&user, e),
    }
}

/// A notification rule added on the page; classes and flags are repeated fields.
#[derive(Debug, serde::Deserialize)]
pub struct RuleForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default, deserialize_with = "trimmed")]
    name: String,
    #[serde(default)]
    applies_to: Vec<String>,
    #[serde(default)]
    min_level: u8,
    #[serde(default, rename = "flag")]
    flags: Vec<String>,
    #[serde(default, deserialize_with = "trimmed")]
    stakeholder: String,
    #[serde(default, deserialize_with = "trimmed")]
    template: String,
    #[serde(default, deserialize_with = "optional")]
    obligation: Option<String>,
}

/// Adds a notification rule from the directory page (managers and admins).
pub async fn add_rule(
    State(state): State<AppState>,
    user: WebUser,
    WebForm(f): WebForm<RuleForm>,
) -> Response {
    if let Err(r) = user.check_csrf(&f.csrf) {
        return r;
    }
    let nonempty = |v: Vec<String>| -> Vec<String> {
        v.into_iter().filter(|x| !x.trim().is_empty()).collect()
    };
    let req = crate::api::notify::RuleRequest {
        name: f.name,
        applies_to: nonempty(f.applies_to),
        min_level: f.min_level,
        flags: nonempty(f.flags),
        stakeholder: f.stakeholder,
        template: f.template,
        obligation: f.obligation,
    };
    let rule = match crate::api::notify::parse_rule(&state, &req) {
        Ok(r) => r,
        Err(e) => {
            let msg = super::domain_message(user.lang, &e);
            return directory_page(&state, &user, Some(msg), StatusCode::UNPROCESSABLE_ENTITY)
                .await;
        }
    };
    match state.app.add_rule(&user.caller(), rule).await {
        Ok(_) => see_other("/directory"),
        Err(AppError::Store(StoreError::Duplicate(d))) => {
            directory_page(&state, &user, Some(d), StatusCode::CONFLICT).await
        }
        Err(AppError::Store(e @ StoreError::NoStakeholder(_))) => {
            directory_page(&state, &user, Some(e.to_string()), StatusCode::NOT_FOUND).await
        }
        Err(e) => app_error(&user, e),
    }
}

/// Removes a notification rule (managers and admins).
pub async fn delete_rule(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    WebForm(f): WebForm<ButtonForm>,
) -> Response {
    if let Err(r) = user.check_csrf(&f.csrf) {
        return r;
    }
    match state.app.delete_rule(&user.caller(), &id).await {
        Ok(()) => see_other("/directory"),
        Err(e) => app_error(&user, e),
    }
}
