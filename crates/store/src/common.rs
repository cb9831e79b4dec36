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
    /// Case-insensitive substring of the title.
    pub text: Option<String>,
    /// Only incidents numbered below this (the cursor of the previous page).
    pub before_number: Option<i64>,
    /// Page size; at most 500, 50 when unset.
    pub limit: Option<u32>,
}

impl IncidentQuery {
    /// The page size actually used.
    pub fn page_size(&self) -> i64 {
        i64::from(self.limit.unwrap_or(50).clamp(1, 500))
    }

    /// The `LIKE` pattern for the text filter, with `%`, `_` and `\` escaped.
    pub fn like_pattern(&self) -> Option<String> {
        self.text
            .as_ref()
            .filter(|t| !t.trim().is_empty())
            .map(|t| {
                let escaped = t
                    .trim()
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                format!("%{escaped}%")
            })
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
