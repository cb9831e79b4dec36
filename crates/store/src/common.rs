//! What both backends share: the row shapes, and the pure planning of an append (sealing entries
//! onto both chains and folding them into the projection) done inside each backend's transaction.

use debrief_domain::journal::{self, ChainTips, head_message};
use debrief_domain::{EntryDraft, Hash, Incident, IncidentId, JournalEntry, Status, Timestamp};
use serde::Serialize;

use crate::error::{Result, StoreError};
use crate::key::InstallationKey;

/// A journal row exactly as stored, before any parsing: what `debrief verify` inspects.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RawEntry {
    pub gseq: i64,
    pub incident_id: String,
    pub seq: i64,
    pub recorded_at: String,
    pub actor: String,
    pub kind: String,
    pub payload: String,
    pub prev_hash: String,
    pub hash: String,
    pub ledger_prev: String,
    pub ledger_hash: String,
}

impl RawEntry {
    /// Parses the row; the error says which column is unreadable.
    pub fn parse(&self) -> Result<JournalEntry, String> {
        let col =
            |name: &str, e: &dyn std::fmt::Display| format!("column `{name}` is unreadable: {e}");
        Ok(JournalEntry {
            incident: self
                .incident_id
                .parse()
                .map_err(|e| col("incident_id", &e))?,
            seq: u64::try_from(self.seq).map_err(|e| col("seq", &e))?,
            recorded_at: Timestamp::parse(&self.recorded_at).map_err(|e| col("recorded_at", &e))?,
            actor: self.actor.clone(),
            kind: self.kind.clone(),
            payload: serde_json::from_str(&self.payload).map_err(|e| col("payload", &e))?,
            prev_hash: self.prev_hash.parse().map_err(|e| col("prev_hash", &e))?,
            hash: self.hash.parse().map_err(|e| col("hash", &e))?,
            gseq: u64::try_from(self.gseq).map_err(|e| col("gseq", &e))?,
            ledger_prev: self
                .ledger_prev
                .parse()
                .map_err(|e| col("ledger_prev", &e))?,
            ledger_hash: self
                .ledger_hash
                .parse()
                .map_err(|e| col("ledger_hash", &e))?,
        })
    }

    /// The row to store for a sealed entry.
    pub fn from_entry(e: &JournalEntry) -> RawEntry {
        RawEntry {
            gseq: e.gseq as i64,
            incident_id: e.incident.to_string(),
            seq: e.seq as i64,
            recorded_at: e.recorded_at.to_string(),
            actor: e.actor.clone(),
            kind: e.kind.clone(),
            // `Value`'s own serialisation is plain JSON; hashes use the canonical form.
            payload: e.payload.to_string(),
            prev_hash: e.prev_hash.to_hex(),
            hash: e.hash.to_hex(),
            ledger_prev: e.ledger_prev.to_hex(),
            ledger_hash: e.ledger_hash.to_hex(),
        }
    }
}

/// An incident's projection row exactly as stored, and the search documents and observable
/// index rows derived with it: what `debrief verify` compares with a fresh fold of the journal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredProjection {
    pub incident_id: String,
    pub row: Option<ProjectionRow>,
    /// (field, body, terms) of each search document.
    pub docs: Vec<(String, String, String)>,
    /// (kind, value, ioc) of each indexed observable.
    pub observables: Vec<(String, String, bool)>,
}

/// The `incidents` row's columns.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ProjectionRow {
    pub id: String,
    pub number: i64,
    pub title: String,
    pub status: String,
    pub opened_at: String,
    pub updated_at: String,
    pub seq: i64,
    pub head_hash: String,
    pub state: String,
    pub severity: Option<i64>,
    pub class: Option<String>,
    pub assignee: Option<String>,
    pub facts: Option<String>,
    /// Restricted to its team: lists leave it out for everyone else, so a row that says
    /// otherwise than its journal is a finding.
    pub restricted: bool,
}

/// The columns of [`ProjectionRow`], in order.
pub const PROJECTION_COLUMNS: &str = "id, number, title, status, opened_at, updated_at, seq, head_hash, state, severity, class, assignee, facts, restricted";

/// The signed ledger head as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct SignedHead {
    pub gseq: i64,
    pub hash: String,
    pub public_key: String,
    pub signature: String,
}

/// The result of a successful append: the new state and the sealed entries.
#[derive(Debug, Clone)]
pub struct Appended {
    pub incident: Incident,
    pub entries: Vec<JournalEntry>,
}

