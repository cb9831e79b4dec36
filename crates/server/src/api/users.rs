//! `/api/v1/users` (admins) and `/api/v1/me` (everyone).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use debrief_domain::{Action, Username, authorize};
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

/// A person's time zone: an IANA name, or empty for the installation's.
pub(crate) fn parse_zone(raw: &str) -> ApiResult<Option<debrief_domain::Zone>> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        Ok(Some(debrief_domain::Zone::parse(raw)?))
    }
}

async fn hash(password: String, names: &[&str]) -> ApiResult<String> {
    check_password(&password, names)
        .map_err(|e| ApiError::unprocessable(format!("password: {e}")))?;
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
    let language = body.language;
    let timezone = body.timezone.as_deref().map(parse_zone).transpose()?;
    let updated = state
        .app
        .set_own_preferences(&user.caller(), language, timezone)
        .await?;
    Ok(Json(UserView::from(&updated)))
}

/// A person's change of their own password.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    pub current_password: String,
    pub new_password: String,
}

/// Change the caller's own password: the current one is checked (under the sign-in limits) and
/// the new one must be hard to guess (12–256 characters, not the account's name, rated 3 of 4
/// by zxcvbn). Every session of the caller ends.
#[utoipa::path(operation_id = "change_my_password", post, path = "/api/v1/me/password", tag = "users", request_body = ChangePassword,
    responses((status = 204, description = "Changed; every session ended"), (status = 400, body = crate::error::Problem), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem), (status = 429, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn change_password(
    State(state): State<AppState>,
    user: ApiUser,
    headers: axum::http::HeaderMap,
    ext: axum::http::Extensions,
    ApiJson(body): ApiJson<ChangePassword>,
) -> ApiResult<StatusCode> {
    use crate::auth::PasswordChangeRefused as R;
    let address = state
        .config
        .trusted_proxies
        .client(crate::auth::peer_ip(&ext), &headers);
    match crate::auth::change_own_password(
        &state,
        &user.0.user,
        &address,
        &body.current_password,
        &body.new_password,
        &body.new_password,
    )
    .await
    {
        Ok(_) => Ok(StatusCode::NO_CONTENT),
        Err(R::WrongCurrent) => Err(ApiError::forbidden("`current_password` is wrong")),
        Err(R::Locked(wait)) => Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too-many-attempts",
            format!(
                "too many password checks for this account; try again in {} minutes",
                wait.div_ceil(60)
            ),
        )),
        Err(R::Weak(why)) => Err(ApiError::unprocessable(format!("new_password: {why}"))),
        Err(R::Mismatch) => Err(ApiError::unprocessable(
            "new_password: the two copies differ",
        )),
        Err(R::Same) => Err(ApiError::unprocessable(
            "new_password is the current password; choose another",
        )),
        Err(R::Store(e)) => Err(e.into()),
    }
}

