//! The postmortem editor (`/incidents/42/postmortem`) and the recommendations board
//! (`/recommendations`). Forms post one section at a time; every change is a journal entry made
//! through the same domain commands as the API, and the page shows what is computed from the
//! journal — response effectiveness, the review's due date, the blameless check's warnings.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use debrief_app::commands::{AddRecommendation, UpdateRecommendation};
use debrief_domain::DateAlone;
use debrief_domain::postmortem::{
    CauseCategory, Cost, CostKind, Impact, PmList, PmText, PostmortemStatus, Priority,
    RecommendationStatus, RecordCount,
};
use debrief_domain::{Action, DomainError, Event, Incident, IncidentId, Timestamp};
use debrief_store::StoreError;

use super::WebUser;
use super::form::{WebForm, optional, trimmed, yes_no};
use super::pages::{Applied, apply_form, forbidden, may, render_view, resolve_number, store_error};
use crate::AppState;
use crate::api::incidents::Need;

/// A text area's lines, trimmed, empty lines left out.
pub(super) fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// The page, with an error shown when a form was refused.
pub(super) async fn page(
    state: &AppState,
    user: &WebUser,
    id: IncidentId,
    error: Option<String>,
    code: StatusCode,
) -> Response {
    if let Err(why) = may(user, Action::ReadIncidents) {
        return forbidden(user, &why);
    }
    let incident = match super::pages::incident_for(state, user, id).await {
        Ok(i) => i,
        Err(r) => return r,
    };
    let view = match crate::api::postmortem::view(state, &incident, user.lang).await {
        Ok(v) => v,
        Err(_) => {
            return store_error(
                user,
                StoreError::Corrupt("the postmortem could not be computed".into()),
            );
        }
    };
    let lang = user.lang;
    let can_work = may(user, Action::WorkIncident(&incident)).is_ok();
    // What the approver signed no longer changes: no forms for it (the domain refuses anyway).
    let frozen = matches!(
        incident.postmortem.status,
        Some(PostmortemStatus::Approved | PostmortemStatus::Published)
    );
    let texts = PmText::ALL
        .iter()
        .map(|s| {
            let text = incident.postmortem.texts.get(s).cloned();
            (s.as_str(), text.unwrap_or_default())
        })
        .collect();
    let lists = PmList::ALL
        .iter()
        .map(|l| {
            let items = incident.postmortem.lists.get(l).map(|v| v.join("\n"));
            (l.as_str(), items.unwrap_or_default())
        })
        .collect();
    let impact = &incident.postmortem.impact;
    let records_text = impact
        .records
        .iter()
        .map(|r| format!("{}: {}", r.category, r.count))
        .collect::<Vec<_>>()
        .join("\n");
    let costs_text = impact
        .costs
        .iter()
        .map(|c| {
            // In the reader's words, as the form reads them back.
            let mark = if lang == debrief_domain::Language::Fr {
                ','
            } else {
                '.'
            };
            format!(
                "{} {}{mark}{:02} {} {}",
                debrief_report::context::label(lang, c.kind.as_str()).unwrap_or(c.kind.as_str()),
                c.amount_minor / 100,
                c.amount_minor.rem_euclid(100),
                c.currency,
                c.description
            )
            .trim()
            .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n");
    let net_costs = view
        .net_costs
        .iter()
        .map(|(cur, v)| debrief_report::context::money(*v, cur, lang))
        .collect::<Vec<_>>()
        .join(", ");
    // Playbooks matching the incident, in the reader's language, not applied yet.
    let suggested = match state
        .app
        .suggested_playbooks(&user.caller(), &incident, lang)
        .await
    {
        Ok(found) => found
            .into_iter()
            .map(|(v, doc)| Suggested {
                slug: v.slug,
                title: v.title,
                version: v.version,
                steps: doc.steps.len(),
            })
            .collect(),
        Err(e) => return super::pages::app_error(user, e),
    };
    // Communicating the findings: once approved, managers send the report to the directory;
    // before, they invite the review meeting's participants with the draft.
    let manages = may(user, Action::DecideNotifications).is_ok() && can_work;
    let can_share = frozen && manages;
    let can_invite = !frozen && manages;
    let share_options = if can_share || (can_invite && incident.postmortem.review_at.is_some()) {
        crate::outbound::share::options(state, &user.principal, &incident, lang)
            .await
            .ok()
    } else {
        None
    };
    let frame = super::Frame::page(user, "incidents", error);
    let page = PostmortemPage {
        frame,
        can_work,
        can_approve: may(user, Action::ApprovePostmortem).is_ok(),
        frozen,
        can_edit: can_work && !frozen,
        texts,
        lists,
        records_text,
        costs_text,
        net_costs,
        suggested,
        share_options,
        can_share,
        can_invite,
        tlp: incident.tlp.marking(),
        pm: view,
    };
    super::pages::render_view("postmortem.html", code, &page)
}

/// What the postmortem page shows: its frame, the review as the API computes it, and which of
/// its forms the reader may use. Every field is always there (the templates render strictly).
#[derive(Debug, serde::Serialize)]
struct PostmortemPage {
    #[serde(flatten)]
    frame: super::Frame,
    pm: crate::api::postmortem::PostmortemView,
    can_work: bool,
    can_approve: bool,
    /// Approved or published: what the approver signed has no form.
    frozen: bool,
    can_edit: bool,
    /// Each text section by its code, as its form reads it back.
    texts: BTreeMap<&'static str, String>,
    /// Each list by its code, one item per line.
    lists: BTreeMap<&'static str, String>,
    records_text: String,
    costs_text: String,
    net_costs: String,
    /// Playbooks that match the incident and are not applied yet.
    suggested: Vec<Suggested>,
    /// The directory as the sharing and invitation forms offer it; none when neither form
    /// applies (or the directory could not be read).
    share_options: Option<Vec<crate::outbound::share::ShareOption>>,
    can_share: bool,
    can_invite: bool,
    tlp: String,
}

/// A playbook the page suggests applying.
#[derive(Debug, serde::Serialize)]
struct Suggested {
    slug: String,
    title: String,
    version: i64,
    steps: usize,
}

pub async fn show(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
) -> Response {
    match resolve_number(&state, &user, &number).await {
        Ok(id) => page(&state, &user, id, None, StatusCode::OK).await,
        Err(r) => r,
    }
}

/// A form of this page: its refusals are shown here.
pub(super) async fn act(
    state: &AppState,
    user: &WebUser,
    number: &str,
    csrf: &str,
    approve: bool,
    decide: impl Fn(&Incident) -> Result<Vec<Event>, DomainError> + Send + Sync,
) -> Response {
    let applied = apply_form(
        state,
        user,
        number,
        csrf,
        if approve { Need::Approve } else { Need::Work },
        decide,
        "/postmortem",
    )
    .await;
    match applied {
        Applied::Done(r) => r,
        Applied::Refused(id, msg, status) => page(state, user, id, Some(msg), status).await,
    }
}

/// Keeps the events of the changes, skipping what is unchanged.
fn collect(
    results: impl IntoIterator<Item = Result<Event, DomainError>>,
) -> Result<Vec<Event>, DomainError> {
    let mut out = Vec::new();
    for r in results {
        match r {
            Ok(e) => out.push(e),
            Err(DomainError::Unchanged(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// The postmortem's text sections sent by the form, by section.
#[derive(Debug, serde::Deserialize)]
pub struct TextsForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(flatten)]
    texts: BTreeMap<PmText, String>,
}

pub async fn texts(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    WebForm(f): WebForm<TextsForm>,
) -> Response {
    act(&state, &user, &number, &f.csrf, false, |c| {
        collect(
            f.texts
                .iter()
                .map(|(s, text)| c.set_postmortem_text(*s, text.trim())),
        )
    })
    .await
}

/// The postmortem's list sections sent by the form (one item per line), by section.
#[derive(Debug, serde::Deserialize)]
pub struct ListsForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(flatten)]
    lists: BTreeMap<PmList, String>,
}

pub async fn lists(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    WebForm(f): WebForm<ListsForm>,
) -> Response {
    act(&state, &user, &number, &f.csrf, false, |c| {
        collect(
            f.lists
                .iter()
                .map(|(l, text)| c.set_postmortem_list(*l, &lines(text))),
        )
    })
    .await
}

fn bad(field: &'static str, problem: String) -> DomainError {
    DomainError::InvalidField { field, problem }
}

/// `category: count` per line; `kind amount currency description` per line (amount with up to
/// two decimals).
/// A cost line's kind as the reader writes it: the code (`recovered`) or its name in the
/// reader's language, singular or plural (`récupéré`, `récupérés`).
fn cost_kind(word: &str, lang: debrief_domain::Language) -> Result<CostKind, DomainError> {
    let w = word.trim().to_lowercase();
    CostKind::ALL
        .iter()
        .copied()
        .find(|k| {
            let name = debrief_report::context::label(lang, k.as_str())
                .unwrap_or(k.as_str())
                .to_lowercase();
            w == k.as_str() || w == name || w == name.trim_end_matches('s')
        })
        .map_or_else(|| word.parse(), Ok)
}

fn impact_from(f: &ImpactForm, lang: debrief_domain::Language) -> Result<Impact, DomainError> {
    let number = |name: &'static str, v: &str| -> Result<Option<u64>, DomainError> {
        if v.is_empty() {
            return Ok(None);
        }
        v.parse()
            .map(Some)
            .map_err(|_| bad(name, format!("`{v}` is not a whole number")))
    };
    let mut records = Vec::new();
    for l in lines(&f.records) {
        records.push(RecordCount::parse_line("records", &l)?);
    }
    let mut costs = Vec::new();
    for l in lines(&f.costs) {
        let mut parts = l.splitn(4, ' ');
        let (Some(kind), Some(amount), Some(currency)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad(
                "costs",
                format!("`{l}`: write `direct|indirect|recovered amount currency description`"),
            ));
        };
        let kind = cost_kind(kind, lang)?;
        // The decimal mark the reader writes: `12500.50` or `12500,50`.
        let (units, cents) = amount.split_once(['.', ',']).unwrap_or((amount, "0"));
        let cents = format!("{cents:0<2}");
        let parse = |s: &str| {
            s.parse::<i64>()
                .map_err(|_| bad("costs", format!("`{l}`: `{amount}` is not an amount")))
        };
        if cents.len() > 2 {
            return Err(bad("costs", format!("`{l}`: at most two decimals")));
        }
        costs.push(Cost {
            kind,
            amount_minor: parse(units)? * 100 + parse(&cents)?,
            currency: currency.to_uppercase(),
            description: parts.next().unwrap_or("").to_string(),
        });
    }
    Ok(Impact {
        downtime_minutes: number("downtime_minutes", &f.downtime_minutes)?,
        users_affected: number("users_affected", &f.users_affected)?,
        records,
        costs,
        backups_worked: f.backups_worked,
    })
}

/// The impact and costs form: numbers and lines are read by `impact_from`, which says what is
/// wrong with them.
#[derive(Debug, serde::Deserialize)]
pub struct ImpactForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default, deserialize_with = "trimmed")]
    downtime_minutes: String,
    #[serde(default, deserialize_with = "trimmed")]
    users_affected: String,
    #[serde(default)]
    records: String,
    #[serde(default)]
    costs: String,
    #[serde(default, deserialize_with = "yes_no")]
    backups_worked: Option<bool>,
}