/// Filters and paging for listing incidents, newest (highest number) first.
#[derive(Debug, Clone, Default)]
pub struct IncidentQuery {
    /// Only these statuses (all when empty).
    pub statuses: Vec<Status>,
    /// Words the title must contain, each as a word or the start of one (case-insensitive).
    pub text: Option<String>,
    /// Only incidents numbered below this (the cursor of the previous page).
    pub before_number: Option<i64>,
    /// Page size; at most 500, 50 when unset.
    pub limit: Option<u32>,
    /// Only incidents assessed at this severity level or above.
    pub min_severity: Option<u8>,
    /// Only incidents of this taxonomy class.
    pub class: Option<String>,
    /// Only incidents assigned to this user.
    pub assignee: Option<String>,
    /// Leave these out (the restricted incidents the reader is not in the team of).
    pub exclude: Vec<debrief_domain::IncidentId>,
}

impl IncidentQuery {
    /// The page size actually used.
    pub fn page_size(&self) -> i64 {
        i64::from(self.limit.unwrap_or(50).clamp(1, 500))
    }
}

/// The state of the projection row of an incident, for the next append.
#[derive(Debug)]
pub struct Current {
    pub incident: Incident,
    pub head_hash: Hash,
}

/// Everything one append will write, computed before writing anything.
#[derive(Debug)]
pub struct Plan {
    pub incident: Incident,
    pub entries: Vec<JournalEntry>,
    pub head: SignedHead,
    /// Search documents to (re)write or delete.
    pub docs: Vec<DocChange>,
    /// Observables to (re)index: (kind, value, ioc).
    pub observables: Vec<(String, String, bool)>,
}

/// A change to the search documents of one incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocChange {
    Upsert { field: String, body: String },
    Delete { field: String },
}

/// The search documents and observable index rows that `entries` touch, from the state after them.
pub fn index_changes(
    entries: &[JournalEntry],
    state: &Incident,
) -> (Vec<DocChange>, Vec<(String, String, bool)>) {
    use debrief_domain::{Event, Field};
    let mut fields: Vec<String> = Vec::new();
    let mut observables: Vec<u64> = Vec::new();
    let mut touch = |f: String| {
        if !fields.contains(&f) {
            fields.push(f);
        }
    };
    for e in entries {
        match e.event() {
            Ok(Event::Opened { .. }) => {
                for f in ["title", "summary", "reporter", "detection_source"] {
                    touch(f.into());
                }
            }
            Ok(Event::FieldChanged { field, .. }) => touch(
                match field {
                    Field::Title => "title",
                    Field::Summary => "summary",
                    Field::Reporter => "reporter",
                    Field::DetectionSource => "detection_source",
                }
                .into(),
            ),
            Ok(Event::Classified { .. }) => touch("class".into()),
            Ok(Event::TagsChanged { .. }) => touch("tags".into()),
            Ok(Event::ObservableAdded { id, .. } | Event::ObservableUpdated { id, .. }) => {
                touch(format!("observable:{id}"));
                observables.push(id);
            }
            Ok(Event::NoteAdded { id, .. }) => touch(format!("note:{id}")),
            Ok(Event::TaskAdded { id, .. } | Event::TaskUpdated { id, .. }) => {
                touch(format!("task:{id}"))
            }
            Ok(Event::ActionRecorded { id, .. }) => touch(format!("action:{id}")),
            Ok(Event::AssetAdded { id, .. }) => touch(format!("asset:{id}")),
            Ok(Event::TimelineAdded { id, .. } | Event::TimelineRemoved { id, .. }) => {
                touch(format!("timeline:{id}"))
            }
            // Every other kind, named so that a new one must be placed here.
            Ok(
                Event::StatusChanged { .. }
                | Event::Assigned { .. }
                | Event::SeverityAssessed { .. }
                | Event::MarkingsSet { .. }
                | Event::ScopeSet { .. }
                | Event::MemberAdded { .. }
                | Event::MemberRemoved { .. }
                | Event::AccessSet { .. }
                | Event::AccessGranted { .. }
                | Event::AccessRevoked { .. }
                | Event::EvidenceAdded { .. }
                | Event::CustodyRecorded { .. }
                | Event::AssetUpdated { .. }
                | Event::TimeLogged { .. }
                | Event::PostmortemText { .. }
                | Event::PostmortemList { .. }
                | Event::PostmortemImpact { .. }
                | Event::RootCauseAdded { .. }
                | Event::RootCauseUpdated { .. }
                | Event::PostmortemStatusChanged { .. }
                | Event::ReviewScheduled { .. }
                | Event::ReviewInputGiven { .. }
                | Event::ReviewHeld { .. }
                | Event::InfoReminded { .. }
                | Event::RecommendationAdded { .. }
                | Event::RecommendationReminded { .. }
                | Event::RecommendationUpdated { .. }
                | Event::RecommendationStatusChanged { .. }
                | Event::InfoRequested { .. }
                | Event::InfoAnswered { .. }
                | Event::PlaybookApplied { .. }
                | Event::FlagsSet { .. }
                | Event::RegulatoryFactsSet { .. }
                | Event::RegulatoryClockSet { .. }
                | Event::NotificationRecorded { .. }
                | Event::NotificationAttempted { .. }
                | Event::NotificationSkipped { .. }
                | Event::ReportExported { .. }
                | Event::ObligationEscalated { .. }
                | Event::MilestoneSet { .. },
            )
            | Err(_) => {}
        }
    }
    let docs = fields
        .into_iter()
        .map(|field| {
            let body = match field.as_str() {
                "title" => Some(state.title.clone()),
                "summary" => Some(state.summary.clone()),
                "reporter" => Some(state.reporter.clone()),
                "detection_source" => Some(state.detection_source.clone()),
                "class" => state
                    .classification
                    .as_ref()
                    .map(|c| format!("{} {}", c.class, c.kind)),
                "tags" => Some(state.tags.join(" ")),
                f => {
                    let (what, id) = f.split_once(':').unwrap_or((f, ""));
                    let id: u64 = id.parse().unwrap_or(0);
                    match what {
                        "observable" => state
                            .observables
                            .iter()
                            .find(|o| o.id == id)
                            .map(|o| format!("{} {}", o.value, o.description)),
                        "timeline" => state.timeline.iter().find(|t| t.id == id).map(|t| {
                            let technique = t.technique.as_ref().map(|x| x.as_str()).unwrap_or("");
                            let tactic = t.tactic.as_ref().map(|x| x.as_str()).unwrap_or("");
                            format!("{} {technique} {tactic}", t.description)
                        }),
                        "note" => state
                            .notes
                            .iter()
                            .find(|n| n.id == id)
                            .map(|n| format!("{} {}", n.text, n.interviewee)),
                        "task" => state
                            .tasks
                            .iter()
                            .find(|t| t.id == id)
                            .map(|t| t.title.clone()),
                        "action" => state
                            .actions
                            .iter()
                            .find(|a| a.id == id)
                            .map(|a| format!("{} {}", a.description, a.outcome)),
                        "asset" => state
                            .assets
                            .iter()
                            .find(|a| a.id == id)
                            .map(|a| format!("{} {}", a.name, a.description)),
                        _ => None,
                    }
                }
            };
            match body.map(|b| b.trim().to_string()).filter(|b| !b.is_empty()) {
                Some(body) => DocChange::Upsert { field, body },
                None => DocChange::Delete { field },
            }
        })
        .collect();
    let observables = observables
        .into_iter()
        .filter_map(|id| state.observables.iter().find(|o| o.id == id))
        .map(|o| (o.kind.to_string(), o.value.clone(), o.ioc))
        .collect();
    (docs, observables)
}

