//! `/api/v1/users` (admins) and `/api/v1/me` (everyone).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use debrief_domain::{Action, Language, Role, Username, authorize};
use debrief_store::accounts::{NewUser, UserChanges};

use super::dto::*;
use super::{ApiJson, ApiUser};
use crate::AppState;
use crate::auth::{check_password, generate_password, hash_password};
use crate::error::{ApiError, ApiResult};

fn admin(user: &ApiUser) -> ApiResult<()> {
    authorize(
        user.0.user.username.as_str(),
        user.0.user.role,
        Action::Administer,
    )
    .map_err(ApiError::from)
}

fn parse_language(raw: &str) -> ApiResult<Option<Language>> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        Ok(Some(raw.parse()?))
    }
}

async fn hash(password: String) -> ApiResult<String> {
    check_password(&password).map_err(ApiError::unprocessable)?;
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|_| ApiError::internal())?
        .map_err(|e| {
            tracing::error!(error = %e, "password hashing failed");
            ApiError::internal()
        })
}

/// The caller's own account.
#[utoipa::path(operation_id = "me", get, path = "/api/v1/me", tag = "users", responses((status = 200, body = UserView), (status = 401, body = crate::error::Problem)), security(("bearer" = [])))]
pub async fn me(user: ApiUser) -> Json<UserView> {
    Json(UserView::from(&user.0.user))
}

/// Change the caller's own preferences.
#[utoipa::path(operation_id = "update_me", patch, path = "/api/v1/me", tag = "users", request_body = UpdateMe, responses((status = 200, body = UserView), (status = 422, body = crate::error::Problem)), security(("bearer" = [])))]
pub async fn update_me(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(body): ApiJson<UpdateMe>,
) -> ApiResult<Json<UserView>> {
    let language = body.language.as_deref().map(parse_language).transpose()?;
    let changes = UserChanges {
        language,
        ..Default::default()
    };
    let updated = state
        .store
        .update_user(user.0.user.username.as_str(), changes)
        .await?;
    Ok(Json(UserView::from(&updated)))
}

/// Every account (admins only).
#[utoipa::path(operation_id = "list_users", get, path = "/api/v1/users", tag = "users", responses((status = 200, body = Vec<UserView>), (status = 403, body = crate::error::Problem)), security(("bearer" = [])))]
pub async fn list(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<Vec<UserView>>> {
    admin(&user)?;
    Ok(Json(
        state
            .store
            .list_users()
            .await?
            .iter()
            .map(UserView::from)
            .collect(),
    ))
}

/// One account (admins only).
#[utoipa::path(operation_id = "get_user", get, path = "/api/v1/users/{username}", tag = "users", params(("username" = String, Path)), responses((status = 200, body = UserView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)), security(("bearer" = [])))]
pub async fn get_one(
    State(state): State<AppState>,
    user: ApiUser,
    Path(name): Path<String>,
) -> ApiResult<Json<UserView>> {
    admin(&user)?;
    Ok(Json(UserView::from(
        &state.store.user_record(&name).await?.user,
    )))
}

/// Create an account (admins only). Without a password, one is generated and returned once.
#[utoipa::path(operation_id = "create_user", post, path = "/api/v1/users", tag = "users", request_body = CreateUser, responses((status = 201, body = CreatedUser), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)), security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(body): ApiJson<CreateUser>,
) -> ApiResult<(StatusCode, Json<CreatedUser>)> {
    admin(&user)?;
    let username = Username::parse(&body.username)?;
    let role: Role = body.role.parse()?;
    let language = body
        .language
        .as_deref()
        .map(parse_language)
        .transpose()?
        .flatten();
    let display_name =
        debrief_domain::text::Label::parse_as("display_name", &body.display_name)?.into_inner();
    let (password, generated) = match body.password {
        Some(p) => (p, false),
        None => (generate_password(), true),
    };
    let password_hash = hash(password.clone()).await?;
    let display_name = if display_name.is_empty() {
        username.to_string()
    } else {
        display_name
    };
    let created = state
        .store
        .create_user(NewUser {
            username,
            display_name,
            role,
            password_hash,
            language,
        })
        .await?;
    tracing::info!(by = %user.0.user.username, user = %created.username, role = %created.role, "user created");
    Ok((
        StatusCode::CREATED,
        Json(CreatedUser {
            user: UserView::from(&created),
            password: generated.then_some(password),
        }),
    ))
}

/// Change an account: role, name, language, password, or disable it (admins only).
#[utoipa::path(operation_id = "update_user", patch, path = "/api/v1/users/{username}", tag = "users", params(("username" = String, Path)), request_body = UpdateUser, responses((status = 200, body = UserView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)), security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    user: ApiUser,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<UpdateUser>,
) -> ApiResult<Json<UserView>> {
    admin(&user)?;
    let target = state.store.user_record(&name).await?.user;
    let role = body.role.as_deref().map(str::parse::<Role>).transpose()?;
    if target.username == user.0.user.username
        && (body.disabled == Some(true) || role.is_some_and(|r| r != Role::Admin))
    {
        return Err(ApiError::conflict(
            "you cannot disable yourself or drop your own admin role; another admin can",
        ));
    }
    let password_hash = match body.password {
        Some(p) => Some(hash(p).await?),
        None => None,
    };
    let display_name = body
        .display_name
        .as_deref()
        .map(|d| debrief_domain::text::Label::parse_as("display_name", d).map(|l| l.into_inner()))
        .transpose()?;
    let changes = UserChanges {
        display_name,
        role,
        disabled: body.disabled,
        language: body.language.as_deref().map(parse_language).transpose()?,
        password_hash,
    };
    let updated = state.store.update_user(&name, changes).await?;
    state.tokens.clear();
    state.basic.clear();
    tracing::info!(by = %user.0.user.username, user = %updated.username, "user updated");
    Ok(Json(UserView::from(&updated)))
}