pub async fn impact(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    WebForm(f): WebForm<ImpactForm>,
) -> Response {
    let parsed = impact_from(&f, user.lang);
    act(&state, &user, &number, &f.csrf, false, |c| {
        collect([parsed.clone().and_then(|i| c.set_impact(i))])
    })
    .await
}

/// A root cause, with its five whys (one per line).
#[derive(Debug, serde::Deserialize)]
pub struct RootCauseForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    category: CauseCategory,
    #[serde(default, deserialize_with = "trimmed")]
    text: String,
    #[serde(default)]
    whys: String,
    #[serde(default, deserialize_with = "yes_no")]
    preventable: Option<bool>,
    #[serde(default, deserialize_with = "trimmed")]
    prevention: String,
    #[serde(default, deserialize_with = "trimmed")]
    recurrence_of: String,
}

pub async fn root_cause(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    WebForm(f): WebForm<RootCauseForm>,
) -> Response {
    act(&state, &user, &number, &f.csrf, false, |c| {
        let recurrence =
            match f.recurrence_of.trim_start_matches('#') {
                "" => None,
                n => Some(n.parse().map_err(|_| {
                    bad("recurrence_of", format!("`{n}` is not an incident number"))
                })?),
            };
        c.add_root_cause(
            f.category,
            &f.text,
            &lines(&f.whys),
            f.preventable,
            &f.prevention,
            recurrence,
        )
        .map(|e| vec![e])
    })
    .await
}

