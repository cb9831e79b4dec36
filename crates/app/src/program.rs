//! The program's figures — metrics over every incident's compact facts, kept current in memory —
//! read through the application layer, so that need-to-know holds there too: a restricted
//! incident outside the reader's team is counted in every total and named in no list.

use std::sync::Arc;

use debrief_domain::metrics::{Filter, IncidentFacts, Metrics};
use debrief_domain::obligation::{Due, Obligation, ObligationState, Regimes};
use debrief_domain::{Action, Timestamp};

use crate::{App, Caller, Result};

impl App {
    /// Every incident's metrics facts (aggregates only: what a figure counts, never whom it
    /// names; see [`App::metrics`]).
    pub async fn facts(&self, caller: &Caller) -> Result<Arc<Vec<IncidentFacts>>> {
        caller.may(Action::ReadIncidents)?;
        Ok(self.facts.current(&*self.store).await?)
    }

    /// The program metrics for `filter` as the caller may read them.
    pub async fn metrics(
        &self,
        caller: &Caller,
        filter: &Filter,
        now: Timestamp,
        months: u32,
    ) -> Result<Metrics> {
        let facts = self.facts(caller).await?;
        let hidden = self.hidden(caller).await?;
        let figures = debrief_domain::metrics::compute(&facts, filter, now, months);
        Ok(figures.unnamed(|n| hidden.number(n)))
    }

    /// What is due across the incidents the caller may read, within `within_hours` of `now`,
    /// and every overdue obligation: overdue first, then by deadline.
    pub async fn obligations_due(
        &self,
        caller: &Caller,
        regimes: &Regimes,
        now: Timestamp,
        within_hours: u32,
    ) -> Result<Vec<DueObligation>> {
        let mut out = Vec::new();
        for i in self.all(caller).await? {
            for o in i.obligations(regimes, now) {
                let keep = match (&o.due, o.state) {
                    (_, ObligationState::Overdue) => true,
                    (Due::At { at }, ObligationState::Pending | ObligationState::DueSoon) => {
                        at.seconds_since(now) <= i64::from(within_hours) * 3600
                    }
                    _ => false,
                };
                if keep {
                    out.push(DueObligation {
                        incident: i.number,
                        title: i.title.clone(),
                        obligation: o,
                    });
                }
            }
        }
        out.sort_by_key(|d| match d.obligation.due {
            Due::At { at } => at.as_micros(),
            _ => i64::MAX,
        });
        Ok(out)
    }
}

/// An obligation on the board of what is due, with the incident it belongs to.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DueObligation {
    pub incident: i64,
    pub title: String,
    #[serde(flatten)]
    pub obligation: Obligation,
}
