//! TheHive's case routes: a case (an incident) created, read, changed — title, description,
//! severity, dates, tags, TLP/PAP, assignee, status — and given observables; every field is
//! checked before the first change is written.

use super::*;

/// The case fields Debrief takes, on creation and in PATCH.
pub(super) const CASE_FIELDS: &[&str] = &[
    "title",
    "description",
    "severity",
    "startDate",
    "tags",
    "addTags",
    "removeTags",
    "flag",
    "tlp",
    "pap",
    "status",
    "assignee",
];

/// The impact factors a TheHive severity stands for: with the default matrix they score back to
/// the same TheHive severity (1 low, 2 medium, 3 high, 4 critical).
fn factors_for(severity: i64) -> ApiResult<(FunctionalImpact, InformationImpact, Recoverability)> {
    Ok(match severity {
        1 => (
            FunctionalImpact::Low,
            InformationImpact::None,
            Recoverability::Regular,
        ),
        2 => (
            FunctionalImpact::Medium,
            InformationImpact::None,
            Recoverability::Supplemented,
        ),
        3 => (
            FunctionalImpact::High,
            InformationImpact::None,
            Recoverability::Regular,
        ),
        4 => (
            FunctionalImpact::High,
            InformationImpact::Integrity,
            Recoverability::Extended,
        ),
        other => {
            return Err(ApiError::unprocessable(format!(
                "`severity` is {other}; use 1 (low), 2 (medium), 3 (high) or 4 (critical)"
            )));
        }
    })
}

/// TheHive case fields, read and checked — every one of them — before anything is written.
#[derive(Debug, Default)]
pub(super) struct CaseChanges {
    title: Option<String>,
    description: Option<String>,
    severity: Option<(FunctionalImpact, InformationImpact, Recoverability)>,
    tlp: Option<debrief_domain::triage::Tlp>,
    pap: Option<debrief_domain::triage::Pap>,
    /// `tags`: the whole list (what is not in it goes).
    tags: Option<Vec<String>>,
    add_tags: Vec<String>,
    remove_tags: Vec<String>,
    status: Option<(Status, String)>,
    start: Option<Timestamp>,
    /// `assignee`: given (`Some`), to someone (`Some(Some)`) or to no one.
    assignee: Option<Option<String>>,
}

pub(super) const CASE_WHY: &str = "through the TheHive-compatible API";

impl CaseChanges {
    /// Reads the case fields; an assignee must be a user a case can be given to.
    pub(super) async fn parse(
        state: &AppState,
        fields: &Map<String, Value>,
    ) -> ApiResult<CaseChanges> {
        let text = |name: &str| {
            fields
                .get(name)
                .map(|v| text_field(name, v).map(str::to_string))
                .transpose()
        };
        let status = match fields
            .get("status")
            .map(|v| text_field("status", v))
            .transpose()?
        {
            None | Some("New") => None,
            Some("InProgress") => Some((Status::Triage, String::new())),
            Some(
                s @ ("TruePositive" | "FalsePositive" | "Indeterminate" | "Other" | "Duplicated"),
            ) => Some((Status::Closed, format!("closed as {s} {CASE_WHY}"))),
            Some(other) => {
                return Err(ApiError::unprocessable(format!(
                    "case status `{other}` is not one of New, InProgress, TruePositive, FalsePositive, Indeterminate, Other, Duplicated"
                )));
            }
        };
        let assignee = match fields.get("assignee") {
            None => None,
            Some(Value::Null) => Some(None),
            Some(v) => Some(Some(
                state.app.assignable(text_field("assignee", v)?).await?,
            )),
        };
        Ok(CaseChanges {
            title: text("title")?,
            description: text("description")?,
            severity: fields
                .get("severity")
                .map(|v| level("severity", v).and_then(factors_for))
                .transpose()?,
            tlp: fields
                .get("tlp")
                .map(|v| level("tlp", v).and_then(|l| Ok(tlp_from_level(l)?)))
                .transpose()?,
            pap: fields
                .get("pap")
                .map(|v| level("pap", v).and_then(|l| Ok(pap_from_level(l)?)))
                .transpose()?,
            tags: fields
                .get("tags")
                .map(|v| string_list("tags", v))
                .transpose()?,
            add_tags: fields
                .get("addTags")
                .map(|v| string_list("addTags", v))
                .transpose()?
                .unwrap_or_default(),
            remove_tags: fields
                .get("removeTags")
                .map(|v| string_list("removeTags", v))
                .transpose()?
                .unwrap_or_default(),
            status,
            start: fields
                .get("startDate")
                .map(|v| from_ms("startDate", v))
                .transpose()?,
            assignee,
        })
    }