/// A root cause as rewritten on the page.
#[derive(Debug, serde::Deserialize)]
pub struct RootCauseEditForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    category: CauseCategory,
    #[serde(default, deserialize_with = "trimmed")]
    text: String,
    #[serde(default)]
    whys: String,
    #[serde(default, deserialize_with = "yes_no")]
    preventable: Option<bool>,
    #[serde(default, deserialize_with = "trimmed")]
    prevention: String,
}

pub async fn root_cause_edit(
    State(state): State<AppState>,
    user: WebUser,
    Path((number, id)): Path<(String, u64)>,
    WebForm(f): WebForm<RootCauseEditForm>,
) -> Response {
    act(&state, &user, &number, &f.csrf, false, |c| {
        c.update_root_cause(
            id,
            f.category,
            &f.text,
            &lines(&f.whys),
            f.preventable,
            &f.prevention,
        )
        .map(|e| vec![e])
    })
    .await
}

/// A move of the postmortem's review (to review, approved, published, back to draft).
#[derive(Debug, serde::Deserialize)]
pub struct StatusForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    to: PostmortemStatus,
    #[serde(default, deserialize_with = "trimmed")]
    reason: String,
}

pub async fn status(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    WebForm(f): WebForm<StatusForm>,
) -> Response {
    let approve = matches!(
        f.to,
        PostmortemStatus::Approved | PostmortemStatus::Published
    );
    act(&state, &user, &number, &f.csrf, approve, |c| {
        c.change_postmortem_status(f.to, &f.reason, &state.config.review)
            .map(|e| vec![e])
    })
    .await
}

