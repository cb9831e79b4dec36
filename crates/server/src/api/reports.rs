//! Reports through the API: an incident's final report or postmortem report, rendered in
//! Markdown, HTML or JSON, in English or French, sealed with the installation's key, and
//! recorded in the access log as read by whoever asked (who, what, when, from where).

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use debrief_domain::{Action, Incident, Language, Timestamp};
use debrief_report::integrity::Seal;
use serde::Deserialize;
use utoipa::IntoParams;

use super::incidents::{check, load};
use super::{ApiQuery, ApiUser};
use crate::AppState;
use crate::error::{ApiError, ApiResult};
use debrief_report::{ExchangeFormat, ReportFormat, ReportKind};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportParams {
    /// `md` (default), `html`, `json`, `pdf` or `docx`.
    #[serde(default, deserialize_with = "crate::de::maybe")]
    #[param(value_type = Option<String>)]
    pub format: Option<ReportFormat>,
    /// `en` (default) or `fr`.
    #[serde(default, deserialize_with = "crate::de::maybe")]
    #[param(value_type = Option<String>)]
    pub lang: Option<Language>,
}

impl From<debrief_report::ReportError> for ApiError {
    fn from(e: debrief_report::ReportError) -> Self {
        ApiError::unprocessable(e.to_string())
    }
}

/// An incident as its verified journal says it is: the chain of its entries checked, folded
/// afresh, and the stored projection (row, search documents, observable index) compared with
/// that fold. Reports and exports are rendered from this — never from the projection alone —
/// so a sealed document cannot carry an edited database; a record that does not verify is
/// refused (409) with what is wrong.
pub async fn checked_record(
    state: &AppState,
    who: &debrief_app::Caller,
    incident: &Incident,
) -> ApiResult<(Incident, Vec<debrief_domain::JournalEntry>)> {
    let journal = state.app.journal(who, incident.id).await?;
    let refuse = |why: String| {
        tracing::error!(incident = incident.number, %why, "a record does not verify; export refused");
        ApiError::new(
            axum::http::StatusCode::CONFLICT,
            "record-does-not-verify",
            format!(
                "incident #{} does not verify ({why}); nothing was exported — run `debrief verify` and restore the database from a backup",
                incident.number
            ),
        )
    };
    if let Some(b) = debrief_domain::journal::verify_incident(incident.id, &journal)
        .into_iter()
        .next()
    {
        return Err(refuse(b.problem));
    }
    let folded = Incident::from_journal(&journal).map_err(|e| refuse(e.to_string()))?;
    let stored = state
        .store
        .stored_projections(debrief_store::Scope::Incident(incident.id))
        .await?;
    let stored = stored.first().cloned().unwrap_or_default();
    if let Some(d) = debrief_store::verify::projection_differences(&journal, &folded, &stored)
        .into_iter()
        .next()
    {
        return Err(refuse(d));
    }
    Ok((folded, journal))
}

/// Who reads, and from where: what the access log records of each report, export and evidence
/// file handed out.
#[derive(Debug, Clone)]
pub struct Reader {
    pub name: String,
    pub address: String,
    /// Who reads, as the application layer authorises reads.
    pub caller: debrief_app::Caller,
    /// Their own time zone, when they chose one (else the installation's).
    pub zone: Option<debrief_domain::Zone>,
}

impl Reader {
    /// A signed-in person or API client.
    pub fn of(p: &crate::auth::Principal) -> Reader {
        Reader {
            name: p.user.username.as_str().to_string(),
            address: p.address.clone(),
            caller: p.caller(),
            zone: p.user.timezone.clone(),
        }
    }

    /// Someone at the terminal (`debrief report`, `debrief export`, `debrief evidence get`).
    pub fn terminal(actor: &debrief_domain::text::Actor) -> Reader {
        Reader {
            name: actor.as_str().to_string(),
            address: "cli".into(),
            caller: debrief_app::Caller::operator(actor.clone()),
            zone: None,
        }
    }
}

/// What was read, for the access log.
#[derive(Debug, Clone, Default)]
pub struct Read {
    /// `report`, `export` or `evidence`.
    pub action: &'static str,
    /// The report kind, the export format (and table), or `evidence`.
    pub kind: String,
    pub format: String,
    pub lang: String,
    /// The journal entry the document reflects.
    pub entry: Option<u64>,
    /// In words, for a log line.
    pub what: String,
    pub sha256: Option<String>,
}

