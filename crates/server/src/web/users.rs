//! User administration pages (admins only).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use debrief_app::AppError;
use debrief_domain::{Action, DomainError, Role, Username};
use debrief_store::StoreError;
use debrief_store::accounts::{NewUser, UserChanges};
use serde::Deserialize;

use super::WebUser;
use super::form::WebForm;
use crate::AppState;
use crate::auth::{self};

use super::pages::*;
use super::session::CsrfOnly;

// ---------------------------------------------------------------- users

async fn users_page(
    state: &AppState,
    user: &WebUser,
    created: Option<(String, String)>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let users = match state.app.list_users(&user.caller()).await {
        Ok(u) => u,
        Err(e) => return app_error(user, e),
    };
    let groups = match state.app.groups(&user.caller()).await {
        Ok(g) => g,
        Err(e) => return app_error(user, e),
    };
    // Who has a second factor (a few users: one read each).
    let mut factors = std::collections::HashMap::new();
    for u in &users {
        match state
            .app
            .second_factors(&user.caller(), u.username.as_str())
            .await
        {
            Ok(f) => {
                factors.insert(u.username.to_string(), f.factors.len());
            }
            Err(e) => return app_error(user, e),
        }
    }
    let required = match state.app.second_factor_required().await {
        Ok(r) => r,
        Err(e) => return app_error(user, e),
    };
    let frame = super::Frame::page(user, "users", error);
    let (created_username, created_password) =
        created.map_or((None, None), |(n, p)| (Some(n), Some(p)));
    let view = UsersPage {
        frame,
        mfa_required: required,
        groups,
        users: users
            .iter()
            .map(|u| UserRow {
                username: u.username.as_str(),
                display_name: &u.display_name,
                role: u.role,
                disabled: u.disabled,
                created_at: u.created_at,
                factors: factors.get(u.username.as_str()).copied().unwrap_or(0),
            })
            .collect(),
        roles: Role::ALL.to_vec(),
        created_username,
        created_password,
    };
    render_view("users.html", status, &view)
}

/// The accounts page: every account with its second factors, the groups, and — once, right
/// after creating an account — the password generated for it.
#[derive(Debug, serde::Serialize)]
struct UsersPage<'a> {
    #[serde(flatten)]
    frame: super::Frame,
    mfa_required: bool,
    groups: Vec<debrief_store::groups::Group>,
    users: Vec<UserRow<'a>>,
    roles: Vec<Role>,
    created_username: Option<String>,
    created_password: Option<String>,
}

#[derive(Debug, serde::Serialize)]
struct UserRow<'a> {
    username: &'a str,
    display_name: &'a str,
    role: Role,
    disabled: bool,
    created_at: debrief_domain::Timestamp,
    /// How many second factors the account has.
    factors: usize,
}

/// The users page with a refusal shown on it.
pub(super) async fn page(
    state: &AppState,
    user: &WebUser,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    users_page(state, user, None, error, status).await
}

pub async fn users(State(state): State<AppState>, user: WebUser) -> Response {
    users_page(&state, &user, None, None, StatusCode::OK).await
}

#[derive(Debug, Deserialize)]
pub struct CreateUserForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(deserialize_with = "super::form::choice")]
    role: Role,
}

pub async fn create_user(
    State(state): State<AppState>,
    user: WebUser,
    WebForm(form): WebForm<CreateUserForm>,
) -> Response {
    if let Err(r) = user.check_csrf(&form.csrf) {
        return r;
    }
    if let Err(why) = may(&user, Action::Administer) {
        return forbidden(&user, &why);
    }
    let parsed = (|| -> Result<(Username, Role, String), DomainError> {
        let name = Username::parse(&form.username)?;
        let role = form.role;
        let display =
            debrief_domain::text::Label::parse_as("display_name", &form.display_name)?.into_inner();
        Ok((name, role, display))
    })();
    let (username, role, display_name) = match parsed {
        Ok(p) => p,
        Err(e) => {
            return users_page(
                &state,
                &user,
                None,
                Some(super::domain_message(user.lang, &e)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let password = auth::generate_password();
    let to_hash = password.clone();
    let hash = match tokio::task::spawn_blocking(move || auth::hash_password(&to_hash)).await {
        Ok(Ok(h)) => h,
        _ => return store_error(&user, StoreError::Corrupt("password hashing failed".into())),
    };
    let display_name = if display_name.is_empty() {
        username.to_string()
    } else {
        display_name
    };
    let new = NewUser {
        username: username.clone(),
        display_name,
        role,
        password_hash: hash,
        language: None,
        must_change_password: true,
    };
    match state.app.create_user(&user.caller(), new).await {
        Ok(_) => {
            users_page(
                &state,
                &user,
                Some((username.to_string(), password)),
                None,
                StatusCode::OK,
            )
            .await
        }
        Err(AppError::Store(StoreError::Duplicate(m))) => {
            users_page(&state, &user, None, Some(m), StatusCode::CONFLICT).await
        }
        Err(e) => app_error(&user, e),
    }
}

pub async fn toggle_user(
    State(state): State<AppState>,
    user: WebUser,
    Path(name): Path<String>,
    WebForm(form): WebForm<CsrfOnly>,
) -> Response {
    if let Err(r) = user.check_csrf(&form.csrf) {
        return r;
    }
    let caller = user.caller();
    let target = match state.app.user(&caller, &name).await {
        Ok(u) => u,
        Err(e) => return app_error(&user, e),
    };
    let changes = UserChanges {
        disabled: Some(!target.disabled),
        ..Default::default()
    };
    let updated = state.app.update_user(&caller, &name, changes).await;
    state.tokens.clear();
    state.basic.clear();
    match updated {
        Ok(_) => see_other("/admin/users"),
        Err(AppError::Conflict(why)) => {
            users_page(&state, &user, None, Some(why), StatusCode::CONFLICT).await
        }
        Err(e) => app_error(&user, e),
    }
}

/// Ends every session of an account (admins): a stolen laptop, a departure.
pub async fn end_sessions(
    State(state): State<AppState>,
    user: WebUser,
    Path(name): Path<String>,
    WebForm(form): WebForm<CsrfOnly>,
) -> Response {
    if let Err(r) = user.check_csrf(&form.csrf) {
        return r;
    }
    match state.app.end_sessions(&user.caller(), &name).await {
        Ok(_) => see_other("/admin/users"),
        Err(e) => app_error(&user, e),
    }
}
