//! `debrief verify`: walks the stored chains and names every entry where they do not hold.

use std::collections::BTreeMap;

use debrief_domain::journal::{self, ChainBreak, head_message};
use debrief_domain::{Incident, IncidentId, JournalEntry};
use serde::Serialize;

use crate::common::{DocChange, RawEntry, StoredProjection, index_changes, search_words};
use crate::error::{Result, StoreError};
use crate::key::InstallationKey;
use crate::{Scope, SignedHead, Store};

/// What a verification found.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub incidents: usize,
    pub entries: usize,
    /// Records of the access log checked (whole-database checks only).
    pub access_records: usize,
    /// The ledger head, as stored (whole-database checks only).
    pub head: Option<SignedHead>,
    /// Every break found, in ledger order; empty when everything holds.
    pub breaks: Vec<ChainBreak>,
}

impl VerifyReport {
    /// Whether every chain holds.
    pub fn intact(&self) -> bool {
        self.breaks.is_empty()
    }
}

fn parse_rows(rows: &[RawEntry], breaks: &mut Vec<ChainBreak>) -> Vec<JournalEntry> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        match row.parse() {
            Ok(e) => out.push(e),
            Err(problem) => breaks.push(ChainBreak {
                incident: row.incident_id.parse().ok(),
                seq: u64::try_from(row.seq).ok(),
                gseq: u64::try_from(row.gseq).ok(),
                problem,
            }),
        }
    }
    out
}

async fn check_incident(
    store: &dyn Store,
    id: IncidentId,
    entries: &[JournalEntry],
    stored: Option<&StoredProjection>,
    breaks: &mut Vec<ChainBreak>,
) -> Result<()> {
    let before = breaks.len();
    breaks.extend(journal::verify_incident(id, entries));
    let whole = |problem: String| ChainBreak {
        incident: Some(id),
        seq: None,
        gseq: None,
        problem,
    };
    match store.incident(id).await {
        Ok(projected) => {
            let last = entries.last().map_or(0, |e| e.seq);
            if projected.seq > last {
                breaks.push(whole(format!(
                    "incident #{} was last at entry {} but its journal ends at entry {last}: entries {}–{} were deleted",
                    projected.number,
                    projected.seq,
                    last + 1,
                    projected.seq
                )));
            } else if entries.is_empty() {
                breaks.push(whole(format!(
                    "incident #{} has lost its whole journal",
                    projected.number
                )));
            }
        }
        Err(StoreError::NotFound(_)) if !entries.is_empty() => {
            breaks.push(whole(
                "the journal exists but the incident's projection row is gone".into(),
            ));
        }
        Err(StoreError::NotFound(_)) => {}
        Err(StoreError::Corrupt(why)) => {
            breaks.push(whole(format!("projection row is unreadable: {why}")))
        }
        Err(e) => return Err(e),
    }
    // Only fold a chain whose hashes hold; otherwise the break above says all there is to say.
    if breaks.len() == before && !entries.is_empty() {
        match Incident::from_journal(entries) {
            Err(e) => breaks.push(whole(format!(
                "the journal does not describe a lawful history: {e}"
            ))),
            Ok(folded) => {
                if let Some(stored) = stored {
                    for difference in projection_differences(entries, &folded, stored) {
                        breaks.push(whole(format!(
                            "incident #{}: what is stored differs from its journal: {difference}",
                            folded.number
                        )));
                    }
                }
            }
        }
    }
    Ok(())
}

/// A stored value shown in a message: quoted, cut to 80 characters.
fn shown(value: &str) -> String {
    let cut: String = value.chars().take(80).collect();
    if cut.len() < value.len() {
        format!("“{cut}…”")
    } else {
        format!("“{cut}”")
    }
}