/// Records one read in the access log; a read that cannot be recorded is not handed out.
pub async fn record_read(
    state: &AppState,
    reader: &Reader,
    incident: Option<&Incident>,
    read: Read,
) -> ApiResult<()> {
    state
        .app
        .record_access(
            &reader.caller,
            debrief_store::access::AccessRecord {
                at: Timestamp::now(),
                actor: reader.name.clone(),
                action: read.action.to_string(),
                incident_id: incident.map(|i| i.id),
                number: incident.map(|i| i.number),
                what: read.what,
                sha256: read.sha256,
                address: reader.address.clone(),
                kind: read.kind,
                format: read.format,
                lang: read.lang,
                entry: read.entry.and_then(|e| i64::try_from(e).ok()),
            },
        )
        .await?;
    Ok(())
}

/// Renders, seals and records (in the access log) the export of `kind` of `incident` read by
/// `reader`: the sealed document.
pub async fn export(
    state: &AppState,
    reader: &Reader,
    incident: &Incident,
    kind: ReportKind,
    format: ReportFormat,
    lang: Language,
) -> ApiResult<Vec<u8>> {
    // The report crate's engine and the seal name them as text.
    let (kind, format) = (kind.as_str(), format.as_str());
    let (checked, journal) = checked_record(state, &reader.caller, incident).await?;
    let incident = &checked;
    let now = Timestamp::now();
    let snap = debrief_report::Snapshot {
        incident,
        journal: &journal,
        obligations: incident.obligations(&state.config.regimes, now),
        effectiveness: debrief_domain::effectiveness::effectiveness(
            incident,
            &state.config.targets,
        ),
        generated_at: now,
        zone: reader
            .zone
            .clone()
            .unwrap_or_else(|| state.config.timezone.clone()),
    };
    let last = journal.last();
    let seal = Seal {
        incident: incident.number,
        kind: kind.to_string(),
        format: format.to_string(),
        lang: lang.as_str().to_string(),
        journal_seq: last.map_or(0, |e| e.seq),
        journal_head: last.map(|e| e.hash.to_hex()).unwrap_or_default(),
        template_version: debrief_report::TEMPLATE_VERSION.to_string(),
        generated_at: now.to_string(),
        sha256: String::new(),
        public_key: state.key.public_hex(),
        signature: String::new(),
    };
    let document = if format == "pdf" {
        let source = debrief_report::pdf_source(&state.config.reports, kind, lang, &snap)?;
        let pdf = typeset(&source).await?;
        debrief_report::integrity::seal_pdf(&pdf, seal, |m| state.key.sign_hex(m))
    } else if format == "docx" {
        let source = debrief_report::pdf_source(&state.config.reports, kind, lang, &snap)?;
        let docx = debrief_report::docx::render(&source)?;
        debrief_report::integrity::seal_zip(&docx, seal, |m| state.key.sign_hex(m))
    } else {
        let body = debrief_report::render(&state.config.reports, kind, format, lang, &snap)?;
        debrief_report::integrity::seal(format, &body, seal, |m| state.key.sign_hex(m)).into_bytes()
    };
    let sealed =
        debrief_report::integrity::check_bytes(&document, |_, _, _| true).map_err(|e| {
            tracing::error!(error = %e, "a report just sealed does not open");
            ApiError::internal()
        })?;
    // Who read it goes to the access log; the journal keeps facts about the incident.
    record_read(
        state,
        reader,
        Some(incident),
        Read {
            action: "report",
            kind: kind.to_string(),
            format: format.to_string(),
            lang: lang.as_str().to_string(),
            entry: Some(sealed.journal_seq),
            what: format!(
                "{kind} {format} {} (entry {})",
                lang.as_str(),
                sealed.journal_seq
            ),
            sha256: Some(sealed.sha256),
        },
    )
    .await?;
    Ok(document)
}

/// Typesets a PDF off the async threads (typst is CPU work).
#[cfg(not(feature = "pdf"))]
async fn typeset(_source: &str) -> ApiResult<Vec<u8>> {
    Err(ApiError::unprocessable(
        "this build of Debrief has no PDF support (feature `pdf`); choose md, html or json",
    ))
}

/// Typesets a PDF off the async threads (typst is CPU work).
#[cfg(feature = "pdf")]
async fn typeset(source: &str) -> ApiResult<Vec<u8>> {
    let source = source.to_string();
    tokio::task::spawn_blocking(move || debrief_pdf::render(&source))
        .await
        .map_err(|_| ApiError::internal())?
        .map_err(|e| {
            tracing::error!(error = %e, "typesetting a report failed");
            ApiError::internal()
        })
}

