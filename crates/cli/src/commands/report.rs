//! `debrief report`: render an incident's report sealed with the installation's key (the export
//! is recorded in the journal, as from the API), and `debrief report verify FILE`: check a
//! report's seal and that the journal still has the entry it was rendered from.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use debrief_domain::Language;
use debrief_server::{AppState, Config};

use super::open_store;
use crate::cli::TableFormat;
use crate::config::Settings;
use crate::exit;
use debrief_report::{ExchangeFormat, ReportFormat, ReportKind};

pub async fn render(
    incident: &str,
    kind: ReportKind,
    format: ReportFormat,
    lang: Language,
    output: Option<PathBuf>,
    settings: &Settings,
) -> Result<u8> {
    let (store, key) = open_store(settings).await?;
    let (app, op) = super::app(&store, &super::actor(settings)?);
    let id = app.resolve(&op, incident).await?;
    let i = app.incident_by_id(&op, id).await?;
    let config = Config {
        targets: super::response_targets(settings)?,
        regimes: std::sync::Arc::new(super::regimes(settings)?),
        reports: std::sync::Arc::new(debrief_report::Templates::load(
            &settings.data_dir.join("report-templates"),
        )?),
        timezone: settings.timezone.clone(),
        ..Config::default()
    };
    let state = AppState::new(store, key, config);
    let doc = debrief_server::api::reports::export(
        &state,
        &debrief_server::api::reports::Reader::terminal(&super::actor(settings)?),
        &i,
        kind,
        format,
        lang,
    )
    .await
    .map_err(|e| anyhow::anyhow!(e.detail))?;
    write(&doc, output)
}

pub async fn program(
    from: Option<String>,
    to: Option<String>,
    format: ReportFormat,
    lang: Language,
    output: Option<PathBuf>,
    settings: &Settings,
) -> Result<u8> {
    let (store, key) = open_store(settings).await?;
    let state = AppState::new(store, key, Config::default());
    let params = debrief_server::api::metrics::MetricsParams {
        from,
        to,
        ..Default::default()
    };
    let doc = match debrief_server::api::reports::program(
        &state,
        &debrief_server::api::reports::Reader::terminal(&super::actor(settings)?),
        &params,
        format,
        lang,
    )
    .await
    {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {}", e.detail);
            return Ok(exit::REFUSED);
        }
    };
    write(&doc, output)
}

fn write(doc: &[u8], output: Option<PathBuf>) -> Result<u8> {
    use std::io::Write;
    match output {
        Some(path) => {
            std::fs::write(&path, doc)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("wrote {} ({} bytes), sealed", path.display(), doc.len());
        }
        None => std::io::stdout().lock().write_all(doc)?,
    }
    Ok(exit::OK)
}

pub async fn exchange(
    incident: &str,
    format: ExchangeFormat,
    table: Option<&str>,
    output: Option<PathBuf>,
    settings: &Settings,
) -> Result<u8> {
    let (store, key) = open_store(settings).await?;
    let (app, op) = super::app(&store, &super::actor(settings)?);
    let id = app.resolve(&op, incident).await?;
    let i = app.incident_by_id(&op, id).await?;
    let state = AppState::new(store, key, Config::default());
    let text = match debrief_server::api::reports::exchange(
        &state,
        &debrief_server::api::reports::Reader::terminal(&super::actor(settings)?),
        &i,
        format,
        table,
    )
    .await
    {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {}", e.detail);
            return Ok(exit::REFUSED);
        }
    };
    match output {
        Some(path) => {
            std::fs::write(&path, &text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("wrote {} ({} bytes)", path.display(), text.len());
        }
        None => print!("{text}"),
    }
    Ok(exit::OK)
}

