//! TheHive's alert routes: an alert in (a repeat counted), read, changed (status, assignee,
//! summary), more observables, promoted to a case or merged into one — through the application
//! layer like every other front end.

use super::cases::{CASE_FIELDS, CaseChanges};
use super::*;

/// `POST /api/v1/alert`: a TheHive alert in. The same type/source/sourceRef again updates that
/// alert and counts the repeat (201 when new, 200 when it was a repeat or joined a group).
#[utoipa::path(operation_id = "thehive_create_alert", post, path = "/api/v1/alert", tag = "thehive", request_body(content = Object, description = "TheHive InputAlert"), responses((status = 201, body = Object, description = "OutputAlert, new"), (status = 200, body = Object, description = "OutputAlert, a repeat counted"), (status = 400, body = crate::error::Problem), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)), security(("bearer" = []), ("basic" = [])))]
pub async fn create_alert(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Response> {
    check(&user, Action::SendAlerts)?;
    if !body.is_object() {
        return Err(ApiError::bad_request(
            "send the alert as a JSON object (TheHive's InputAlert)",
        ));
    }
    let new = check_one(body)
        .map_err(|e| ApiError::unprocessable(format!("the alert was not stored: {e}")))?;
    let receipt = state
        .intake
        .receive(
            &state.app,
            &user.caller(),
            state.config.alert_group_seconds,
            new,
        )
        .await?;
    let code = if receipt.intake == Intake::Created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((code, Json(alert_json(&receipt.alert))).into_response())
}

/// `GET /api/v1/alert/{id}`: by id or Debrief number (`12`, `A-12`).
#[utoipa::path(operation_id = "thehive_get_alert", get, path = "/api/v1/alert/{id}", tag = "thehive", params(("id" = String, Path, description = "id or number")), responses((status = 200, body = Object, description = "OutputAlert"), (status = 401, body = crate::error::Problem), (status = 404, body = crate::error::Problem)), security(("bearer" = []), ("basic" = [])))]
pub async fn get_alert(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    check(&user, Action::ReadAlerts)?;
    Ok(Json(alert_json(
        &state.app.alert(&user.caller(), &id).await?,
    )))
}

/// `PATCH /api/v1/alert/{id}`: `status` (InProgress acknowledges; FalsePositive, Ignored,
/// Duplicated dismiss; New reopens a dismissed alert) and `assignee`. The sender's own fields
/// change by sending the alert again with the same sourceRef.
#[utoipa::path(operation_id = "thehive_patch_alert", patch, path = "/api/v1/alert/{id}", tag = "thehive", params(("id" = String, Path, description = "id or number")), request_body(content = Object, description = "status, assignee, summary"), responses((status = 200, body = Object, description = "OutputAlert"), (status = 400, body = crate::error::Problem), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)), security(("bearer" = []), ("basic" = [])))]
pub async fn patch_alert(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let fields = object(&body)?;
    only(
        &fields,
        &["status", "assignee", "summary", "follow"],
        "PATCH /api/v1/alert (to change what the sender sent, send the alert again with the same type, source and sourceRef)",
    )?;
    check(&user, Action::TriageAlerts)?;
    let mut alert = state.app.alert(&user.caller(), &id).await?;
    let note = fields
        .get("summary")
        .map(|v| text_field("summary", v).map(str::to_string))
        .transpose()?;
    // Everything is read and checked before the first change is written.
    let assignee = match fields.get("assignee") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(v) => Some(Some(
            state.app.assignable(text_field("assignee", v)?).await?,
        )),
    };
    let action = match fields.get("status") {
        None => None,
        Some(v) => {
            let wanted = text_field("status", v)?;
            let default_note = || format!("set to {wanted} through the TheHive-compatible API");
            match wanted {
                "InProgress" if alert.status == debrief_domain::alert::AlertStatus::New => {
                    Some(AlertAction::Acknowledge)
                }
                "InProgress" => None,
                "New" if alert.status == debrief_domain::alert::AlertStatus::Dismissed => {
                    Some(AlertAction::Reopen {
                        reason: note.clone().unwrap_or_else(default_note),
                    })
                }
                "New" => None,
                "FalsePositive" | "Ignored" | "Duplicated" | "Other" => {
                    Some(AlertAction::Dismiss {
                        reason: match wanted {
                            "FalsePositive" => DismissReason::FalsePositive,
                            "Duplicated" => DismissReason::Duplicate,
                            _ => DismissReason::Benign,
                        },
                        note: note.clone().unwrap_or_else(default_note),
                    })
                }
                "Imported" | "TruePositive" => {
                    return Err(ApiError::unprocessable(
                        "an alert becomes Imported by promoting it (POST /api/v1/alert/{id}/case) or merging it into a case",
                    ));
                }
                other => {
                    return Err(ApiError::unprocessable(format!(
                        "alert status `{other}` is not one Debrief knows; use New, InProgress, FalsePositive, Ignored, Duplicated or Other"
                    )));
                }
            }
        }
    };
    if let Some(a) = &action {
        debrief_domain::alert::next_status(alert.status, a)?;
    }
    let caller = crate::api::incidents::caller(&user)?;
    if let Some(to) = assignee
        && to != alert.assignee
    {
        alert = state
            .app
            .triage_alert(&caller, &alert.id, AlertAction::Assign { to })
            .await?;
    }
    if let Some(action) = action {
        alert = state.app.triage_alert(&caller, &alert.id, action).await?;
    }
    Ok(Json(alert_json(&alert)))
}