/// The program report over a period, sealed: the seal ties it to the ledger head (the last entry
/// across all incidents) instead of one incident's journal.
pub async fn program(
    state: &AppState,
    reader: &Reader,
    params: &super::metrics::MetricsParams,
    format: ReportFormat,
    lang: Language,
) -> ApiResult<Vec<u8>> {
    let format = format.as_str();
    let m = super::metrics::figures(state, &reader.caller, params).await?;
    let now = Timestamp::now();
    let zone = reader
        .zone
        .clone()
        .unwrap_or_else(|| state.config.timezone.clone());
    let d = |t: Option<Timestamp>| t.map(|t| debrief_report::context::day(t, lang, &zone));
    let period = match (d(m.filter.from), d(m.filter.to)) {
        (None, None) => "—".to_string(),
        (a, b) => format!(
            "{} – {}",
            a.unwrap_or_else(|| "…".into()),
            b.unwrap_or_else(|| "…".into())
        ),
    };
    let head = state.store.head().await?;
    let seal = Seal {
        incident: 0,
        kind: "program".into(),
        format: format.to_string(),
        lang: lang.as_str().to_string(),
        journal_seq: u64::try_from(head.gseq).unwrap_or(0),
        journal_head: head.hash.clone(),
        template_version: debrief_report::TEMPLATE_VERSION.to_string(),
        generated_at: now.to_string(),
        sha256: String::new(),
        public_key: state.key.public_hex(),
        signature: String::new(),
    };
    let document = if format == "pdf" {
        let source = debrief_report::program_pdf_source(&m, &period, lang, now, &zone)?;
        let pdf = typeset(&source).await?;
        debrief_report::integrity::seal_pdf(&pdf, seal, |msg| state.key.sign_hex(msg))
    } else if format == "docx" {
        let source = debrief_report::program_pdf_source(&m, &period, lang, now, &zone)?;
        let docx = debrief_report::docx::render(&source)?;
        debrief_report::integrity::seal_zip(&docx, seal, |msg| state.key.sign_hex(msg))
    } else {
        let body = debrief_report::render_program(&m, &period, format, lang, now, &zone)?;
        debrief_report::integrity::seal(format, &body, seal, |msg| state.key.sign_hex(msg))
            .into_bytes()
    };
    record_read(
        state,
        reader,
        None,
        Read {
            action: "report",
            kind: "program".into(),
            format: format.to_string(),
            lang: lang.as_str().to_string(),
            entry: None,
            what: format!("program {format} {} ({period})", lang.as_str()),
            sha256: Some(hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
                &document,
            ))),
        },
    )
    .await?;
    Ok(document)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ProgramParams {
    pub from: Option<String>,
    pub to: Option<String>,
    /// `md` (default), `html`, `json`, `pdf` or `docx`.
    #[serde(default, deserialize_with = "crate::de::maybe")]
    #[param(value_type = Option<String>)]
    pub format: Option<ReportFormat>,
    /// `en` (default) or `fr`.
    #[serde(default, deserialize_with = "crate::de::maybe")]
    #[param(value_type = Option<String>)]
    pub lang: Option<Language>,
}

/// The program report over a period (incidents handled, response times as mean, median and p90,
/// labour, actions, costs, notification compliance, recommendations, recurrence, a monthly chart),
/// sealed and tied to the ledger head.
#[utoipa::path(operation_id = "program_report", get, path = "/api/v1/reports/program", tag = "reports", params(ProgramParams),
    responses((status = 200, description = "The sealed document", content_type = "text/markdown"), (status = 400, body = crate::error::Problem),
        (status = 401, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn get_program(
    State(state): State<AppState>,
    user: ApiUser,
    ApiQuery(p): ApiQuery<ProgramParams>,
) -> ApiResult<Response> {
    check(&user, Action::ReadIncidents)?;
    let format = p.format.unwrap_or(ReportFormat::Md);
    let lang = p.lang.unwrap_or(Language::En);
    let params = super::metrics::MetricsParams {
        from: p.from.clone(),
        to: p.to.clone(),
        ..Default::default()
    };
    let doc = program(&state, &Reader::of(&user.0), &params, format, lang).await?;
    let mime = debrief_report::media_type(format.as_str());
    let mut res = doc.into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    Ok(res)
}

/// Exports an incident in an exchange format (`stix`: a STIX 2.1 bundle; `csv`: one of its
/// tables, the attack timeline unless `table` says otherwise), recording the export in its
/// journal.
pub async fn exchange(
    state: &AppState,
    reader: &Reader,
    incident: &Incident,
    format: ExchangeFormat,
    table: Option<&str>,
) -> ApiResult<String> {
    let table = table.filter(|t| !t.is_empty()).unwrap_or("timeline");
    let (checked, _) = checked_record(state, &reader.caller, incident).await?;
    let incident = &checked;
    let text = match format {
        ExchangeFormat::Csv => debrief_report::tables::table(table, &[incident])
            .map_err(|e| ApiError::unprocessable(e.to_string()))?,
        ExchangeFormat::Veris => json_text(&debrief_report::veris::record(incident)),
        ExchangeFormat::Misp => json_text(&debrief_report::misp::event(incident)),
        ExchangeFormat::Stix => json_text(&debrief_report::stix::bundle(
            incident,
            &state.config.mail_from,
            Timestamp::now(),
        )),
    };
    let (kind, what) = match format {
        ExchangeFormat::Csv => (
            format!("csv-{table}"),
            format!("csv {table} (entry {})", incident.seq),
        ),
        _ => (
            format.to_string(),
            format!("{format} (entry {})", incident.seq),
        ),
    };
    record_read(
        state,
        reader,
        Some(incident),
        Read {
            action: "export",
            kind,
            format: if format == ExchangeFormat::Csv {
                "csv"
            } else {
                "json"
            }
            .into(),
            lang: String::new(),
            entry: Some(incident.seq),
            what,
            sha256: Some(hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
                text.as_bytes(),
            ))),
        },
    )
    .await?;
    Ok(text)
}