/// Where an incident's stored projection — its row (list columns, state, metrics facts), its
/// search documents and its observable index — differs from a fresh fold of its journal; one
/// line per difference. Empty when everything derived from the journal is what it says.
pub fn projection_differences(
    entries: &[JournalEntry],
    folded: &Incident,
    stored: &StoredProjection,
) -> Vec<String> {
    let mut out = Vec::new();
    let Some(row) = &stored.row else {
        out.push("its projection row is missing".into());
        return out;
    };
    let mut column = |name: &str, stored: Option<String>, journal: Option<String>| {
        if stored != journal {
            let show = |v: &Option<String>| v.as_deref().map_or_else(|| "empty".into(), shown);
            out.push(format!(
                "column `{name}` is {} in the database but {} in the journal",
                show(&stored),
                show(&journal)
            ));
        }
    };
    column(
        "number",
        Some(row.number.to_string()),
        Some(folded.number.to_string()),
    );
    column("title", Some(row.title.clone()), Some(folded.title.clone()));
    column(
        "status",
        Some(row.status.clone()),
        Some(folded.status.as_str().to_string()),
    );
    column(
        "opened_at",
        Some(row.opened_at.clone()),
        Some(folded.opened_at.to_string()),
    );
    column(
        "updated_at",
        Some(row.updated_at.clone()),
        Some(folded.updated_at.to_string()),
    );
    column(
        "seq",
        Some(row.seq.to_string()),
        Some(folded.seq.to_string()),
    );
    column(
        "head_hash",
        Some(row.head_hash.clone()),
        entries.last().map(|e| e.hash.to_hex()),
    );
    column(
        "severity",
        row.severity.map(|s| s.to_string()),
        folded.severity.as_ref().map(|s| s.level.to_string()),
    );
    column(
        "class",
        row.class.clone(),
        folded.classification.as_ref().map(|c| c.class.clone()),
    );
    column("assignee", row.assignee.clone(), folded.assignee.clone());
    column(
        "restricted",
        Some(row.restricted.to_string()),
        Some(folded.restricted.to_string()),
    );
    // The state and the facts as JSON values, so that key order does not matter.
    let state: Option<serde_json::Value> = serde_json::from_str(&row.state).ok();
    let expected = serde_json::to_value(folded).ok();
    if state.is_none() || state != expected {
        let what = match (&state, &expected) {
            (Some(serde_json::Value::Object(s)), Some(serde_json::Value::Object(e))) => {
                let mut keys: Vec<&str> = s
                    .keys()
                    .chain(e.keys())
                    .filter(|k| s.get(k.as_str()) != e.get(k.as_str()))
                    .map(String::as_str)
                    .collect();
                keys.sort_unstable();
                keys.dedup();
                format!("its `{}`", keys.join("`, `"))
            }
            _ => "all of it (unreadable)".into(),
        };
        out.push(format!(
            "the stored state (column `state`) differs in {what}"
        ));
    }
    let facts: Option<serde_json::Value> = row
        .facts
        .as_deref()
        .and_then(|f| serde_json::from_str(f).ok());
    let expected_facts = crate::common::facts_json(folded)
        .ok()
        .and_then(|f| serde_json::from_str::<serde_json::Value>(&f).ok());
    if facts != expected_facts {
        out.push("the metrics facts (column `facts`) differ".into());
    }
    // Search documents: one per searchable field that has text, with its words.
    let (changes, observables) = index_changes(entries, folded);
    let want: std::collections::BTreeMap<&str, &str> = changes
        .iter()
        .filter_map(|c| match c {
            DocChange::Upsert { field, body } => Some((field.as_str(), body.as_str())),
            DocChange::Delete { .. } => None,
        })
        .collect();
    let have: std::collections::BTreeMap<&str, (&str, &str)> = stored
        .docs
        .iter()
        .map(|(f, b, t)| (f.as_str(), (b.as_str(), t.as_str())))
        .collect();
    for (field, body) in &want {
        match have.get(field) {
            None => out.push(format!("the search document `{field}` is missing")),
            Some((b, _)) if b != body => out.push(format!(
                "the search document `{field}` reads {} but the journal says {}",
                shown(b),
                shown(body)
            )),
            Some((b, t)) if *t != search_words(b).join(" ") => out.push(format!(
                "the search words of `{field}` do not match its text"
            )),
            Some(_) => {}
        }
    }
    for field in have.keys().filter(|f| !want.contains_key(*f)) {
        out.push(format!(
            "the search document `{field}` is not in the journal"
        ));
    }
    let mut want_obs = observables;
    want_obs.sort();
    want_obs.dedup();
    let mut have_obs = stored.observables.clone();
    have_obs.sort();
    if want_obs != have_obs {
        out.push(format!(
            "the observable index holds {} row(s) where the journal has {}",
            have_obs.len(),
            want_obs.len()
        ));
    }
    out
}