/// Decodes the rows of a list, leaving out (and logging) any that cannot be read: one bad row
/// must not take a whole list down.
pub(crate) fn readable_rows<T>(
    what: &str,
    rows: impl IntoIterator<Item = (String, Result<T>)>,
) -> Vec<T> {
    rows.into_iter()
        .filter_map(|(id, decoded)| match decoded {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::error!(%what, row = %id, error = %e, "a stored row is unreadable and was left out of a list");
                None
            }
        })
        .collect()
}

/// One full-text search hit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchHit {
    pub incident_id: String,
    pub number: i64,
    pub title: String,
    pub status: String,
    /// Which part matched: `title`, `summary`, `timeline:3`, `observable:7`, …
    pub field: String,
    /// The matching text, with matches between « and ».
    pub snippet: String,
    /// Relevance (BM25 on SQLite, ts_rank on PostgreSQL): higher is better, comparable only
    /// within one backend.
    pub score: f64,
}

/// An incident where an observable value appears.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sighting {
    pub incident_id: String,
    pub number: i64,
    pub title: String,
    pub status: String,
    pub kind: String,
    pub value: String,
    pub ioc: bool,
}

/// Seals `drafts` after the given chain tips and folds them into `current` (or opens the incident
/// when `current` is `None`). Any domain rule broken by any draft aborts the whole append.
pub fn plan(
    id: IncidentId,
    current: Option<Current>,
    ledger: (u64, Hash),
    drafts: &[EntryDraft],
    key: &InstallationKey,
) -> Result<Plan> {
    let now = Timestamp::now();
    let mut tips = ChainTips {
        seq: current.as_ref().map_or(0, |c| c.incident.seq),
        hash: current.as_ref().map_or(Hash::ZERO, |c| c.head_hash),
        gseq: ledger.0,
        ledger_hash: ledger.1,
    };
    let mut state = current.map(|c| c.incident);
    let mut entries = Vec::with_capacity(drafts.len());
    for draft in drafts {
        // The last net under the text rule: whatever command decided it, no entry carries a
        // NUL, another control character or a bidirectional override.
        let (kind, payload) = draft.event.to_parts();
        debrief_domain::text::check_payload(kind, &payload)?;
        let entry = journal::seal(id, &tips, now, &draft.actor, &draft.event)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        match state.as_mut() {
            Some(s) => s.apply(&entry)?,
            None => state = Some(Incident::opened(&entry)?),
        }
        tips = entry.tips();
        entries.push(entry);
    }
    let incident = state.ok_or_else(|| StoreError::Corrupt("an append with no entries".into()))?;
    let (docs, observables) = index_changes(&entries, &incident);
    let message = head_message(tips.gseq, tips.ledger_hash);
    let head = SignedHead {
        gseq: tips.gseq as i64,
        hash: tips.ledger_hash.to_hex(),
        public_key: key.public_hex(),
        signature: key.sign_hex(message.as_bytes()),
    };
    Ok(Plan {
        incident,
        entries,
        head,
        docs,
        observables,
    })
}