fn json_text(doc: &serde_json::Value) -> String {
    serde_json::to_string_pretty(doc).unwrap_or_default() + "\n"
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportParams {
    /// `stix` (a STIX 2.1 bundle), `veris` (a VERIS 1.4 record), `misp` (a MISP event) or `csv`.
    #[serde(deserialize_with = "crate::de::choice")]
    #[param(value_type = String)]
    pub format: ExchangeFormat,
    /// For `csv`: `timeline` (the default), `observables`, `recommendations` or `incidents` (the
    /// incident's own row).
    pub table: Option<String>,
}

/// Export an incident in an exchange format: `stix` — a STIX 2.1 bundle (the incident with the
/// Incident Core Extension, indicators for its indicators of compromise, observed data, the TLP
/// 2.0 marking, a report); `veris` — a VERIS 1.4 record; `misp` — a MISP event; `csv` — one of
/// its tables (`table`: timeline by default). Recorded in the access log.
#[utoipa::path(operation_id = "export", get, path = "/api/v1/incidents/{incident}/export", tag = "reports",
    params(("incident" = String, Path, description = "Number or UUID"), ExportParams),
    responses((status = 200, description = "The export: JSON, or text/csv for format=csv", content_type = "application/json"), (status = 401, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn get_export(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
    ApiQuery(p): ApiQuery<ExportParams>,
) -> ApiResult<Response> {
    check(&user, Action::ReadIncidents)?;
    let incident = load(&state, &user, &reference).await?;
    let text = exchange(
        &state,
        &Reader::of(&user.0),
        &incident,
        p.format,
        p.table.as_deref(),
    )
    .await?;
    let mut res = text.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(if p.format == ExchangeFormat::Csv {
            "text/csv; charset=utf-8"
        } else {
            "application/json"
        }),
    );
    Ok(res)
}

/// An incident's report (`final` or `postmortem`), sealed, in Markdown, HTML or JSON, English or
/// French. Every export is recorded in the access log.
#[utoipa::path(operation_id = "report", get, path = "/api/v1/incidents/{incident}/reports/{kind}", tag = "reports",
    params(("incident" = String, Path, description = "Number or UUID"), ("kind" = String, Path, description = "final or postmortem"), ReportParams),
    responses((status = 200, description = "The sealed document", content_type = "text/markdown"), (status = 401, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn get_report(
    State(state): State<AppState>,
    user: ApiUser,
    Path((reference, kind)): Path<(String, String)>,
    ApiQuery(p): ApiQuery<ReportParams>,
) -> ApiResult<Response> {
    check(&user, Action::ReadIncidents)?;
    let kind: ReportKind = kind.parse()?;
    let incident = load(&state, &user, &reference).await?;
    let format = p.format.unwrap_or(ReportFormat::Md);
    let lang = p.lang.unwrap_or(Language::En);
    let doc = export(&state, &Reader::of(&user.0), &incident, kind, format, lang).await?;
    let mime = debrief_report::media_type(format.as_str());
    let file = format!(
        "incident-{}-{kind}-{}.{format}",
        incident.number,
        lang.as_str()
    );
    let mut res = doc.into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}
