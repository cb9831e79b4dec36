//! An in-memory copy of every incident's metrics facts, brought up to date on each use by
//! reading only the projections changed since the last time (the `updated_at` index): the first
//! use reads them all, later ones a handful. Writes are serialised, so `updated_at` grows with
//! commit order; a margin re-reads the last few seconds in case of clock jitter.

use std::collections::HashMap;
use std::sync::Arc;

use debrief_domain::Timestamp;
use debrief_domain::metrics::IncidentFacts;

use crate::{Result, Store};

/// Seconds re-read before the newest change seen.
const MARGIN_SECONDS: i64 = 5;

#[derive(Debug, Default)]
struct Cached {
    facts: Arc<Vec<IncidentFacts>>,
    index: HashMap<i64, usize>,
    newest: Option<Timestamp>,
}

/// The facts of every incident, kept current.
#[derive(Debug, Default)]
pub struct FactsCache {
    inner: tokio::sync::Mutex<Cached>,
}

impl FactsCache {
    /// Every incident's facts as the store has them now.
    pub async fn current(&self, store: &dyn Store) -> Result<Arc<Vec<IncidentFacts>>> {
        let mut c = self.inner.lock().await;
        let since = c.newest.map(|t| t.plus_seconds(-MARGIN_SECONDS));
        let changed = store.facts_changed_since(since).await?;
        if !changed.is_empty() {
            let Cached {
                facts,
                index,
                newest,
            } = &mut *c;
            let v = Arc::make_mut(facts);
            for (f, at) in changed {
                *newest = Some(newest.map_or(at, |n| n.max(at)));
                match index.get(&f.number) {
                    Some(i) => v[*i] = f,
                    None => {
                        index.insert(f.number, v.len());
                        v.push(f);
                    }
                }
            }
        }
        Ok(c.facts.clone())
    }
}