    /// The events these changes make on `c` (a change to what it already is makes none).
    fn decide(
        &self,
        c: &Incident,
        matrix: &debrief_domain::triage::SeverityMatrix,
        review: &debrief_domain::postmortem::ReviewPolicy,
        now: Timestamp,
    ) -> Result<Vec<debrief_domain::Event>, debrief_domain::DomainError> {
        let mut out = Vec::new();
        let mut keep = |r: Result<debrief_domain::Event, debrief_domain::DomainError>| match r {
            Ok(e) => {
                out.push(e);
                Ok(())
            }
            Err(debrief_domain::DomainError::Unchanged(_)) => Ok(()),
            Err(e) => Err(e),
        };
        if let Some(t) = &self.title {
            keep(c.change_field(Field::Title, t, CASE_WHY))?;
        }
        if let Some(d) = &self.description {
            keep(c.change_field(Field::Summary, d, CASE_WHY))?;
        }
        if let Some((f, i, r)) = self.severity {
            let current = c
                .severity
                .as_ref()
                .map(|a| (a.functional, a.information, a.recoverability));
            if current != Some((f, i, r)) {
                keep(c.assess(matrix, f, i, r, CASE_WHY))?;
            }
        }
        if self.tlp.is_some() || self.pap.is_some() {
            keep(c.set_markings(self.tlp, self.pap))?;
        }
        let mut add = self.add_tags.clone();
        let mut remove = self.remove_tags.clone();
        if let Some(tags) = &self.tags {
            remove.extend(c.tags.iter().filter(|t| !tags.contains(t)).cloned());
            add.extend(tags.iter().cloned());
        }
        if !add.is_empty() || !remove.is_empty() {
            keep(c.change_tags(&add, &remove))?;
        }
        if let Some(at) = self.start
            && c.milestone(Milestone::Detected) != Some(at)
        {
            keep(c.set_milestone(Milestone::Detected, at, "TheHive startDate", CASE_WHY, now))?;
        }
        if let Some((to, reason)) = &self.status
            && c.status != *to
            && !(*to == Status::Triage && c.status != Status::New)
        {
            keep(c.transition(*to, reason, review))?;
        }
        Ok(out)
    }

    /// Whether `c`'s assignee would change.
    fn new_assignee<'a>(&'a self, c: &Incident) -> Option<Option<&'a str>> {
        match &self.assignee {
            Some(to) if to.as_deref() != c.assignee.as_deref() => Some(to.as_deref()),
            _ => None,
        }
    }

    /// Refuses these changes on `c` — rules and the caller's rights — without writing.
    pub(super) fn check_on(&self, state: &AppState, user: &ApiUser, c: &Incident) -> ApiResult<()> {
        let who = crate::api::incidents::caller(user)?;
        Need::Work.check(&who, c)?;
        self.decide(
            c,
            &state.config.severity,
            &state.config.review,
            Timestamp::now(),
        )?;
        if let Some(to) = self.new_assignee(c) {
            Need::Assign(to).check(&who, c)?;
            c.assign(to, CASE_WHY)?;
        }
        Ok(())
    }

    /// Writes the changes on the incident, as journal entries by the caller.
    pub(super) async fn apply(
        &self,
        state: &AppState,
        user: &ApiUser,
        incident: Incident,
    ) -> ApiResult<Incident> {
        let matrix = state.config.severity.clone();
        let review = &state.config.review;
        let mut incident = apply(state, user, incident.id, None, Need::Work, |c| {
            self.decide(c, &matrix, review, Timestamp::now())
        })
        .await?;
        if let Some(to) = self.new_assignee(&incident).map(|t| t.map(str::to_string)) {
            incident = apply(
                state,
                user,
                incident.id,
                None,
                Need::Assign(to.as_deref()),
                |c| c.assign(to.as_deref(), CASE_WHY).map(|e| vec![e]),
            )
            .await?;
        }
        Ok(incident)
    }
}