/// Every account (admins only).
#[utoipa::path(operation_id = "list_users", get, path = "/api/v1/users", tag = "users", responses((status = 200, body = Vec<UserView>), (status = 403, body = crate::error::Problem)), security(("bearer" = [])))]
pub async fn list(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<Vec<UserView>>> {
    Ok(Json(
        state
            .app
            .list_users(&user.caller())
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
    Ok(Json(UserView::from(
        &state.app.user(&user.caller(), &name).await?,
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
    let role = body.role;
    let language = body.language;
    let display_name =
        debrief_domain::text::Label::parse_as("display_name", &body.display_name)?.into_inner();
    // A blank password is none given: one is generated.
    let (password, generated) = match body.password.filter(|p| !p.is_empty()) {
        Some(p) => (p, false),
        None => (generate_password(), true),
    };
    let display_name = if display_name.is_empty() {
        username.to_string()
    } else {
        display_name
    };
    let password_hash = hash(password.clone(), &[username.as_str(), &display_name]).await?;
    let created = state
        .app
        .create_user(
            &user.caller(),
            NewUser {
                username,
                display_name,
                role,
                password_hash,
                language,
                must_change_password: generated,
            },
        )
        .await?;
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
    let caller = user.caller();
    let target = state.app.user(&caller, &name).await?;
    let role = body.role;
    // A blank password leaves the password as it is.
    let password_hash = match body.password.filter(|p| !p.is_empty()) {
        Some(p) => Some(hash(p, &[target.username.as_str(), &target.display_name]).await?),
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
        language: body.language,
        password_hash,
        must_change_password: None,
        timezone: None,
    };
    let updated = state.app.update_user(&caller, &name, changes).await;
    state.tokens.clear();
    state.basic.clear();
    let updated = updated?;
    Ok(Json(UserView::from(&updated)))
}

/// A person's open browser sessions: your own, or anyone's for an admin (never their secrets).
#[utoipa::path(operation_id = "list_sessions", get, path = "/api/v1/users/{username}/sessions", tag = "users", params(("username" = String, Path)),
    responses((status = 200, body = Vec<Object>), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn sessions(
    State(state): State<AppState>,
    user: ApiUser,
    Path(name): Path<String>,
) -> ApiResult<Json<Vec<debrief_store::accounts::SessionInfo>>> {
    Ok(Json(state.app.sessions(&user.caller(), &name).await?))
}

/// End every session of a person: your own, or anyone's for an admin.
#[utoipa::path(operation_id = "end_sessions", delete, path = "/api/v1/users/{username}/sessions", tag = "users", params(("username" = String, Path)),
    responses((status = 204), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn end_sessions(
    State(state): State<AppState>,
    user: ApiUser,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    state.app.end_sessions(&user.caller(), &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// End one session of a person by its id: your own, or anyone's for an admin.
#[utoipa::path(operation_id = "end_session", delete, path = "/api/v1/users/{username}/sessions/{id}", tag = "users", params(("username" = String, Path), ("id" = String, Path)),
    responses((status = 204), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn end_session(
    State(state): State<AppState>,
    user: ApiUser,
    Path((name, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    state.app.end_session(&user.caller(), &name, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A person's second factors (kinds, names, when added and last used; never a secret) and
/// unused recovery codes: your own, or anyone's for an admin.
#[utoipa::path(operation_id = "list_second_factors", get, path = "/api/v1/users/{username}/second-factors", tag = "users", params(("username" = String, Path)),
    responses((status = 200, body = Object), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn second_factors(
    State(state): State<AppState>,
    user: ApiUser,
    Path(name): Path<String>,
) -> ApiResult<Json<debrief_app::factors::Factors>> {
    Ok(Json(state.app.second_factors(&user.caller(), &name).await?))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ResetParams {
    /// Why the factor is reset (recorded in the access log; required).
    #[serde(default)]
    pub reason: String,
}

/// Reset a person's lost second factor (admins): their factors and recovery codes go, their
/// sessions end, and the reset is recorded with its reason in the access log.
#[utoipa::path(operation_id = "reset_second_factors", delete, path = "/api/v1/users/{username}/second-factors", tag = "users", params(("username" = String, Path), ResetParams),
    responses((status = 200, body = Object), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn reset_second_factors(
    State(state): State<AppState>,
    user: ApiUser,
    Path(name): Path<String>,
    super::ApiQuery(q): super::ApiQuery<ResetParams>,
) -> ApiResult<Json<serde_json::Value>> {
    let n = state
        .app
        .reset_second_factors(&user.caller(), &name, &q.reason)
        .await?;
    state.basic.clear();
    Ok(Json(serde_json::json!({ "removed": n })))
}

/// Whether a second factor is required of every password sign-in.
#[derive(Debug, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecondFactorPolicy {
    pub required: bool,
    /// Why it changes (recorded in the access log).
    #[serde(default, skip_serializing)]
    pub reason: String,
}

/// Whether a second factor is required of every password sign-in (any signed-in person).
#[utoipa::path(operation_id = "get_second_factor_policy", get, path = "/api/v1/settings/second-factor", tag = "users",
    responses((status = 200, body = SecondFactorPolicy), (status = 401, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn second_factor_policy(
    State(state): State<AppState>,
    _user: ApiUser,
) -> ApiResult<Json<SecondFactorPolicy>> {
    Ok(Json(SecondFactorPolicy {
        required: state.app.second_factor_required().await?,
        reason: String::new(),
    }))
}

/// Require (or stop requiring) a second factor of every password sign-in (admins).
#[utoipa::path(operation_id = "set_second_factor_policy", put, path = "/api/v1/settings/second-factor", tag = "users",
    request_body = SecondFactorPolicy,
    responses((status = 200, body = SecondFactorPolicy), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn set_second_factor_policy(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(body): ApiJson<SecondFactorPolicy>,
) -> ApiResult<Json<SecondFactorPolicy>> {
    state
        .app
        .require_second_factor(&user.caller(), body.required, &body.reason)
        .await?;
    state.basic.clear();
    Ok(Json(SecondFactorPolicy {
        required: body.required,
        reason: String::new(),
    }))
}