/// `POST /api/v1/alert/{id}/observable`: more observables on an open alert; answers the list.
#[utoipa::path(operation_id = "thehive_alert_observable", post, path = "/api/v1/alert/{id}/observable", tag = "thehive", params(("id" = String, Path, description = "id or number")), request_body(content = Object, description = "InputObservable"), responses((status = 201, body = Object, description = "[OutputObservable]"), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)), security(("bearer" = []), ("basic" = [])))]
pub async fn alert_observable(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> ApiResult<(StatusCode, Json<Vec<Value>>)> {
    check(&user, Action::TriageAlerts)?;
    let (list, _) = observables_from(&body)?;
    let alert = state
        .app
        .triage_alert(
            &crate::api::incidents::caller(&user)?,
            &id,
            AlertAction::AddObservables(list.clone()),
        )
        .await?;
    let out = alert
        .observables
        .iter()
        .enumerate()
        .filter(|(_, o)| list.contains(o))
        .map(|(n, o)| alert_observable_json(&alert, n, o))
        .collect();
    Ok((StatusCode::CREATED, Json(out)))
}

/// `POST /api/v1/alert/{id}/case`: promote to a new case (incident); the optional body's case
/// fields (title, description, severity, tags, tlp, pap, assignee) are applied to it.
#[utoipa::path(operation_id = "thehive_alert_to_case", post, path = "/api/v1/alert/{id}/case", tag = "thehive", params(("id" = String, Path, description = "id or number")), request_body(content = Option<Object>, description = "optional case fields"), responses((status = 201, body = Object, description = "OutputCase"), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)), security(("bearer" = []), ("basic" = [])))]
pub async fn alert_to_case(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let fields = object(&body)?;
    only(&fields, CASE_FIELDS, "POST /api/v1/alert/{id}/case")?;
    check(&user, Action::TriageAlerts)?;
    check(&user, Action::CreateIncident)?;
    // Every case field is checked against the case the alert would open before it is promoted.
    let changes = CaseChanges::parse(&state, &fields).await?;
    let alert = state.app.alert(&user.caller(), &id).await?;
    debrief_domain::alert::next_status(alert.status, &AlertAction::Promote)?;
    let who = actor(&user)?;
    changes.check_on(
        &state,
        &user,
        &debrief_app::alerts::promoted_incident(&alert)?.provisional(&who, Timestamp::now())?,
    )?;
    let (_, incident) = state
        .app
        .promote_alert(&crate::api::incidents::caller(&user)?, &id)
        .await?;
    let incident = changes.apply(&state, &user, incident).await?;
    Ok((StatusCode::CREATED, Json(case_json(&incident))))
}

/// `POST /api/v1/alert/{id}/merge/{caseId}`: into an existing case.
#[utoipa::path(operation_id = "thehive_alert_merge", post, path = "/api/v1/alert/{id}/merge/{case}", tag = "thehive", params(("id" = String, Path, description = "id or number"), ("case" = String, Path, description = "the case: id or number")), responses((status = 200, body = Object, description = "OutputCase"), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)), security(("bearer" = []), ("basic" = [])))]
pub async fn alert_merge(
    State(state): State<AppState>,
    user: ApiUser,
    Path((id, case)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let (_, incident) = state
        .app
        .merge_alert(&crate::api::incidents::caller(&user)?, &id, &case)
        .await?;
    Ok(Json(case_json(&incident)))
}
