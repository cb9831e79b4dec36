//! Reports from the incident page: a form (CSRF-checked, since the export is recorded in the
//! journal) answered with the sealed document as a download.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use debrief_domain::{Action, Language};

use debrief_report::{ExchangeFormat, ReportFormat, ReportKind};

use super::WebUser;
use super::form::{WebForm, choice};
use super::pages::{forbidden, may, resolve_number};
use crate::AppState;

/// The report form on the incident page: which report, in which format and language.
#[derive(Debug, serde::Deserialize)]
pub struct ReportForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(deserialize_with = "choice")]
    kind: Download,
    #[serde(deserialize_with = "choice")]
    format: ReportFormat,
    #[serde(default)]
    lang: Option<Language>,
}

/// What the form's one list offers: a report, or the incident in an exchange format.
#[derive(Debug, Clone, Copy)]
enum Download {
    Report(ReportKind),
    Export(ExchangeFormat),
}

impl std::str::FromStr for Download {
    type Err = debrief_domain::DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.parse::<ExchangeFormat>() {
            Ok(x) => Ok(Download::Export(x)),
            Err(_) => s.parse().map(Download::Report),
        }
    }
}

pub async fn download(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    WebForm(f): WebForm<ReportForm>,
) -> Response {
    if let Err(r) = user.check_csrf(&f.csrf) {
        return r;
    }
    if let Err(why) = may(&user, Action::ReadIncidents) {
        return forbidden(&user, &why);
    }
    let id = match resolve_number(&state, &user, &number).await {
        Ok(id) => id,
        Err(r) => return r,
    };
    let incident = match super::pages::incident_for(&state, &user, id).await {
        Ok(i) => i,
        Err(r) => return r,
    };
    let lang = f.lang.unwrap_or(user.lang);
    let who = crate::api::reports::Reader::of(&user.principal);
    // The exchange formats (STIX, VERIS, MISP) are JSON whatever format was chosen; CSV is the
    // attack timeline.
    let (result, format, file) = match f.kind {
        Download::Export(exchange) => {
            let format = if exchange == ExchangeFormat::Csv {
                "csv"
            } else {
                "json"
            };
            let file = if exchange == ExchangeFormat::Csv {
                format!("incident-{}-timeline.csv", incident.number)
            } else {
                format!(
                    "incident-{}-{exchange}-{}.json",
                    incident.number,
                    lang.as_str()
                )
            };
            let doc = crate::api::reports::exchange(&state, &who, &incident, exchange, None)
                .await
                .map(String::into_bytes);
            (doc, format, file)
        }
        Download::Report(kind) => {
            let format = f.format.as_str();
            let file = format!(
                "incident-{}-{kind}-{}.{format}",
                incident.number,
                lang.as_str()
            );
            let doc =
                crate::api::reports::export(&state, &who, &incident, kind, f.format, lang).await;
            (doc, format, file)
        }
    };
    match result {
        Ok(doc) => {
            let mime = debrief_report::media_type(format);
            let mut res = doc.into_response();
            res.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
                res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            res
        }
        Err(e) => super::error_page(
            user.lang,
            Some(&user),
            if e.status.is_client_error() {
                e.status
            } else {
                StatusCode::INTERNAL_SERVER_ERROR
            },
            "error-not-found",
            &e.detail,
        ),
    }
}