/// A recommendation added on the page. Impact and effort are read by the domain's `Priority`,
/// which says what is wrong with them.
#[derive(Debug, serde::Deserialize)]
pub struct RecommendationForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default, deserialize_with = "trimmed")]
    action: String,
    #[serde(rename = "type")]
    kind: debrief_domain::postmortem::RecommendationKind,
    #[serde(default)]
    impact: Option<i64>,
    #[serde(default)]
    effort: Option<i64>,
    #[serde(default, deserialize_with = "optional")]
    owner: Option<String>,
    #[serde(default, deserialize_with = "trimmed")]
    due: String,
    #[serde(default)]
    root_cause: Option<u64>,
}

pub async fn recommendation(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    WebForm(f): WebForm<RecommendationForm>,
) -> Response {
    let now = Timestamp::now();
    let parse = || -> Result<AddRecommendation, DomainError> {
        let n =
            |name: &'static str, v: Option<i64>| v.ok_or_else(|| bad(name, "choose 1 to 5".into()));
        let due = match f.due.as_str() {
            "" => None,
            d => Some(user.zone.read("due", d, DateAlone::EndOfDay)?),
        };
        Ok(AddRecommendation {
            action: f.action.clone(),
            kind: f.kind,
            priority: Priority::new(n("impact", f.impact)?, n("effort", f.effort)?)?,
            owner: AddRecommendation::owner_from(f.owner.as_deref())?,
            due,
            root_causes: f.root_cause.into_iter().collect(),
            related: Vec::new(),
        })
    };
    // The same checks as the API's (the owner is a user, the related incidents exist); a
    // refusal is shown on the form.
    let command = match parse() {
        Ok(c) => match state.app.check_recommendation(&c).await {
            Ok(()) => Ok(c),
            Err(debrief_app::AppError::Store(StoreError::Domain(e))) => Err(e),
            Err(e) => return super::pages::app_error(&user, e),
        },
        Err(e) => Err(e),
    };
    act(&state, &user, &number, &f.csrf, false, |c| {
        command.as_ref().map_err(Clone::clone)?.decide(c, now)
    })
    .await
}