/// Parses a stored ledger head position.
pub fn ledger_position(gseq: i64, hash: &str) -> Result<(u64, Hash)> {
    let g =
        u64::try_from(gseq).map_err(|_| StoreError::Corrupt(format!("ledger head gseq {gseq}")))?;
    let h = hash
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("ledger head: {e}")))?;
    Ok((g, h))
}

/// Reads a projection row's state, or says it is corrupt.
pub fn current_from_row(state: &str, head_hash: &str) -> Result<Current> {
    let incident: Incident = serde_json::from_str(state)
        .map_err(|e| StoreError::Corrupt(format!("incident projection: {e}")))?;
    let head_hash = head_hash
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("incident head: {e}")))?;
    Ok(Current {
        incident,
        head_hash,
    })
}

/// The projection's facts column: what the metrics read (deadlines by the shipped regimes).
pub fn facts_json(incident: &Incident) -> Result<String> {
    let facts = debrief_domain::metrics::IncidentFacts::of(
        incident,
        debrief_domain::obligation::Regimes::builtin(),
    );
    serde_json::to_string(&facts).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// The projection's state column for an incident.
pub fn state_json(incident: &Incident) -> Result<String> {
    serde_json::to_string(incident).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// How a user refers to an incident: `42`, `#42` or its UUID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference {
    Number(i64),
    Id(IncidentId),
}

impl Reference {
    /// Parses a user's reference to an incident.
    pub fn parse(text: &str) -> Result<Reference> {
        let t = text.trim();
        let digits = t.strip_prefix('#').unwrap_or(t);
        if let Ok(n) = digits.parse::<i64>() {
            return Ok(Reference::Number(n));
        }
        t.parse::<IncidentId>()
            .map(Reference::Id)
            .map_err(|_| StoreError::NotFound(t.to_string()))
    }
}

/// The words of a text as search sees them: maximal runs of letters and digits, lower-cased and
/// without accents (`infirmiere` finds `Infirmière`).
/// Both backends index and query these same words, so search behaves the same on both.
pub fn search_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(debrief_domain::text::fold)
        .collect()
}

/// The words of a title as the list filter's index cuts them (lower-case, accents kept: the
/// databases index the title column itself).
pub fn title_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The version of [`search_words`] the stored search terms were cut with; a store opened with
/// older terms re-cuts them (`SqlStore::recut_terms`), since they are a projection of the text.
pub const SEARCH_TERMS_VERSION: i64 = 2;

/// A short excerpt of `body` around the first matching word, matches between « and ».
pub fn highlight(body: &str, words: &[String]) -> String {
    let tokens: Vec<&str> = body.split_whitespace().collect();
    let matches = |t: &str| search_words(t).iter().any(|w| words.contains(w));
    let first = tokens.iter().position(|t| matches(t)).unwrap_or(0);
    let start = first.saturating_sub(6);
    let end = (first + 10).min(tokens.len());
    let mut out: Vec<String> = tokens[start..end]
        .iter()
        .map(|t| {
            if matches(t) {
                format!("«{t}»")
            } else {
                t.to_string()
            }
        })
        .collect();
    if start > 0 {
        out.insert(0, "…".into());
    }
    if end < tokens.len() {
        out.push("…".into());
    }
    out.join(" ")
}