pub async fn verify(file: &Path, settings: &Settings) -> Result<u8> {
    let doc = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let (store, key) = open_store(settings).await?;
    let (app, op) = super::app(&store, &super::actor(settings)?);
    let ours = key.public_hex();
    let seal = match debrief_report::integrity::check_bytes(&doc, |pk, msg, sig| {
        pk == ours && key.verify_hex(msg, sig)
    }) {
        Ok(s) => s,
        Err(e) => {
            println!("NOT VALID: {e}");
            return Ok(exit::BROKEN);
        }
    };
    if seal.kind == "program" {
        // Tied to the ledger: the entry it stops at must still have that ledger hash.
        let rows = store.raw_entries(debrief_store::Scope::All).await?;
        let at = rows
            .iter()
            .find(|r| u64::try_from(r.gseq).ok() == Some(seal.journal_seq));
        let holds = match at {
            Some(r) => r.ledger_hash == seal.journal_head,
            None => seal.journal_seq == 0,
        };
        let report = debrief_store::verify::verify_all(&*store, &key).await?;
        if !holds || !report.intact() {
            println!(
                "NOT VALID: the ledger no longer has entry {} with hash {} or does not verify: run `debrief verify`",
                seal.journal_seq, seal.journal_head
            );
            return Ok(exit::BROKEN);
        }
        println!(
            "seal: valid — program report ({}, {}), rendered {} at ledger entry {}; the ledger still holds it and verifies",
            seal.format, seal.lang, seal.generated_at, seal.journal_seq
        );
        return Ok(exit::OK);
    }
    println!(
        "seal: valid — #{} {} ({}, {}), rendered {} from journal entry {}",
        seal.incident, seal.kind, seal.format, seal.lang, seal.generated_at, seal.journal_seq
    );
    let id = app.resolve(&op, &seal.incident.to_string()).await?;
    let journal = app.journal(&op, id).await?;
    let entry = journal.iter().find(|e| e.seq == seal.journal_seq);
    match entry {
        Some(e) if e.hash.to_hex() == seal.journal_head => {}
        Some(e) => {
            println!(
                "NOT VALID: journal entry {} of #{} is now {}, the report was rendered from {}",
                seal.journal_seq,
                seal.incident,
                e.hash.to_hex(),
                seal.journal_head
            );
            return Ok(exit::BROKEN);
        }
        None => {
            println!(
                "NOT VALID: #{} has no journal entry {} any more",
                seal.incident, seal.journal_seq
            );
            return Ok(exit::BROKEN);
        }
    }
    let report = debrief_store::verify::verify_incident(&*store, id).await?;
    if !report.intact() {
        println!(
            "NOT VALID: the journal of #{} does not verify: run `debrief verify {}`",
            seal.incident, seal.incident
        );
        return Ok(exit::BROKEN);
    }
    println!(
        "journal: entry {} still has the head {} and the chain verifies",
        seal.journal_seq, seal.journal_head
    );
    Ok(exit::OK)
}

/// `debrief access-log [INCIDENT]`: who read what, when and from where.
pub async fn access_log(
    incident: Option<&str>,
    format: TableFormat,
    limit: u32,
    settings: &Settings,
) -> Result<u8> {
    use debrief_store::access::AccessScope;
    let (store, _) = open_store(settings).await?;
    let (app, op) = super::app(&store, &super::actor(settings)?);
    let scope = match incident {
        Some(i) => AccessScope::Incident(app.resolve(&op, i).await?),
        None => AccessScope::All,
    };
    let records = app.access_log(&op, scope, limit.max(1)).await?;
    match format {
        TableFormat::Json => println!("{}", serde_json::to_string_pretty(&records)?),
        TableFormat::Csv => match debrief_server::api::access::csv(&records) {
            Ok(text) => print!("{text}"),
            Err(e) => anyhow::bail!("{}", e.detail),
        },
        TableFormat::Table => {
            let mut t =
                crate::table::Table::new(&["AT", "WHO", "ACTION", "INCIDENT", "WHAT", "FROM"]);
            for r in &records {
                t.row(vec![
                    r.at.to_string(),
                    r.actor.clone(),
                    r.action.clone(),
                    r.number.map(|n| format!("#{n}")).unwrap_or_default(),
                    r.what.clone(),
                    r.address.clone(),
                ]);
            }
            print!("{}", t.render());
        }
    }
    Ok(exit::OK)
}
