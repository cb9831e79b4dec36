//! The stakeholder directory page (`/directory`): people and groups with their channels, and the
//! notification rules that propose who is told about which incidents.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use debrief_app::AppError;
use debrief_domain::Action;
use debrief_store::StoreError;

use super::WebUser;
use super::form::{ButtonForm, WebForm, optional, trimmed};
use super::pages::{app_error, may, render, see_other};
use crate::AppState;

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
    let mut ctx = super::base_context(Some(user), lang);
    // Regimes by their names in the reader's language, never their ids.
    ctx.insert("regime_names".into(), super::regime_names(state, lang));
    ctx.insert("nav".into(), "directory".into());
    ctx.insert(
        "stakeholders".into(),
        serde_json::to_value(&all).unwrap_or_default(),
    );
    ctx.insert(
        "can_manage".into(),
        may(user, Action::ManageDirectory).is_ok().into(),
    );
    ctx.insert(
        "categories".into(),
        debrief_domain::stakeholder::CATEGORIES.to_vec().into(),
    );
    ctx.insert(
        "rules".into(),
        serde_json::to_value(rules).unwrap_or_default(),
    );
    ctx.insert("templates".into(), state.config.templates.names().into());
    ctx.insert(
        "obligation_steps".into(),
        state
            .config
            .regimes
            .regimes
            .iter()
            .flat_map(|r| {
                let regime = r.name.get(lang).to_string();
                r.steps.iter().map(move |s| {
                    let step = debrief_report::context::label(lang, &format!("step_{}", s.id))
                        .unwrap_or(&s.id);
                    serde_json::json!({"id": format!("{}/{}", r.id, s.id), "name": format!("{regime} — {step}")})
                })
            })
            .collect::<Vec<_>>()
            .into(),
    );
    ctx.insert(
        "flags".into(),
        debrief_domain::obligation::FLAGS
            .iter()
            .map(|(k, _)| *k)
            .collect::<Vec<_>>()
            .into(),
    );
    ctx.insert(
        "classes".into(),
        debrief_domain::taxonomy::classes()
            .iter()
            .map(|c| {
                let name = debrief_domain::taxonomy::label(&c.en, &c.fr, lang);
                serde_json::json!({"id": c.id, "name": name})
            })
            .collect::<Vec<_>>()
            .into(),
    );
    if let Some(e) = error {
        ctx.insert("error".into(), e.into());
    }
    render("directory.html", code, ctx)
}

/// A directory entry added on the page.
#[derive(Debug, serde::Deserialize)]
pub struct StakeholderForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default, deserialize_with = "trimmed")]
    name: String,
    #[serde(default, deserialize_with = "trimmed")]
    kind: String,
    #[serde(default, deserialize_with = "trimmed")]
    scope: String,
    #[serde(default, deserialize_with = "trimmed")]
    category: String,
    #[serde(default, deserialize_with = "optional")]
    email: Option<String>,
    #[serde(default, deserialize_with = "optional")]
    webhook_url: Option<String>,
    #[serde(default, deserialize_with = "optional")]
    webhook_format: Option<String>,
    #[serde(default, deserialize_with = "optional")]
    language: Option<String>,
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
        &f.kind,
        &f.scope,
        &f.category,
        f.email.as_deref(),
        f.webhook_url.as_deref(),
        f.webhook_format.as_deref(),
        f.language.as_deref(),
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
