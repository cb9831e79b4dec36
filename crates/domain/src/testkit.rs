//! Test helpers: a journal built in memory, entry by entry, as the store would seal it.

use crate::event::Event;
use crate::incident::{Incident, IncidentId, NewIncident};
use crate::journal::{ChainTips, Hash, JournalEntry, seal};
use crate::text::Actor;
use crate::time::Timestamp;

pub struct Journal {
    pub id: IncidentId,
    pub entries: Vec<JournalEntry>,
    clock: i64,
}

impl Journal {
    pub fn new() -> Self {
        let mut j = Journal {
            id: IncidentId::new(),
            entries: vec![],
            clock: 1_700_000_000_000_000,
        };
        let new = NewIncident::parse("Phishing wave", "", "SOC", "mail gateway", None).unwrap();
        j.push(new.into_event(7));
        j
    }
    pub fn push(&mut self, event: Event) {
        self.push_as("bob", event);
    }
    /// Appends `event` written by `actor`.
    pub fn push_as(&mut self, actor: &str, event: Event) {
        let tips = self.entries.last().map(|e| e.tips()).unwrap_or(ChainTips {
            seq: 0,
            hash: Hash::ZERO,
            gseq: 0,
            ledger_hash: Hash::ZERO,
        });
        self.clock += 60_000_000;
        let at = Timestamp::from_micros(self.clock).unwrap();
        let e = seal(self.id, &tips, at, &Actor::parse(actor).unwrap(), &event).unwrap();
        self.entries.push(e);
    }
    pub fn state(&self) -> Incident {
        Incident::from_journal(&self.entries).unwrap()
    }
}
