//! `debrief verify`: prints what the chain checks found; exit code 1 on any break.

use anyhow::Result;
use debrief_domain::IncidentId;
use debrief_store::verify::{self, VerifyReport};
use debrief_store::{Store, StoreError};

use super::{open_store, print_json};
use crate::cli::Format;
use crate::config::Settings;
use crate::exit;

pub async fn run(incident: Option<&str>, format: Format, settings: &Settings) -> Result<u8> {
    let (store, key) = open_store(settings).await?;
    let report = match incident {
        Some(reference) => {
            let id = store.resolve(reference).await?;
            verify::verify_incident(&*store, id).await?
        }
        None => verify::verify_all(&*store, &key).await?,
    };
    match format {
        Format::Json => print_json(&report)?,
        Format::Table => print_report(&*store, &report).await?,
    }
    Ok(if report.intact() {
        exit::OK
    } else {
        exit::BROKEN
    })
}

async fn label(store: &dyn Store, id: IncidentId) -> Result<String> {
    match store.incident(id).await {
        Ok(i) => Ok(format!("#{} ({id})", i.number)),
        Err(StoreError::NotFound(_) | StoreError::Corrupt(_)) => Ok(format!("{id}")),
        Err(e) => Err(e.into()),
    }
}

async fn print_report(store: &dyn Store, report: &VerifyReport) -> Result<()> {
    println!(
        "checked {} incident(s), {} journal entries",
        report.incidents, report.entries
    );
    if report.access_records > 0 {
        println!("checked {} access log record(s)", report.access_records);
    }
    if let Some(head) = &report.head
        && head.gseq > 0
    {
        println!("ledger head #{} {}", head.gseq, head.hash);
    }
    if report.intact() {
        println!("OK: every chain holds");
        return Ok(());
    }
    println!(
        "BROKEN: {} problem(s); the first is the earliest in the ledger",
        report.breaks.len()
    );
    for b in &report.breaks {
        let mut place = match (b.incident, b.seq) {
            (Some(id), Some(seq)) => format!("incident {} entry {seq}", label(store, id).await?),
            (Some(id), None) => format!("incident {}", label(store, id).await?),
            _ => "ledger head".to_string(),
        };
        if let Some(g) = b.gseq {
            place.push_str(&format!(" (ledger #{g})"));
        }
        println!("  {place}: {}", b.problem);
    }
    Ok(())
}
