//! "Report a suspected incident" (`/report`): the page any signed-in person uses to tell the
//! security team what they saw — what, when, where, how to reach them, and a file. Each report is
//! an alert (type `human-report`) with the reporter recorded; the page answers with its reference
//! and `/reports` shows the reporter what became of their reports (acknowledged, by whom).

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use debrief_domain::alert::{AlertInput, NewAlert};
use debrief_domain::{Action, Timestamp};
use debrief_store::alerts::AlertQuery;
use debrief_store::blobs::BlobStore;
use serde_json::json;

use super::WebUser;
use super::pages::{app_error, forbidden, may, render_view};
use crate::AppState;

/// What the report form shows in its fields: empty, or what was typed when it was refused.
#[derive(Debug, Default, serde::Serialize)]
struct Values {
    what: String,
    when: String,
    #[serde(rename = "where")]
    place: String,
    contact: String,
}

/// The report form, with the reference of the report just sent when there is one.
#[derive(Debug, serde::Serialize)]
struct ReportPage<'a> {
    #[serde(flatten)]
    frame: super::Frame,
    values: &'a Values,
    /// The number of the alert the report became.
    sent: Option<i64>,
}

/// The largest file a report may carry.
const MAX_REPORT_FILE: u64 = 25 * 1024 * 1024;

pub async fn form(user: WebUser) -> Response {
    page(&user, StatusCode::OK, None, &Values::default())
}

fn page(user: &WebUser, code: StatusCode, error: Option<String>, values: &Values) -> Response {
    if let Err(why) = may(user, Action::ReportSuspicion) {
        return forbidden(user, &why);
    }
    let frame = super::Frame::page(user, "report", error);
    let view = ReportPage {
        frame,
        values,
        sent: None,
    };
    render_view("report.html", code, &view)
}

#[derive(Debug, Default)]
struct Report {
    what: String,
    when: String,
    place: String,
    contact: String,
    csrf: String,
    file: Option<serde_json::Value>,
}

/// Reads the form; the CSRF field must come before the file, or the file is not stored.
async fn read(
    user: &WebUser,
    blobs: &BlobStore,
    mut form: Multipart,
) -> Result<Report, (StatusCode, String)> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the file is larger than {} MiB", MAX_REPORT_FILE >> 20),
            )
        } else {
            (
                StatusCode::BAD_REQUEST,
                format!("the form could not be read: {}", e.body_text()),
            )
        }
    };
    let mut r = Report::default();
    while let Some(mut field) = form.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            let file_name = field.file_name().unwrap_or("").trim().to_string();
            if file_name.is_empty() {
                // No file chosen: the browser sends an empty part.
                while let Ok(Some(_)) = field.chunk().await {}
                continue;
            }
            if user.check_csrf(&r.csrf).is_err() {
                return Err((
                    StatusCode::FORBIDDEN,
                    "this form expired or did not come from Debrief; reload the page".into(),
                ));
            }
            let media = field
                .content_type()
                .unwrap_or("application/octet-stream")
                .to_string();
            let mut w = blobs
                .writer(MAX_REPORT_FILE)
                .await
                .map_err(|e| (StatusCode::PAYLOAD_TOO_LARGE, e.to_string()))?;
            loop {
                match field.chunk().await {
                    Ok(Some(c)) => {
                        if let Err(e) = w.write(&c).await {
                            w.abort().await;
                            return Err((StatusCode::PAYLOAD_TOO_LARGE, e.to_string()));
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        w.abort().await;
                        return Err(bad(e));
                    }
                }
            }
            let stored = w
                .finish()
                .await
                .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
            r.file = Some(
                json!({"name": file_name, "sha256": stored.sha256, "size": stored.size, "media_type": media}),
            );
        } else {
            let value = field.text().await.map_err(bad)?;
            match name.as_str() {
                "what" => r.what = value,
                "when" => r.when = value,
                "where" => r.place = value,
                "contact" => r.contact = value,
                "_csrf" => r.csrf = value,
                _ => {}
            }
        }
    }
    Ok(r)
}

/// A `datetime-local` value (`2026-11-23T09:30`, read in the reporter's time zone) or RFC 3339
/// text, as a time.
fn when(user: &WebUser, raw: &str) -> Result<Option<Timestamp>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    user.zone
        .read("when", raw, debrief_domain::DateAlone::Refused)
        .map(Some)
        .map_err(|e| super::domain_message(user.lang, &e))
}