/// A recommendation reworded, or given another owner or due date.
#[derive(Debug, serde::Deserialize)]
pub struct RecommendationEditForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default, deserialize_with = "trimmed")]
    action: String,
    #[serde(default, deserialize_with = "optional")]
    owner: Option<String>,
    #[serde(default, deserialize_with = "trimmed")]
    due: String,
}

pub async fn recommendation_edit(
    State(state): State<AppState>,
    user: WebUser,
    Path((number, rid)): Path<(String, u64)>,
    WebForm(f): WebForm<RecommendationEditForm>,
) -> Response {
    let parse = || -> Result<UpdateRecommendation, DomainError> {
        Ok(UpdateRecommendation {
            id: rid,
            action: f.action.clone(),
            owner: AddRecommendation::owner_from(f.owner.as_deref())?,
            due: user.zone.read("due", &f.due, DateAlone::EndOfDay)?,
        })
    };
    // The API's check of the owner; a refusal is shown on the form.
    let command = match parse() {
        Ok(c) => match state.app.check_owner(c.owner.as_ref()).await {
            Ok(()) => Ok(c),
            Err(debrief_app::AppError::Store(StoreError::Domain(e))) => Err(e),
            Err(e) => return super::pages::app_error(&user, e),
        },
        Err(e) => Err(e),
    };
    act(&state, &user, &number, &f.csrf, false, |c| {
        command.as_ref().map_err(Clone::clone)?.decide(c)
    })
    .await
}

/// A recommendation's move (in progress, done, verified, rejected with a reason).
#[derive(Debug, serde::Deserialize)]
pub struct RecommendationStatusForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    to: RecommendationStatus,
    #[serde(default, deserialize_with = "trimmed")]
    reason: String,
}

pub async fn recommendation_status(
    State(state): State<AppState>,
    user: WebUser,
    Path((number, id)): Path<(String, u64)>,
    WebForm(f): WebForm<RecommendationStatusForm>,
) -> Response {
    act(&state, &user, &number, &f.csrf, false, |c| {
        c.change_recommendation_status(id, f.to, &f.reason)
            .map(|e| vec![e])
    })
    .await
}

/// A question to the business, and its answer.
#[derive(Debug, serde::Deserialize)]
pub struct InfoForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default, deserialize_with = "trimmed")]
    to: String,
    #[serde(default, deserialize_with = "trimmed")]
    question: String,
    #[serde(default, deserialize_with = "trimmed")]
    answer: String,
    #[serde(default, deserialize_with = "trimmed")]
    answered_at: String,
}

pub async fn info_request(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    WebForm(f): WebForm<InfoForm>,
) -> Response {
    act(&state, &user, &number, &f.csrf, false, |c| {
        c.request_info(&f.to, &f.question).map(|e| vec![e])
    })
    .await
}

