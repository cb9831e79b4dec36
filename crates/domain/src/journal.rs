//! The hash-chained journal: entries, their canonical hash, and chain verification.
//!
//! Two chains run through the same entries (see `docs/journal.md` for the exact encoding):
//! - the **incident chain**: entry `seq` of an incident carries the hash of entry `seq - 1` of the
//!   same incident (`prev_hash`), and its own `hash` over its content and that link;
//! - the **ledger**: every entry of every incident also has a global sequence number `gseq` and a
//!   `ledger_hash` that links it to the entry with `gseq - 1`. Deleting a whole incident leaves a
//!   gap in the ledger; the store signs the ledger head so that cutting off its tail shows too.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::canonical::{self, CanonicalError};
use crate::event::Event;
use crate::incident::IncidentId;
use crate::text::Actor;
use crate::time::Timestamp;

/// A SHA-256 digest, shown as 64 lower-case hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The `prev_hash` of a chain's first entry: 32 zero bytes.
    pub const ZERO: Hash = Hash([0; 32]);

    /// SHA-256 of `bytes`.
    pub fn of(bytes: &[u8]) -> Hash {
        Hash(Sha256::digest(bytes).into())
    }

    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", &self.to_hex()[..12])
    }
}

/// A hash that is not 64 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a SHA-256 hash (64 hex digits)")]
pub struct BadHash(String);

impl FromStr for Hash {
    type Err = BadHash;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).map_err(|_| BadHash(s.to_string()))?;
        Ok(Hash(out))
    }
}

impl Serialize for Hash {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// An event someone wants to append, not yet placed in a chain.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryDraft {
    pub actor: Actor,
    pub event: Event,
}

/// One sealed journal entry, as stored and exported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub incident: IncidentId,
    pub seq: u64,
    pub recorded_at: Timestamp,
    pub actor: String,
    pub kind: String,
    pub payload: Value,
    pub prev_hash: Hash,
    pub hash: Hash,
    pub gseq: u64,
    pub ledger_prev: Hash,
    pub ledger_hash: Hash,
}

/// Where the next entry goes: the tips of both chains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainTips {
    /// Last `seq` of the incident (0 for none) and its hash.
    pub seq: u64,
    pub hash: Hash,
    /// Last `gseq` of the ledger (0 for none) and its ledger hash.
    pub gseq: u64,
    pub ledger_hash: Hash,
}

/// The hash of an entry's content, linked to the previous entry of its incident.
#[allow(clippy::too_many_arguments)]
pub fn entry_hash(
    incident: IncidentId,
    seq: u64,
    recorded_at: Timestamp,
    actor: &str,
    kind: &str,
    payload: &Value,
    prev_hash: Hash,
) -> Result<Hash, CanonicalError> {
    let doc = json!({
        "incident": incident.to_string(),
        "seq": seq,
        "recorded_at": recorded_at.to_string(),
        "actor": actor,
        "kind": kind,
        "payload": payload,
        "prev_hash": prev_hash.to_hex(),
    });
    Ok(Hash::of(canonical::encode(&doc)?.as_bytes()))
}

/// The ledger hash of the entry with global sequence `gseq` and entry hash `hash`.
pub fn ledger_hash(gseq: u64, hash: Hash, ledger_prev: Hash) -> Hash {
    let text = format!(
        r#"{{"gseq":{gseq},"hash":"{}","ledger_prev":"{}"}}"#,
        hash.to_hex(),
        ledger_prev.to_hex()
    );
    Hash::of(text.as_bytes())
}

/// Seals `event` as the entry after `tips`, recorded at `at` by `actor`.
pub fn seal(
    incident: IncidentId,
    tips: &ChainTips,
    at: Timestamp,
    actor: &Actor,
    event: &Event,
) -> Result<JournalEntry, CanonicalError> {
    let (kind, payload) = event.to_parts();
    let seq = tips.seq + 1;
    let hash = entry_hash(incident, seq, at, actor.as_str(), kind, &payload, tips.hash)?;
    let gseq = tips.gseq + 1;
    Ok(JournalEntry {
        incident,
        seq,
        recorded_at: at,
        actor: actor.as_str().to_string(),
        kind: kind.to_string(),
        payload,
        prev_hash: tips.hash,
        hash,
        gseq,
        ledger_prev: tips.ledger_hash,
        ledger_hash: ledger_hash(gseq, hash, tips.ledger_hash),
    })
}

impl JournalEntry {
    /// The tips after this entry.
    pub fn tips(&self) -> ChainTips {
        ChainTips {
            seq: self.seq,
            hash: self.hash,
            gseq: self.gseq,
            ledger_hash: self.ledger_hash,
        }
    }

