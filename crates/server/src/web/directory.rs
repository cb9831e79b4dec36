//! The stakeholder directory page (`/directory`): people and groups with their channels, and the
//! notification rules that propose who is told about which incidents.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use debrief_domain::Action;
use debrief_store::StoreError;

use super::WebUser;
use super::pages::{forbidden, may, render, see_other, store_error};
use crate::AppState;

type Fields = HashMap<String, String>;

fn field<'a>(f: &'a Fields, name: &str) -> &'a str {
    f.get(name).map(String::as_str).unwrap_or("").trim()
}

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
    if let Err(why) = may(user, Action::ReadIncidents) {
        return forbidden(user, &why);
    }
    let all = match crate::api::notify::directory_for(state, &user.principal.user).await {
        Ok(a) => a,
        Err(e) => return store_error(user, e),
    };
    let mut ctx = super::base_context(Some(user), user.lang);
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
        serde_json::to_value(state.store.list_rules().await.unwrap_or_default())
            .unwrap_or_default(),
    );
    ctx.insert("templates".into(), state.config.templates.names().into());
    ctx.insert(
        "obligation_steps".into(),
        state
            .config
            .regimes
            .regimes
            .iter()
            .flat_map(|r| r.steps.iter().map(move |s| format!("{}/{}", r.id, s.id)))
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
            .map(|c| c.id.clone())
            .collect::<Vec<_>>()
            .into(),
    );
    if let Some(e) = error {
        ctx.insert("error".into(), e.into());
    }
    render("directory.html", code, ctx)
}

pub async fn add_stakeholder(
    State(state): State<AppState>,
    user: WebUser,
    Form(f): Form<Fields>,
) -> Response {
    if let Err(r) = user.check_csrf(field(&f, "_csrf")) {
        return r;
    }
    if let Err(why) = may(&user, Action::ManageDirectory) {
        return forbidden(&user, &why);
    }
    let opt = |k: &str| Some(field(&f, k)).filter(|v| !v.is_empty());
    let new = match debrief_domain::stakeholder::NewStakeholder::parse(
        field(&f, "name"),
        field(&f, "kind"),
        field(&f, "scope"),
        field(&f, "category"),
        opt("email"),
        opt("webhook_url"),
        opt("webhook_format"),
        opt("language"),
    )
    .and_then(|n| n.for_user(opt("username")))
    {
        Ok(n) => n,
        Err(e) => {
            let msg = super::domain_message(user.lang, &e);
            return directory_page(&state, &user, Some(msg), StatusCode::UNPROCESSABLE_ENTITY)
                .await;
        }
    };
    match state
        .store
        .add_stakeholder(new, user.principal.user.username.as_str())
        .await
    {
        Ok(_) => see_other("/directory"),
        Err(StoreError::Duplicate(d)) => {
            directory_page(&state, &user, Some(d), StatusCode::CONFLICT).await
        }
        Err(e) => store_error(&user, e),
    }
}

/// Adds a notification rule from the directory page (managers and admins).
pub async fn add_rule(
    State(state): State<AppState>,
    user: WebUser,
    Form(f): Form<Vec<(String, String)>>,
) -> Response {
    let map: Fields = f.iter().cloned().collect();
    if let Err(r) = user.check_csrf(field(&map, "_csrf")) {
        return r;
    }
    if let Err(why) = may(&user, Action::ManageDirectory) {
        return forbidden(&user, &why);
    }
    let Ok(min_level) = field(&map, "min_level").parse::<u8>() else {
        let msg = "the least severity is a level from 0 to 5".to_string();
        return directory_page(&state, &user, Some(msg), StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let list = |k: &str| -> Vec<String> {
        f.iter()
            .filter(|(n, v)| n == k && !v.trim().is_empty())
            .map(|(_, v)| v.clone())
            .collect()
    };
    let req = crate::api::notify::RuleRequest {
        name: field(&map, "name").to_string(),
        applies_to: list("applies_to"),
        min_level,
        flags: list("flag"),
        stakeholder: field(&map, "stakeholder").to_string(),
        template: field(&map, "template").to_string(),
        obligation: Some(field(&map, "obligation").to_string()).filter(|o| !o.is_empty()),
    };
    let rule = match crate::api::notify::parse_rule(&state, &req).await {
        Ok(r) => r,
        Err(e) => return directory_page(&state, &user, Some(e.detail), e.status).await,
    };
    match state
        .store
        .add_rule(rule, user.principal.user.username.as_str())
        .await
    {
        Ok(_) => see_other("/directory"),
        Err(StoreError::Duplicate(d)) => {
            directory_page(&state, &user, Some(d), StatusCode::CONFLICT).await
        }
        Err(e) => store_error(&user, e),
    }
}

/// Removes a notification rule (managers and admins).
pub async fn delete_rule(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    if let Err(r) = user.check_csrf(field(&f, "_csrf")) {
        return r;
    }
    if let Err(why) = may(&user, Action::ManageDirectory) {
        return forbidden(&user, &why);
    }
    match state.store.delete_rule(&id).await {
        Ok(()) => see_other("/directory"),
        Err(e) => store_error(&user, e),
    }
}
