//! `debrief csv export TABLE` and `debrief csv import FILE [--dry-run]`: incidents, timeline,
//! observables and recommendations as CSV for spreadsheets; and incidents brought in from the
//! spreadsheet a team kept before Debrief — every row checked first, every error reported with
//! its row and column, nothing written unless all rows are right.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use debrief_domain::text::Actor;
use debrief_domain::{DomainError, Event, Incident, Timestamp};

use super::open_store;
use crate::config::Settings;
use crate::exit;

/// Writes one table of every incident as CSV.
pub async fn export(table: &str, output: Option<PathBuf>, settings: &Settings) -> Result<u8> {
    // Checked before the store is read: a wrong name costs nothing.
    if !debrief_report::tables::TABLES.contains(&table) {
        let why = debrief_report::ReportError::UnknownTable(table.to_string());
        eprintln!("error: {why}");
        return Ok(exit::REFUSED);
    }
    let (store, _) = open_store(settings).await?;
    let (app, op) = super::app(&store, &super::actor(settings)?);
    let mut all = app.all(&op).await?;
    all.sort_by_key(|i| i.number);
    let refs: Vec<&Incident> = all.iter().collect();
    let text = debrief_report::tables::table(table, &refs)?;
    match &output {
        Some(p) => {
            std::fs::write(p, &text).with_context(|| format!("cannot write {}", p.display()))?
        }
        None => std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes())?,
    }
    Ok(exit::OK)
}

use debrief_report::tables::ImportRow as Row;

/// Reads and checks the file's rows (see `debrief_report::tables::read_incidents`).
fn check_rows(path: &Path) -> Result<(Vec<Row>, Vec<String>)> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(debrief_report::tables::read_incidents(
        std::io::BufReader::new(file),
        Timestamp::now(),
    ))
}

/// The events of a row on the incident just declared from it.
fn events(i: &Incident, row: &Row, source: &str) -> Result<Vec<Event>, DomainError> {
    let now = Timestamp::now();
    let mut out = Vec::new();
    let mut state = i.clone();
    let mut push = |e: Event, state: &mut Incident| -> Result<(), DomainError> {
        let sealed = debrief_domain::journal::seal(
            state.id,
            &debrief_domain::journal::ChainTips {
                seq: state.seq,
                hash: debrief_domain::Hash::ZERO,
                gseq: 0,
                ledger_hash: debrief_domain::Hash::ZERO,
            },
            now,
            &Actor::parse("import")?,
            &e,
        )
        .map_err(|why| DomainError::InvalidField {
            field: "row",
            problem: why.to_string(),
        })?;
        state.apply(&sealed)?;
        out.push(e);
        Ok(())
    };
    if let Some((c, k)) = &row.class {
        let e = state.classify(c, k, source)?;
        push(e, &mut state)?;
    }
    if let Some(tlp) = row.tlp
        && tlp != state.tlp
    {
        let e = state.set_markings(Some(tlp), None)?;
        push(e, &mut state)?;
    }
    if !row.tags.is_empty() {
        let e = state.change_tags(&row.tags, &[])?;
        push(e, &mut state)?;
    }
    for (m, at) in &row.times {
        let e = state.set_milestone(*m, *at, source, "", now)?;
        push(e, &mut state)?;
    }
    Ok(out)
}

pub async fn import(file: &Path, dry_run: bool, settings: &Settings) -> Result<u8> {
    let (rows, errors) = check_rows(file)?;
    if !errors.is_empty() {
        for e in &errors {
            println!("{e}");
        }
        println!(
            "{} error(s) in {}; nothing was imported — fix them and run again",
            errors.len(),
            file.display()
        );
        return Ok(exit::REFUSED);
    }
    if dry_run {
        println!(
            "{} rows are right; nothing was imported (dry run) — run again without --dry-run",
            rows.len()
        );
        return Ok(exit::OK);
    }
    let (store, _) = open_store(settings).await?;
    let actor = Actor::parse(&settings.actor)?;
    let (app, caller) = super::app(&store, &actor);
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("spreadsheet");
    for row in &rows {
        let source = format!("imported from {name}, row {}", row.line);
        let created = app.create(&caller, row.new.clone()).await?;
        // Decided on the incident just opened: nobody else can have written to it yet.
        app.execute(
            &caller,
            created.incident.id,
            debrief_app::Need::Work,
            Some(created.incident.seq),
            |i| events(i, row, &source),
        )
        .await?;
        println!(
            "row {} → #{} {}",
            row.line, created.incident.number, created.incident.title
        );
    }
    println!("{} incidents imported", rows.len());
    Ok(exit::OK)
}