    /// The typed event, if this version of Debrief knows the entry's kind.
    pub fn event(&self) -> Result<Event, String> {
        Event::from_parts(&self.kind, &self.payload)
    }

    /// Whether readers are not told who wrote this entry (anonymous input to the review; see
    /// [`Event::anonymous`]).
    pub fn author_hidden(&self) -> bool {
        self.event().is_ok_and(|e| e.anonymous())
    }
}

/// One place where a chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainBreak {
    /// The incident concerned, when known.
    pub incident: Option<IncidentId>,
    /// The entry's sequence number in its incident, when known.
    pub seq: Option<u64>,
    /// The entry's global sequence number, when known.
    pub gseq: Option<u64>,
    /// What is wrong, for a person.
    pub problem: String,
}

impl fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.incident, self.seq) {
            (Some(i), Some(s)) => write!(f, "incident {i} entry {s}")?,
            (Some(i), None) => write!(f, "incident {i}")?,
            _ => write!(f, "ledger")?,
        }
        if let Some(g) = self.gseq {
            write!(f, " (ledger #{g})")?;
        }
        write!(f, ": {}", self.problem)
    }
}

/// Checks one incident's chain. `entries` are the rows stored for `incident`, ordered by `seq`.
pub fn verify_incident(incident: IncidentId, entries: &[JournalEntry]) -> Vec<ChainBreak> {
    let mut breaks = Vec::new();
    let mut expected_seq = 1u64;
    let mut prev = Hash::ZERO;
    let brk = |seq: u64, gseq: u64, problem: String| ChainBreak {
        incident: Some(incident),
        seq: Some(seq),
        gseq: Some(gseq),
        problem,
    };
    for e in entries {
        if e.incident != incident {
            breaks.push(brk(
                e.seq,
                e.gseq,
                format!("entry belongs to incident {}", e.incident),
            ));
            continue;
        }
        if e.seq != expected_seq {
            let problem = if e.seq > expected_seq {
                if e.seq == expected_seq + 1 {
                    format!("entry {expected_seq} is missing (deleted?)")
                } else {
                    format!(
                        "entries {expected_seq}–{} are missing (deleted?)",
                        e.seq - 1
                    )
                }
            } else {
                format!("sequence number {} repeats or goes backwards", e.seq)
            };
            breaks.push(brk(e.seq, e.gseq, problem));
        } else if e.prev_hash != prev {
            breaks.push(brk(
                e.seq,
                e.gseq,
                format!(
                    "prev_hash {} does not match the hash {} of entry {}",
                    e.prev_hash,
                    prev,
                    e.seq - 1
                ),
            ));
        }
        match entry_hash(
            incident,
            e.seq,
            e.recorded_at,
            &e.actor,
            &e.kind,
            &e.payload,
            e.prev_hash,
        ) {
            Ok(h) if h == e.hash => {}
            Ok(h) => breaks.push(brk(
                e.seq,
                e.gseq,
                format!(
                    "content was altered: stored hash {} but the content hashes to {h}",
                    e.hash
                ),
            )),
            Err(err) => breaks.push(brk(e.seq, e.gseq, err.to_string())),
        }
        if e.seq == 1 && e.kind != "incident.opened" {
            breaks.push(brk(
                e.seq,
                e.gseq,
                format!("first entry is `{}`, not `incident.opened`", e.kind),
            ));
        }
        expected_seq = e.seq.max(expected_seq) + 1;
        prev = e.hash;
    }
    if entries.is_empty() {
        breaks.push(ChainBreak {
            incident: Some(incident),
            seq: None,
            gseq: None,
            problem: "the incident has no journal entries".into(),
        });
    }
    breaks
}

/// Checks the ledger links of entries that are consecutive in `gseq` order. `entries` must be
/// every stored entry, ordered by `gseq`; gaps name the missing global sequence numbers.
pub fn verify_ledger(entries: &[JournalEntry]) -> Vec<ChainBreak> {
    let mut breaks = Vec::new();
    let mut expected = 1u64;
    let mut prev = Hash::ZERO;
    for e in entries {
        let at = |problem: String| ChainBreak {
            incident: Some(e.incident),
            seq: Some(e.seq),
            gseq: Some(e.gseq),
            problem,
        };
        if e.gseq != expected {
            let problem = if e.gseq > expected {
                format!(
                    "ledger entries #{expected}–#{} before this one are missing: entries were deleted, possibly a whole incident",
                    e.gseq - 1
                )
            } else {
                format!("ledger number #{} repeats or goes backwards", e.gseq)
            };
            breaks.push(at(problem));
        } else if e.ledger_prev != prev {
            breaks.push(at(format!(
                "ledger_prev {} does not match the ledger hash {} of ledger entry #{}",
                e.ledger_prev,
                prev,
                e.gseq - 1
            )));
        }
        let computed = ledger_hash(e.gseq, e.hash, e.ledger_prev);
        if computed != e.ledger_hash {
            breaks.push(at(format!(
                "ledger hash {} does not match its content (expected {computed})",
                e.ledger_hash
            )));
        }
        expected = e.gseq.max(expected) + 1;
        prev = e.ledger_hash;
    }
    breaks
}