/// `POST /api/v1/case`: a new case (incident) with TheHive's fields.
#[utoipa::path(operation_id = "thehive_create_case", post, path = "/api/v1/case", tag = "thehive", request_body(content = Object, description = "TheHive InputCase"), responses((status = 201, body = Object, description = "OutputCase"), (status = 400, body = crate::error::Problem), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)), security(("bearer" = []), ("basic" = [])))]
pub async fn create_case(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(fields): ApiJson<Map<String, Value>>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    only(&fields, CASE_FIELDS, "POST /api/v1/case")?;
    check(&user, Action::CreateIncident)?;
    let title = fields
        .get("title")
        .map(|v| text_field("title", v))
        .transpose()?
        .ok_or_else(|| ApiError::unprocessable("a case needs a `title`"))?;
    let description = fields
        .get("description")
        .map(|v| text_field("description", v))
        .transpose()?
        .unwrap_or("");
    let start = fields
        .get("startDate")
        .map(|v| from_ms("startDate", v))
        .transpose()?;
    let who = actor(&user)?;
    let new = NewIncident::parse(
        title,
        description,
        user.0.user.username.as_str(),
        "TheHive API",
        start,
    )?;
    let mut rest = fields.clone();
    for k in ["title", "description", "startDate"] {
        rest.remove(k);
    }
    // Every field is checked — against the case as it will be once opened — before the case
    // is created: a refused request writes nothing.
    let changes = CaseChanges::parse(&state, &rest).await?;
    // A case marked TLP:RED or AMBER+STRICT is restricted from its first entry, not one later.
    let new = new.restricted(
        changes
            .tlp
            .is_some_and(|t| state.app.restricts_when_marked(t)),
    );
    changes.check_on(&state, &user, &new.provisional(&who, Timestamp::now())?)?;
    let created = state
        .app
        .create(&crate::api::incidents::caller(&user)?, new)
        .await?;
    let incident = changes.apply(&state, &user, created.incident).await?;
    Ok((StatusCode::CREATED, Json(case_json(&incident))))
}

/// `GET /api/v1/case/{id}`: by id or number (`42`, `#42`).
#[utoipa::path(operation_id = "thehive_get_case", get, path = "/api/v1/case/{id}", tag = "thehive", params(("id" = String, Path, description = "id or number")), responses((status = 200, body = Object, description = "OutputCase"), (status = 401, body = crate::error::Problem), (status = 404, body = crate::error::Problem)), security(("bearer" = []), ("basic" = [])))]
pub async fn get_case(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    check(&user, Action::ReadIncidents)?;
    Ok(Json(case_json(&load(&state, &user, &id).await?)))
}

/// `PATCH /api/v1/case/{id}`: TheHive's case fields, each change a journal entry.
#[utoipa::path(operation_id = "thehive_patch_case", patch, path = "/api/v1/case/{id}", tag = "thehive", params(("id" = String, Path, description = "id or number")), request_body(content = Object, description = "case fields"), responses((status = 200, body = Object, description = "OutputCase"), (status = 400, body = crate::error::Problem), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)), security(("bearer" = []), ("basic" = [])))]
pub async fn patch_case(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    ApiJson(fields): ApiJson<Map<String, Value>>,
) -> ApiResult<Json<Value>> {
    only(&fields, CASE_FIELDS, "PATCH /api/v1/case")?;
    let incident = load(&state, &user, &id).await?;
    let changes = CaseChanges::parse(&state, &fields).await?;
    changes.check_on(&state, &user, &incident)?;
    let incident = changes.apply(&state, &user, incident).await?;
    Ok(Json(case_json(&incident)))
}

/// `POST /api/v1/case/{id}/observable`: observables on a case; answers the list created.
#[utoipa::path(operation_id = "thehive_case_observable", post, path = "/api/v1/case/{id}/observable", tag = "thehive", params(("id" = String, Path, description = "id or number")), request_body(content = Object, description = "InputObservable"), responses((status = 201, body = Object, description = "[OutputObservable]"), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)), security(("bearer" = []), ("basic" = [])))]
pub async fn case_observable(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> ApiResult<(StatusCode, Json<Vec<Value>>)> {
    let (list, flags) = observables_from(&body)?;
    let incident = load(&state, &user, &id).await?;
    let incident = apply(&state, &user, incident.id, None, Need::Work, |c| {
        list.iter()
            .map(|o| c.add_observable(o.kind, &o.value, &flags))
            .collect()
    })
    .await?;
    let out = incident
        .observables
        .iter()
        .filter(|o| list.iter().any(|l| l.kind == o.kind && l.value == o.value))
        .map(|o| case_observable_json(&incident, o))
        .collect();
    Ok((StatusCode::CREATED, Json(out)))
}