pub async fn info_answer(
    State(state): State<AppState>,
    user: WebUser,
    Path((number, id)): Path<(String, u64)>,
    WebForm(f): WebForm<InfoForm>,
) -> Response {
    act(&state, &user, &number, &f.csrf, false, |c| {
        let at = match f.answered_at.as_str() {
            "" => None,
            a => Some(user.zone.read("answered_at", a, DateAlone::Refused)?),
        };
        c.answer_info(id, &f.answer, at).map(|e| vec![e])
    })
    .await
}

/// The recommendations board's filters.
#[derive(Debug, serde::Deserialize)]
pub struct BoardQuery {
    #[serde(default, deserialize_with = "optional")]
    state: Option<String>,
    #[serde(default, deserialize_with = "optional")]
    owner: Option<String>,
    /// Which page of the board (50 lines each).
    #[serde(default, deserialize_with = "optional")]
    page: Option<String>,
}

/// The recommendations board: what is overdue and due soon, by owner, and the completion rate.
pub async fn board(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<BoardQuery>,
) -> Response {
    let shown_state = q.state.clone().unwrap_or_else(|| "open".into());
    let params = crate::api::board::BoardParams {
        state: q.state.clone(),
        owner: q.owner.clone(),
    };
    if let Err(why) = may(&user, Action::ReadIncidents) {
        return forbidden(&user, &why);
    }
    let mut board =
        match crate::api::board::compute_board(&state.app, &user.caller(), &params).await {
            Ok(b) => b,
            Err(e) if e.status == StatusCode::FORBIDDEN => return forbidden(&user, &e.detail),
            Err(e) => {
                return super::error_page(
                    user.lang,
                    Some(&user),
                    e.status,
                    "error-bad-request",
                    &e.detail,
                );
            }
        };
    let frame = super::Frame::page(&user, "recommendations", None);
    let pager = super::Pager::cut(&mut board.items, q.page.as_deref(), |page| {
        let mut url =
            form_urlencoded_pairs(&[("state", q.state.as_deref()), ("owner", q.owner.as_deref())]);
        url.push_str(&format!("page={page}"));
        format!("/recommendations?{url}")
    });
    let view = BoardPage {
        frame,
        pager,
        rate: board
            .completion_rate
            .map(|r| debrief_domain::locale::percent(r * 100.0, user.lang))
            .unwrap_or_else(|| "—".into()),
        board,
        state: shown_state,
    };
    render_view("recommendations.html", StatusCode::OK, &view)
}

/// The recommendations board: its lines and counts, the filter shown, the completion rate in
/// the reader's words.
#[derive(Debug, serde::Serialize)]
struct BoardPage {
    #[serde(flatten)]
    frame: super::Frame,
    /// This page of the board's lines (the board's counts are of all of them).
    pager: super::Pager,
    board: crate::api::board::Board,
    state: String,
    rate: String,
}

/// The playbook applied to an incident.
#[derive(Debug, serde::Deserialize)]
pub struct ApplyPlaybookForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default, deserialize_with = "trimmed")]
    slug: String,
}

pub async fn apply_playbook(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    WebForm(f): WebForm<ApplyPlaybookForm>,
) -> Response {
    let found = state
        .app
        .playbook(&user.caller(), &f.slug, user.lang, None)
        .await;
    let v = match found {
        Ok(v) => v,
        Err(e) => return super::pages::app_error(&user, e),
    };
    act(&state, &user, &number, &f.csrf, false, |c| {
        let doc = debrief_domain::playbook::parse_playbook(&v.body)?;
        c.apply_playbook(&doc, v.version)
    })
    .await
}

/// `name=value&` for each filter that is set, encoded for a URL.
fn form_urlencoded_pairs(pairs: &[(&str, Option<&str>)]) -> String {
    let set: Vec<(&str, &str)> = pairs
        .iter()
        .filter_map(|(k, v)| v.map(|v| (*k, v)))
        .collect();
    match serde_html_form::to_string(&set) {
        Ok(text) if !text.is_empty() => format!("{text}&"),
        _ => String::new(),
    }
}