pub async fn submit(State(state): State<AppState>, user: WebUser, form: Multipart) -> Response {
    if let Err(why) = may(&user, Action::ReportSuspicion) {
        return forbidden(&user, &why);
    }
    let blobs = BlobStore::of(&state.config.evidence_dir, &state.store);
    let r = match read(&user, &blobs, form).await {
        Ok(r) => r,
        Err((code, msg)) => return page(&user, code, Some(msg), &Values::default()),
    };
    if let Err(resp) = user.check_csrf(&r.csrf) {
        return resp;
    }
    let values = Values {
        what: r.what.clone(),
        when: r.when.clone(),
        place: r.place.clone(),
        contact: r.contact.clone(),
    };
    let occurred = match when(&user, &r.when) {
        Ok(t) => t,
        Err(e) => return page(&user, StatusCode::UNPROCESSABLE_ENTITY, Some(e), &values),
    };
    let what = r.what.trim();
    if what.is_empty() {
        return page(
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(crate::i18n::t(user.lang, "report-need-what", &[])),
            &values,
        );
    }
    let reporter = user.principal.user.username.as_str().to_string();
    let first_line: String = what
        .lines()
        .next()
        .unwrap_or(what)
        .chars()
        .take(150)
        .collect();
    let description = format!(
        "Reported by {} ({reporter}).\n\nWhat: {what}\nWhen: {}\nWhere: {}\nContact: {}",
        user.principal.user.display_name,
        if r.when.trim().is_empty() {
            "not said"
        } else {
            r.when.trim()
        },
        if r.place.trim().is_empty() {
            "not said"
        } else {
            r.place.trim()
        },
        if r.contact.trim().is_empty() {
            "not said"
        } else {
            r.contact.trim()
        },
    );
    let mut payload = json!({
        "type": "human-report",
        "source": "report-page",
        "sourceRef": uuid::Uuid::now_v7().to_string(),
        "title": format!("Reported: {first_line}"),
        "description": description,
        "severity": 2,
        "tags": ["reported-by-person"],
        "summary": format!("reporter={reporter}; contact={}", r.contact.trim()),
    });
    if let Some(t) = occurred {
        payload["date"] = t.to_string().into();
    }
    let input: AlertInput = match serde_json::from_value(payload.clone()) {
        Ok(i) => i,
        Err(e) => {
            return page(
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(e.to_string()),
                &values,
            );
        }
    };
    // The raw payload keeps what the person typed and the file's fingerprint.
    let mut raw = payload;
    raw["reporter"] = json!({"username": reporter, "name": user.principal.user.display_name, "contact": r.contact.trim(), "where": r.place.trim(), "when": r.when.trim()});
    if let Some(f) = r.file {
        raw["attachment"] = f;
    }
    let new = match NewAlert::from_input(input, raw) {
        Ok(a) => a,
        Err(problems) => {
            let msg = problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ");
            return page(&user, StatusCode::UNPROCESSABLE_ENTITY, Some(msg), &values);
        }
    };
    match state.app.report_suspicion(&user.caller(), new).await {
        Ok(receipt) => {
            let frame = super::Frame::page(&user, "report", None);
            let view = ReportPage {
                frame,
                values: &Values::default(),
                sent: Some(receipt.alert.number),
            };
            render_view("report.html", StatusCode::CREATED, &view)
        }
        Err(e) => app_error(&user, e),
    }
}

/// The reports this person sent, newest first, with what became of them.
pub async fn mine(State(state): State<AppState>, user: WebUser) -> Response {
    if let Err(why) = may(&user, Action::ReportSuspicion) {
        return forbidden(&user, &why);
    }
    let me = user.principal.user.username.as_str();
    let alerts = match state
        .app
        .alerts(
            &user.caller(),
            &AlertQuery {
                limit: 1_000,
                ..Default::default()
            },
        )
        .await
    {
        Ok(a) => a,
        Err(e) => return app_error(&user, e),
    };
    let reports = alerts
        .iter()
        .filter(|a| a.key.kind == "human-report" && a.received_by == me)
        .map(|a| SentReport {
            number: a.number,
            title: &a.title,
            status: a.status,
            received: a.first_seen,
            acknowledged_by: a.acknowledged_by.as_deref(),
            acknowledged_at: a.acknowledged_at,
        })
        .collect();
    let frame = super::Frame::page(&user, "report", None);
    render_view("reports.html", StatusCode::OK, &MinePage { frame, reports })
}

/// The reports this person sent.
#[derive(Debug, serde::Serialize)]
struct MinePage<'a> {
    #[serde(flatten)]
    frame: super::Frame,
    reports: Vec<SentReport<'a>>,
}

/// A report sent, and what became of it.
#[derive(Debug, serde::Serialize)]
struct SentReport<'a> {
    number: i64,
    title: &'a str,
    status: debrief_domain::alert::AlertStatus,
    received: Timestamp,
    acknowledged_by: Option<&'a str>,
    acknowledged_at: Option<Timestamp>,
}
