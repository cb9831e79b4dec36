//! Learning from past incidents, read through the application layer so that need-to-know holds:
//! similar past incidents (candidates found by the store's indexes, ranked by
//! `debrief_domain::similar`), the lessons-learnt search across postmortems, and the replay of
//! how an incident was handled, entry by entry.

use std::collections::{BTreeMap, BTreeSet};

use debrief_domain::similar::{Candidate, LessonHit, Similar, rank, search_words};
use debrief_domain::{Incident, JournalEntry, Timestamp};
use debrief_store::IncidentQuery;

use crate::{App, Caller, Result};

/// How many incidents of the same class are considered, and how many words are searched.
const SAME_CLASS: u32 = 200;
const WORDS: usize = 8;

/// One step of a replay: a journal entry placed when it happened, with the clock around it.
#[derive(Debug, Clone)]
pub struct ReplayStep {
    /// When it happened: the time the entry states (a timeline entry, a task done, a custody
    /// link…), else when it was recorded. Steps are in this order.
    pub at: Timestamp,
    /// Whether `at` was stated rather than the recording time.
    pub stated: bool,
    /// Seconds since the first step.
    pub elapsed_seconds: i64,
    /// Seconds since the previous step.
    pub since_previous_seconds: i64,
    pub entry: JournalEntry,
}

impl App {
    /// Similar past incidents of `i` that the caller may read, best first.
    pub async fn similar(
        &self,
        caller: &Caller,
        i: &Incident,
        limit: usize,
    ) -> Result<Vec<Similar>> {
        // number → (shared observable values, words found)
        let mut found: BTreeMap<i64, (Vec<String>, usize)> = BTreeMap::new();
        for (value, numbers) in self.shared_observables(caller, i.id).await? {
            for n in numbers {
                found.entry(n).or_default().0.push(value.clone());
            }
        }
        let words = search_words(i, WORDS);
        for w in &words {
            let mut seen = BTreeSet::new();
            for hit in self.search(caller, w, 200).await? {
                if seen.insert(hit.number) {
                    found.entry(hit.number).or_default().1 += 1;
                }
            }
        }
        let mut incidents: BTreeMap<i64, Incident> = BTreeMap::new();
        if let Some(c) = &i.classification {
            let query = IncidentQuery {
                class: Some(c.class.clone()),
                limit: Some(SAME_CLASS),
                ..IncidentQuery::default()
            };
            for x in self.list(caller, &query).await? {
                incidents.insert(x.number, x);
            }
        }
        // The strongest of the other candidates, loaded one by one.
        let mut others: Vec<(&i64, &(Vec<String>, usize))> = found
            .iter()
            .filter(|(n, _)| !incidents.contains_key(n) && **n != i.number)
            .collect();
        others.sort_by_key(|(n, (obs, w))| std::cmp::Reverse((obs.len(), *w, **n)));
        for (n, _) in others.into_iter().take(100) {
            incidents.insert(*n, self.incident(caller, &n.to_string()).await?);
        }
        let candidates: Vec<Candidate<'_>> = incidents
            .values()
            .map(|x| {
                let (obs, w) = found.get(&x.number).cloned().unwrap_or_default();
                Candidate {
                    incident: x,
                    shared_observables: obs,
                    text: if words.is_empty() {
                        0.0
                    } else {
                        w as f64 / words.len() as f64
                    },
                }
            })
            .collect();
        Ok(rank(i, &candidates, limit))
    }

    /// The lessons-learnt search: postmortem passages holding all the words of `q`, in the
    /// incidents the caller may read, newest first. Nothing for an empty question.
    pub async fn lessons(&self, caller: &Caller, q: &str) -> Result<Vec<LessonHit>> {
        if q.trim().is_empty() {
            return Ok(Vec::new());
        }
        let all = self.all(caller).await?;
        Ok(debrief_domain::similar::search_lessons(&all, q))
    }

    /// The journal of `i` as steps in the order things happened (an entry that states a time is
    /// placed there), with the clock between them.
    pub async fn replay(&self, caller: &Caller, i: &Incident) -> Result<Vec<ReplayStep>> {
        let journal = self.journal(caller, i.id).await?;
        let mut dated: Vec<(Timestamp, bool, JournalEntry)> = journal
            .into_iter()
            .map(|e| match e.event().ok().and_then(|ev| ev.stated_at()) {
                Some(at) => (at, true, e),
                None => (e.recorded_at, false, e),
            })
            .collect();
        dated.sort_by_key(|(at, _, e)| (*at, e.seq));
        let first = dated.first().map(|(at, _, _)| *at);
        let mut previous = first;
        Ok(dated
            .into_iter()
            .map(|(at, stated, entry)| {
                let step = ReplayStep {
                    at,
                    stated,
                    elapsed_seconds: first.map_or(0, |f| at.seconds_since(f)),
                    since_previous_seconds: previous.map_or(0, |p| at.seconds_since(p)),
                    entry,
                };
                previous = Some(at);
                step
            })
            .collect())
    }
}
