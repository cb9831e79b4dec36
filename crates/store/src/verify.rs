//! `debrief verify`: walks the stored chains and names every entry where they do not hold.

use std::collections::BTreeMap;

use debrief_domain::journal::{self, ChainBreak, head_message};
use debrief_domain::{Incident, IncidentId, JournalEntry};
use serde::Serialize;

use crate::common::RawEntry;
use crate::error::{Result, StoreError};
use crate::key::InstallationKey;
use crate::{Scope, SignedHead, Store};

/// What a verification found.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub incidents: usize,
    pub entries: usize,
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
    if breaks.len() == before
        && !entries.is_empty()
        && let Err(e) = Incident::from_journal(entries)
    {
        breaks.push(whole(format!(
            "the journal does not describe a lawful history: {e}"
        )));
    }
    Ok(())
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
    for (id, list) in by_incident.iter_mut() {
        list.sort_by_key(|e| (e.seq, e.gseq));
        check_incident(store, *id, list, &mut breaks).await?;
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
    Ok(VerifyReport {
        incidents: by_incident.len(),
        entries: rows.len(),
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
    check_incident(store, id, &entries, &mut breaks).await?;
    Ok(VerifyReport {
        incidents: 1,
        entries: rows.len(),
        head: None,
        breaks,
    })
}
