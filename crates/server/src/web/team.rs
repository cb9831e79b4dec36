//! Need-to-know on the pages: the incident page's access forms (restrict to the team or open
//! again, give and take access) and the groups on the users page. The rules are the
//! application layer's (`debrief_app::access`); these handlers only translate forms.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use debrief_app::AppError;
use debrief_domain::access::Grantee;
use debrief_domain::{Incident, IncidentId};
use debrief_store::StoreError;

use super::WebUser;
use super::form::{WebForm, trimmed};
use super::pages::{Applied, answer, app_error, incident_page, resolve_number, see_other};
use crate::AppState;

/// Shows the outcome of an access decision on the incident page.
async fn shown(
    state: &AppState,
    user: &WebUser,
    id: IncidentId,
    result: Result<Incident, AppError>,
) -> Response {
    // An unknown account or group is the form's mistake: said on the page, like a rule.
    let result = result.map_err(|e| match e {
        AppError::Store(e @ (StoreError::NoUser(_) | StoreError::NoGroup(_))) => AppError::Store(
            StoreError::Domain(debrief_domain::DomainError::InvalidField {
                field: "to",
                problem: e.to_string(),
            }),
        ),
        other => other,
    });
    match answer(user, id, result, "#access") {
        Applied::Done(r) => r,
        Applied::Refused(id, msg, status) => {
            incident_page(state, user, id, Some(msg), status).await
        }
    }
}

/// The access form: `restricted` is `1` to restrict, `0` to open again.
#[derive(Debug, serde::Deserialize)]
pub struct AccessForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    restricted: String,
    #[serde(default, deserialize_with = "trimmed")]
    reason: String,
}

pub async fn set_access(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    WebForm(f): WebForm<AccessForm>,
) -> Response {
    if let Err(r) = user.check_csrf(&f.csrf) {
        return r;
    }
    let id = match resolve_number(&state, &user, &number).await {
        Ok(id) => id,
        Err(r) => return r,
    };
    let restricted = f.restricted == "1";
    let result = state
        .app
        .set_restricted(&user.caller(), &number, restricted, &f.reason)
        .await;
    shown(&state, &user, id, result).await
}

/// Giving or taking access: `to` is `user:NAME`, `group:NAME` or a user name.
#[derive(Debug, serde::Deserialize)]
pub struct GrantForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default, deserialize_with = "trimmed")]
    to: String,
    #[serde(default, deserialize_with = "trimmed")]
    reason: String,
}

async fn grant_or_revoke(
    state: &AppState,
    user: &WebUser,
    number: &str,
    f: GrantForm,
    grant: bool,
) -> Response {
    if let Err(r) = user.check_csrf(&f.csrf) {
        return r;
    }
    let id = match resolve_number(state, user, number).await {
        Ok(id) => id,
        Err(r) => return r,
    };
    let result = match Grantee::parse(&f.to) {
        Ok(to) if grant => state.app.grant(&user.caller(), number, to, &f.reason).await,
        Ok(to) => {
            state
                .app
                .revoke(&user.caller(), number, to, &f.reason)
                .await
        }
        Err(e) => Err(e.into()),
    };
    shown(state, user, id, result).await
}

pub async fn grant(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    WebForm(f): WebForm<GrantForm>,
) -> Response {
    grant_or_revoke(&state, &user, &number, f, true).await
}

pub async fn revoke(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    WebForm(f): WebForm<GrantForm>,
) -> Response {
    grant_or_revoke(&state, &user, &number, f, false).await
}

/// A new group, from the users page (admins).
#[derive(Debug, serde::Deserialize)]
pub struct GroupForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default, deserialize_with = "trimmed")]
    name: String,
    #[serde(default, deserialize_with = "trimmed")]
    description: String,
}

pub async fn create_group(
    State(state): State<AppState>,
    user: WebUser,
    WebForm(f): WebForm<GroupForm>,
) -> Response {
    if let Err(r) = user.check_csrf(&f.csrf) {
        return r;
    }
    match state
        .app
        .create_group(&user.caller(), &f.name, &f.description)
        .await
    {
        Ok(_) => see_other("/admin/users#groups"),
        Err(e) => refused_on_users_page(&state, &user, e).await,
    }
}

/// Someone put in, or taken out of, a group (admins).
#[derive(Debug, serde::Deserialize)]
pub struct GroupMemberForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default, deserialize_with = "trimmed")]
    username: String,
    /// `remove` to take them out; anything else puts them in.
    #[serde(default)]
    action: String,
}

pub async fn group_member(
    State(state): State<AppState>,
    user: WebUser,
    Path(group): Path<String>,
    WebForm(f): WebForm<GroupMemberForm>,
) -> Response {
    if let Err(r) = user.check_csrf(&f.csrf) {
        return r;
    }
    let caller = user.caller();
    let done = if f.action == "remove" {
        state
            .app
            .remove_from_group(&caller, &group, &f.username)
            .await
    } else {
        state.app.add_to_group(&caller, &group, &f.username).await
    };
    match done {
        Ok(()) => see_other("/admin/users#groups"),
        Err(e) => refused_on_users_page(&state, &user, e).await,
    }
}

/// A refusal shown on the users page with its status; a denied role gets the error page.
async fn refused_on_users_page(state: &AppState, user: &WebUser, e: AppError) -> Response {
    let status = StatusCode::from_u16(e.category().http_status())
        .unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
    match e {
        AppError::Denied(_) => app_error(user, e),
        AppError::Store(StoreError::Domain(d)) => {
            super::users::page(
                state,
                user,
                Some(super::domain_message(user.lang, &d)),
                status,
            )
            .await
        }
        other if status.is_server_error() => app_error(user, other),
        other => super::users::page(state, user, Some(other.to_string()), status).await,
    }
}

/// The break-glass form of the incidents page (managers).
#[derive(Debug, serde::Deserialize)]
pub struct BreakGlassForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default, deserialize_with = "trimmed")]
    number: String,
    #[serde(default, deserialize_with = "trimmed")]
    reason: String,
}

pub async fn break_glass(
    State(state): State<AppState>,
    user: WebUser,
    WebForm(f): WebForm<BreakGlassForm>,
) -> Response {
    if let Err(r) = user.check_csrf(&f.csrf) {
        return r;
    }
    let number = f.number.trim_start_matches('#');
    match crate::api::team::open_by_breaking_glass(&state, &user.principal, number, &f.reason).await
    {
        Ok(i) => see_other(&format!("/incidents/{}", i.number)),
        Err(AppError::Store(StoreError::Domain(e))) => super::error_page(
            user.lang,
            Some(&user),
            StatusCode::from_u16(e.category().http_status())
                .unwrap_or(StatusCode::UNPROCESSABLE_ENTITY),
            "error-bad-request",
            &super::domain_message(user.lang, &e),
        ),
        Err(e) => app_error(&user, e),
    }
}
