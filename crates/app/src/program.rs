//! The program's figures — metrics over every incident's compact facts, kept current in memory —
//! read through the application layer, so that need-to-know holds there too: a restricted
//! incident outside the reader's team is counted in every total and named in no list.

use std::sync::Arc;

use debrief_domain::metrics::{Filter, IncidentFacts, Metrics};
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
}