/// The message the store signs to vouch for the ledger head.
pub fn head_message(gseq: u64, ledger_hash: Hash) -> String {
    format!(
        r#"{{"gseq":{gseq},"ledger_hash":"{}"}}"#,
        ledger_hash.to_hex()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::Status;
    use crate::text::Reason;

    fn chain(n: u64) -> (IncidentId, Vec<JournalEntry>) {
        let id = IncidentId::new();
        let actor = Actor::parse("alice").unwrap();
        let mut tips = ChainTips {
            seq: 0,
            hash: Hash::ZERO,
            gseq: 0,
            ledger_hash: Hash::ZERO,
        };
        let mut out = Vec::new();
        for i in 0..n {
            let event = if i == 0 {
                Event::Opened {
                    number: 1,
                    title: crate::text::Title::parse("t").unwrap(),
                    summary: crate::text::Summary::parse("").unwrap(),
                    reporter: crate::text::Label::parse("").unwrap(),
                    detection_source: crate::text::Label::parse("").unwrap(),
                    detected_at: None,
                    restricted: false,
                }
            } else {
                Event::StatusChanged {
                    from: Status::New,
                    to: Status::Triage,
                    reason: Reason::parse("r").unwrap(),
                }
            };
            let e = seal(
                id,
                &tips,
                Timestamp::from_micros(i as i64).unwrap(),
                &actor,
                &event,
            )
            .unwrap();
            tips = e.tips();
            out.push(e);
        }
        (id, out)
    }

    #[test]
    fn an_intact_chain_verifies() {
        let (id, entries) = chain(5);
        assert!(verify_incident(id, &entries).is_empty());
        assert!(verify_ledger(&entries).is_empty());
    }

    #[test]
    fn an_altered_payload_is_named() {
        let (id, mut entries) = chain(5);
        entries[2].payload["reason"] = "s".into();
        let breaks = verify_incident(id, &entries);
        assert_eq!(breaks.len(), 1);
        assert_eq!(breaks[0].seq, Some(3));
        assert!(breaks[0].problem.contains("altered"));
    }

    #[test]
    fn a_deleted_entry_is_named() {
        let (id, mut entries) = chain(5);
        entries.remove(1);
        let breaks = verify_incident(id, &entries);
        assert!(
            breaks[0].problem.contains("entry 2 is missing"),
            "{:?}",
            breaks
        );
        let ledger = verify_ledger(&entries);
        assert!(
            ledger[0].problem.contains("#2–#2") || ledger[0].problem.contains("#2"),
            "{ledger:?}"
        );
    }

    #[test]
    fn swapped_entries_are_detected() {
        let (id, mut entries) = chain(5);
        entries.swap(1, 2);
        let (a, b) = (entries[1].seq, entries[2].seq);
        entries[1].seq = b;
        entries[2].seq = a;
        assert!(!verify_incident(id, &entries).is_empty());
    }

    #[test]
    fn hash_matches_documented_example() {
        // The worked example of docs/journal.md.
        let id: IncidentId = "0193a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d".parse().unwrap();
        let at = Timestamp::parse("2026-11-23T14:05:00Z").unwrap();
        let payload = serde_json::json!({"from": "new", "to": "triage", "reason": "on it"});
        let h = entry_hash(
            id,
            2,
            at,
            "alice",
            "incident.status_changed",
            &payload,
            Hash::ZERO,
        )
        .unwrap();
        let doc = r#"{"actor":"alice","incident":"0193a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d","kind":"incident.status_changed","payload":{"from":"new","reason":"on it","to":"triage"},"prev_hash":"0000000000000000000000000000000000000000000000000000000000000000","recorded_at":"2026-11-23T14:05:00.000000Z","seq":2}"#;
        assert_eq!(h, Hash::of(doc.as_bytes()));
        assert_eq!(
            h.to_hex(),
            "cff2fe90f272f639e00b01e205a3cc68d96021f658922ade542c67762a4d28f5"
        );
        let l = ledger_hash(7, h, Hash::ZERO);
        assert_eq!(
            l.to_hex(),
            "423aa00c6e167ef0c4c18db6b4f051ea362d7d7a84f0a2b3d8aea25135995d59"
        );
    }
}
