//! `/api/v1/incidents/{incident}/evidence…`: streamed uploads hashed as they are written,
//! content-addressed storage, chain of custody, and downloads that re-check the hash first.

use axum::Json;
use axum::body::Body;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use debrief_domain::evidence::{CustodyAction, Evidence, NewEvidence};
use debrief_domain::{Action, Timestamp};
use debrief_store::blobs::{BlobError, BlobStore, Stored};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::IncidentView;
use super::incidents::{Need, apply, check, load, resolve};
use super::{ApiJson, ApiUser};
use crate::AppState;
use crate::error::{ApiError, ApiResult};

#[derive(Debug, Serialize, ToSchema)]
pub struct CustodyView {
    pub action: String,
    pub at: String,
    pub from: String,
    pub to: String,
    pub location: String,
    pub note: String,
    pub recorded_by: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceView {
    pub id: u64,
    pub name: String,
    pub sha256: String,
    pub size: u64,
    pub media_type: String,
    pub description: String,
    pub collected_by: String,
    pub collected_from: String,
    pub collected_at: String,
    pub custody: Vec<CustodyView>,
}

pub fn view(e: &Evidence) -> EvidenceView {
    EvidenceView {
        id: e.id,
        name: e.name.clone(),
        sha256: e.sha256.clone(),
        size: e.size,
        media_type: e.media_type.clone(),
        description: e.description.clone(),
        collected_by: e.collected_by.clone(),
        collected_from: e.collected_from.clone(),
        collected_at: e.collected_at.to_string(),
        custody: e
            .custody
            .iter()
            .map(|c| CustodyView {
                action: c.action.as_str().into(),
                at: c.at.to_string(),
                from: c.from.clone(),
                to: c.to.clone(),
                location: c.location.clone(),
                note: c.note.clone(),
                recorded_by: c.recorded_by.clone(),
            })
            .collect(),
    }
}

impl From<BlobError> for ApiError {
    fn from(e: BlobError) -> Self {
        match e {
            BlobError::TooLarge { .. } => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too-large", e.to_string())
            }
            BlobError::Mismatch { .. } => {
                ApiError::new(StatusCode::CONFLICT, "evidence-altered", e.to_string())
            }
            BlobError::Missing(_) => {
                ApiError::new(StatusCode::GONE, "evidence-missing", e.to_string())
            }
            BlobError::BadHash(_) => ApiError::unprocessable(e.to_string()),
            BlobError::Io(io) => {
                tracing::error!(error = %io, "evidence storage failed");
                ApiError::internal()
            }
        }
    }
}

/// The fields of an evidence upload, and the stored file.
#[derive(Debug, Default)]
pub struct Upload {
    pub stored: Option<Stored>,
    pub name: String,
    pub media_type: String,
    pub description: String,
    pub collected_by: String,
    pub collected_from: String,
    pub collected_at: String,
    pub csrf: String,
}

/// Reads a multipart upload, streaming the `file` part into the evidence store.
/// With `csrf`, the form's `_csrf` field must come before the file and match, or nothing is stored.
pub async fn read_upload(
    blobs: &BlobStore,
    max: u64,
    mut form: Multipart,
    csrf: Option<&str>,
) -> Result<Upload, ApiError> {
    let mut up = Upload::default();
    let bad = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                format!("the file is larger than the {max} bytes allowed"),
            )
        } else {
            ApiError::bad_request(format!(
                "the upload is not a valid multipart form: {}",
                e.body_text()
            ))
        }
    };
    while let Some(mut field) = form.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            if let Some(expected) = csrf
                && !crate::auth::same_secret(&up.csrf, expected)
            {
                return Err(ApiError::forbidden(
                    "this form expired or did not come from Debrief; reload the page and try again",
                ));
            }
            up.name = field.file_name().unwrap_or("").to_string();
            up.media_type = field
                .content_type()
                .unwrap_or("application/octet-stream")
                .to_string();
            let mut writer = blobs.writer(max).await?;
            loop {
                match field.chunk().await {
                    Ok(Some(chunk)) => writer.write(&chunk).await?,
                    Ok(None) => break,
                    Err(e) => {
                        writer.abort().await;
                        return Err(bad(e));
                    }
                }
            }
            up.stored = Some(writer.finish().await?);
        } else {
            let value = field.text().await.map_err(bad)?;
            match name.as_str() {
                "description" => up.description = value,
                "collected_by" => up.collected_by = value,
                "collected_from" => up.collected_from = value,
                "collected_at" => up.collected_at = value,
                "name" => up.name = value,
                "_csrf" => up.csrf = value,
                other => {
                    return Err(ApiError::unprocessable(format!(
                        "unknown form field `{other}`"
                    )));
                }
            }
        }
    }
    Ok(up)
}

