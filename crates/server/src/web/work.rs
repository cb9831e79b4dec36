//! Forms for the response work on an incident page: actions, assets, tasks, notes, time.

use axum::extract::{Path, State};
use axum::response::Response;
use debrief_domain::DateAlone;
use debrief_domain::Timestamp;
use serde::Deserialize;

use super::WebUser;
use super::form::WebForm;
use super::pages::act_many;
use crate::AppState;
use crate::api::incidents::Need;

#[derive(Debug, Deserialize)]
pub struct WorkForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    criticality: String,
    #[serde(default)]
    compromise: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    due: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    interviewee: String,
    #[serde(default)]
    minutes: String,
    #[serde(default)]
    activity: String,
    /// When it happened (local time, or a date for time worked); now when empty.
    #[serde(default)]
    at: String,
}

pub async fn action(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    WebForm(f): WebForm<WorkForm>,
) -> Response {
    let by = user.principal.user.username.to_string();
    act_many(
        &state,
        &user,
        &number,
        &f.csrf,
        Need::Work,
        |i| {
            let at = match f.at.trim() {
                "" => Timestamp::now(),
                a => user.zone.read("at", a, DateAlone::Refused)?,
            };
            i.record_action(f.kind.parse()?, &f.description, &by, at, &f.outcome)
                .map(|e| vec![e])
        },
        "#work",
    )
    .await
}

pub async fn asset(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    WebForm(f): WebForm<WorkForm>,
) -> Response {
    act_many(
        &state,
        &user,
        &number,
        &f.csrf,
        Need::Work,
        |i| {
            i.add_asset(
                f.kind.parse()?,
                &f.name,
                f.criticality.parse()?,
                f.compromise.parse()?,
                "",
            )
            .map(|e| vec![e])
        },
        "#work",
    )
    .await
}

pub async fn task(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    WebForm(f): WebForm<WorkForm>,
) -> Response {
    act_many(
        &state,
        &user,
        &number,
        &f.csrf,
        Need::Work,
        |i| {
            let due = Some(f.due.trim())
                .filter(|d| !d.is_empty())
                .map(|d| user.zone.read("due", d, DateAlone::EndOfDay))
                .transpose()?;
            i.add_task(
                &f.title,
                Some(f.owner.trim()).filter(|o| !o.is_empty()),
                due,
            )
            .map(|e| vec![e])
        },
        "#work",
    )
    .await
}

pub async fn task_done(
    State(state): State<AppState>,
    user: WebUser,
    Path((number, tid)): Path<(String, u64)>,
    WebForm(f): WebForm<WorkForm>,
) -> Response {
    act_many(
        &state,
        &user,
        &number,
        &f.csrf,
        Need::Work,
        |i| {
            let at = Some(f.at.trim())
                .filter(|a| !a.is_empty())
                .map(|a| user.zone.read("at", a, DateAlone::Refused))
                .transpose()?;
            i.update_task(
                tid,
                Some(debrief_domain::work::TaskStatus::Done),
                None,
                None,
                at,
            )
            .map(|e| vec![e])
        },
        "#work",
    )
    .await
}

pub async fn note(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    WebForm(f): WebForm<WorkForm>,
) -> Response {
    act_many(
        &state,
        &user,
        &number,
        &f.csrf,
        Need::Work,
        |i| {
            let kind = if f.interviewee.trim().is_empty() {
                debrief_domain::work::NoteKind::Note
            } else {
                debrief_domain::work::NoteKind::Interview
            };
            let at = match f.at.trim() {
                "" => None,
                a => Some(user.zone.read("at", a, DateAlone::Refused)?),
            };
            i.add_note(kind, &f.text, &f.interviewee, at)
                .map(|e| vec![e])
        },
        "#work",
    )
    .await
}

pub async fn time(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    WebForm(f): WebForm<WorkForm>,
) -> Response {
    let who = user.principal.user.username.to_string();
    act_many(
        &state,
        &user,
        &number,
        &f.csrf,
        Need::Work,
        |i| {
            let minutes: u32 = f.minutes.trim().parse().map_err(|_| {
                debrief_domain::DomainError::InvalidField {
                    field: "minutes",
                    problem: "must be a whole number of minutes".into(),
                }
            })?;
            let day = match f.at.trim() {
                "" => Timestamp::now(),
                d => user.zone.read("day", d, DateAlone::StartOfDay)?,
            };
            i.log_time(&who, minutes, day, &f.activity).map(|e| vec![e])
        },
        "#work",
    )
    .await
}