/// Verifies every incident chain, the ledger that links them, and the signed ledger head.
pub async fn verify_all(store: &dyn Store, key: &InstallationKey) -> Result<VerifyReport> {
    let mut breaks = Vec::new();
    let rows = store.raw_entries(Scope::All).await?;
    let entries = parse_rows(&rows, &mut breaks);
    breaks.extend(journal::verify_ledger(&entries));

    let mut by_incident: BTreeMap<IncidentId, Vec<JournalEntry>> = BTreeMap::new();
    for id in store.incident_ids().await? {
        by_incident.entry(id).or_default();
    }
    for e in &entries {
        by_incident.entry(e.incident).or_default().push(e.clone());
    }
    let stored: BTreeMap<String, StoredProjection> = store
        .stored_projections(Scope::All)
        .await?
        .into_iter()
        .map(|p| (p.incident_id.clone(), p))
        .collect();
    for (id, list) in by_incident.iter_mut() {
        list.sort_by_key(|e| (e.seq, e.gseq));
        check_incident(store, *id, list, stored.get(&id.to_string()), &mut breaks).await?;
    }

    let head = store.head().await?;
    let last = entries.last().map(|e| (e.gseq, e.ledger_hash));
    let head_break = |problem: String| ChainBreak {
        incident: None,
        seq: None,
        gseq: None,
        problem,
    };
    if head.gseq != 0 || last.is_some() {
        if head.public_key != key.public_hex() {
            breaks.push(head_break(format!(
                "the ledger head is signed by key {} but this installation's key is {}",
                head.public_key,
                key.public_hex()
            )));
        } else if !key.verify_hex(
            head_message(
                head.gseq.max(0) as u64,
                head.hash.parse().unwrap_or(debrief_domain::Hash::ZERO),
            )
            .as_bytes(),
            &head.signature,
        ) {
            breaks.push(head_break(
                "the ledger head's signature is invalid: the head was edited".into(),
            ));
        }
        match last {
            Some((g, h)) if g as i64 == head.gseq && h.to_hex() == head.hash => {}
            Some((g, _)) if (g as i64) < head.gseq => breaks.push(head_break(format!(
                "the signed ledger head is at #{} but the ledger ends at #{g}: the last entries (#{}–#{}) were deleted",
                head.gseq,
                g + 1,
                head.gseq
            ))),
            None => breaks.push(head_break(format!(
                "the signed ledger head is at #{} but the journal is empty: every entry was deleted",
                head.gseq
            ))),
            Some((g, _)) => breaks.push(head_break(format!(
                "the ledger ends at #{g} but the signed head is at #{} with another hash",
                head.gseq
            ))),
        }
    }
    breaks.sort_by_key(|b| (b.gseq.unwrap_or(u64::MAX), b.seq.unwrap_or(0)));
    breaks.dedup();
    // The access log's own chain, apart from the journal's.
    let reads = store.access_chain().await?;
    breaks.extend(
        crate::access::check_chain(&reads)
            .into_iter()
            .map(head_break),
    );
    Ok(VerifyReport {
        incidents: by_incident.len(),
        entries: rows.len(),
        access_records: reads.len(),
        head: Some(head),
        breaks,
    })
}

/// Verifies one incident's chain and the ledger hashes of its entries.
pub async fn verify_incident(store: &dyn Store, id: IncidentId) -> Result<VerifyReport> {
    let mut breaks = Vec::new();
    let rows = store.raw_entries(Scope::Incident(id)).await?;
    let mut entries = parse_rows(&rows, &mut breaks);
    entries.sort_by_key(|e| (e.seq, e.gseq));
    for e in &entries {
        if journal::ledger_hash(e.gseq, e.hash, e.ledger_prev) != e.ledger_hash {
            breaks.push(ChainBreak {
                incident: Some(id),
                seq: Some(e.seq),
                gseq: Some(e.gseq),
                problem: "ledger hash does not match its content".into(),
            });
        }
    }
    let stored = store.stored_projections(Scope::Incident(id)).await?;
    check_incident(store, id, &entries, stored.first(), &mut breaks).await?;
    Ok(VerifyReport {
        incidents: 1,
        entries: rows.len(),
        access_records: 0,
        head: None,
        breaks,
    })
}