impl Upload {
    /// The evidence to record, once the file is stored. The collection time is RFC 3339, or —
    /// from a page, given the reader's `zone` — a local time there.
    pub fn to_new(
        &self,
        default_collector: &str,
        zone: Option<&debrief_domain::Zone>,
    ) -> Result<NewEvidence, ApiError> {
        let stored = self
            .stored
            .as_ref()
            .ok_or_else(|| ApiError::unprocessable("the upload has no `file` part"))?;
        let collected_at = match (self.collected_at.trim(), zone) {
            ("", _) => Timestamp::now(),
            (t, Some(z)) => z.read("collected_at", t, debrief_domain::DateAlone::Refused)?,
            (t, None) => Timestamp::parse(t)?,
        };
        Ok(NewEvidence {
            name: self.name.clone(),
            sha256: stored.sha256.clone(),
            size: stored.size,
            media_type: self.media_type.clone(),
            description: self.description.clone(),
            collected_by: if self.collected_by.trim().is_empty() {
                default_collector.into()
            } else {
                self.collected_by.clone()
            },
            collected_from: self.collected_from.clone(),
            collected_at,
        })
    }
}

/// Upload a file as evidence (multipart: `file`, and optionally `collected_by`, `collected_from`,
/// `collected_at`, `description`). Its SHA-256 is computed while it is written.
#[utoipa::path(operation_id = "add_evidence", post, path = "/api/v1/incidents/{incident}/evidence", tag = "evidence",
    params(("incident" = String, Path, description = "Number or UUID")),
    responses((status = 201, body = EvidenceView), (status = 409, body = crate::error::Problem), (status = 413, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn upload(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
    form: Multipart,
) -> ApiResult<(StatusCode, Json<EvidenceView>)> {
    let id = resolve(&state, &user, &reference).await?;
    // Check the role before taking the bytes.
    check(
        &user,
        Action::WorkIncident(&state.app.incident_by_id(&user.caller(), id).await?),
    )?;
    let blobs = BlobStore::of(&state.config.evidence_dir, &state.store);
    let up = read_upload(
        &blobs,
        state.config.evidence_max_bytes,
        form,
        user.0.csrf.as_deref(),
    )
    .await?;
    let new = up.to_new(user.0.user.username.as_str(), None)?;
    let incident = apply(&state, &user, id, None, Need::Work, |c| {
        c.add_evidence(&new).map(|e| vec![e])
    })
    .await?;
    let e = incident
        .evidence
        .iter()
        .find(|e| e.sha256 == new.sha256)
        .ok_or_else(ApiError::internal)?;
    Ok((StatusCode::CREATED, Json(view(e))))
}

/// The incident's evidence with chains of custody.
#[utoipa::path(operation_id = "list_evidence", get, path = "/api/v1/incidents/{incident}/evidence", tag = "evidence",
    params(("incident" = String, Path, description = "Number or UUID")),
    responses((status = 200, body = Vec<EvidenceView>), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    user: ApiUser,
    Path(reference): Path<String>,
) -> ApiResult<Json<Vec<EvidenceView>>> {
    check(&user, Action::ReadIncidents)?;
    Ok(Json(
        load(&state, &user, &reference)
            .await?
            .evidence
            .iter()
            .map(view)
            .collect(),
    ))
}

/// Streams a verified evidence file (only after its SHA-256 has been checked again), recording
/// who took it out in the access log.
pub async fn send_file(
    state: &AppState,
    reader: &super::reports::Reader,
    incident: &debrief_domain::Incident,
    e: &Evidence,
) -> Result<Response, ApiError> {
    let path = BlobStore::of(&state.config.evidence_dir, &state.store)
        .verified_path(&e.sha256)
        .await?;
    super::reports::record_read(
        state,
        reader,
        Some(incident),
        super::reports::Read {
            action: "evidence",
            kind: "evidence".into(),
            what: format!("evidence {} {}", e.id, e.name),
            sha256: Some(e.sha256.clone()),
            ..Default::default()
        },
    )
    .await?;
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(BlobError::from)?;
    let stream = tokio_util::io::ReaderStream::new(file);
    let mut res = Body::from_stream(stream).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    let safe: String = e
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&e.sha256) {
        h.insert("x-content-sha256", v);
    }
    if let Ok(v) = HeaderValue::from_str(&e.size.to_string()) {
        h.insert(header::CONTENT_LENGTH, v);
    }
    Ok(res)
}

/// Download an evidence file; refused with 409 if the stored file no longer matches its hash.
#[utoipa::path(operation_id = "download_evidence", get, path = "/api/v1/incidents/{incident}/evidence/{id}/content", tag = "evidence",
    params(("incident" = String, Path, description = "Number or UUID"), ("id" = u64, Path)),
    responses((status = 200, description = "The file"), (status = 409, body = crate::error::Problem), (status = 410, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn download(
    State(state): State<AppState>,
    user: ApiUser,
    Path((reference, eid)): Path<(String, u64)>,
) -> ApiResult<Response> {
    check(&user, Action::ReadIncidents)?;
    let incident = load(&state, &user, &reference).await?;
    let e = incident
        .evidence
        .iter()
        .find(|e| e.id == eid)
        .ok_or_else(|| {
            ApiError::not_found(format!("#{} has no evidence {eid}", incident.number))
        })?;
    send_file(&state, &super::reports::Reader::of(&user.0), &incident, e).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustodyRequest {
    /// `collected`, `transferred`, `stored`, `examined`, `returned` or `destroyed`.
    #[serde(deserialize_with = "crate::de::choice")]
    #[schema(value_type = String)]
    pub action: CustodyAction,
    /// When (RFC 3339); now when absent.
    pub at: Option<String>,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub note: String,
}

/// Add a link to an evidence's chain of custody.
#[utoipa::path(operation_id = "record_custody", post, path = "/api/v1/incidents/{incident}/evidence/{id}/custody", tag = "evidence",
    request_body = CustodyRequest,
    params(("incident" = String, Path, description = "Number or UUID"), ("id" = u64, Path)),
    responses((status = 200, body = IncidentView), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn custody(
    State(state): State<AppState>,
    user: ApiUser,
    Path((reference, eid)): Path<(String, u64)>,
    ApiJson(req): ApiJson<CustodyRequest>,
) -> ApiResult<Json<IncidentView>> {
    let action = req.action;
    let at = match req.at.as_deref().filter(|a| !a.trim().is_empty()) {
        Some(a) => Timestamp::parse(a)?,
        None => Timestamp::now(),
    };
    let id = resolve(&state, &user, &reference).await?;
    let incident = apply(&state, &user, id, None, Need::Work, |c| {
        c.record_custody(
            eid,
            action,
            at,
            &req.from,
            &req.to,
            &req.location,
            &req.note,
        )
        .map(|e| vec![e])
    })
    .await?;
    Ok(Json(IncidentView::from(&incident)))
}
