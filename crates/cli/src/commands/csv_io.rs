//! `debrief csv export TABLE` and `debrief csv import FILE [--dry-run]`: incidents, timeline,
//! observables and recommendations as CSV for spreadsheets; and incidents brought in from the
//! spreadsheet a team kept before Debrief — every row checked first, every error reported with
//! its row and column, nothing written unless all rows are right.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use debrief_domain::text::Actor;
use debrief_domain::triage::Tlp;
use debrief_domain::{EntryDraft, Event, Incident, Milestone, NewIncident, Timestamp};

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
    let mut all = debrief_store::all_incidents(&*store).await?;
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

/// One spreadsheet row, checked: the incident to declare and what to record on it.
struct Row {
    line: u64,
    new: NewIncident,
    class: Option<(String, String)>,
    tlp: Option<Tlp>,
    tags: Vec<String>,
    times: Vec<(Milestone, Timestamp)>,
}

/// The columns understood (case-insensitive); `title` is required.
const COLUMNS: &[&str] = &[
    "title",
    "summary",
    "reporter",
    "source",
    "class",
    "type",
    "tlp",
    "tags",
    "started_at",
    "detected_at",
    "acknowledged_at",
    "contained_at",
    "recovered_at",
];

/// A date (`2026-03-02`, midnight UTC) or an RFC 3339 time.
fn when(text: &str) -> Result<Timestamp, String> {
    let t = text.trim();
    Timestamp::parse(t)
        .or_else(|_| Timestamp::parse(&format!("{t}T00:00:00Z")))
        .map_err(|_| format!("`{t}` is not a date (2026-03-02) or a time (2026-03-02T09:00:00Z)"))
}

fn check_rows(path: &Path) -> Result<(Vec<Row>, Vec<String>)> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let headers: Vec<String> = reader
        .headers()
        .context("the file has no header line")?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    let mut errors = Vec::new();
    for h in &headers {
        if !COLUMNS.contains(&h.as_str()) {
            errors.push(format!(
                "header: column `{h}` is not understood; the columns are {}",
                COLUMNS.join(", ")
            ));
        }
    }
    if !headers.iter().any(|h| h == "title") {
        errors.push("header: a `title` column is required".into());
    }
    let now = Timestamp::now();
    let mut rows = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let line = n as u64 + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(format!("row {line}: {e}"));
                continue;
            }
        };
        let get = |c: &str| {
            headers
                .iter()
                .position(|h| h == c)
                .and_then(|i| record.get(i))
                .map(debrief_report::tables::from_spreadsheet)
                .unwrap_or("")
                .trim()
                .to_string()
        };
        let mut bad = |col: &str, why: String| errors.push(format!("row {line}, {col}: {why}"));
        let new = match NewIncident::parse(
            &get("title"),
            &get("summary"),
            &get("reporter"),
            &get("source"),
            None,
        ) {
            Ok(n) => Some(n),
            Err(e) => {
                bad("title", e.to_string());
                None
            }
        };
        let class = match (get("class"), get("type")) {
            (c, k) if c.is_empty() && k.is_empty() => None,
            (c, k) => match debrief_domain::taxonomy::Classification::parse(&c, &k) {
                Ok(x) => Some((x.class, x.kind)),
                Err(e) => {
                    bad("class/type", e.to_string());
                    None
                }
            },
        };
        let tlp = match get("tlp") {
            s if s.is_empty() => None,
            s => match s.trim_start_matches("TLP:").to_lowercase().parse::<Tlp>() {
                Ok(x) => Some(x),
                Err(e) => {
                    bad("tlp", e.to_string());
                    None
                }
            },
        };
        let tags: Vec<String> = get("tags")
            .split(';')
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect();
        let mut times = Vec::new();
        for m in [
            Milestone::Started,
            Milestone::Detected,
            Milestone::Acknowledged,
            Milestone::Contained,
            Milestone::Recovered,
        ] {
            let v = get(m.as_str());
            if v.is_empty() {
                continue;
            }
            match when(&v) {
                Ok(at) if at > now => bad(m.as_str(), format!("`{v}` is in the future")),
                Ok(at) => times.push((m, at)),
                Err(e) => bad(m.as_str(), e),
            }
        }
        if let Some(new) = new {
            rows.push(Row {
                line,
                new,
                class,
                tlp,
                tags,
                times,
            });
        }
    }
    if rows.is_empty() && errors.is_empty() {
        errors.push("the file has no rows".into());
    }
    Ok((rows, errors))
}

/// The events of a row on the incident just declared from it.
fn events(i: &Incident, row: &Row, source: &str) -> Result<Vec<Event>> {
    let now = Timestamp::now();
    let mut out = Vec::new();
    let mut state = i.clone();
    let mut push = |e: Event, state: &mut Incident| -> Result<()> {
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
        )?;
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
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("spreadsheet");
    for row in &rows {
        let source = format!("imported from {name}, row {}", row.line);
        let created = store.create_incident(&actor, row.new.clone()).await?;
        let evs = events(&created.incident, row, &source)?;
        if !evs.is_empty() {
            let drafts = evs
                .into_iter()
                .map(|event| EntryDraft {
                    actor: actor.clone(),
                    event,
                })
                .collect();
            store
                .append(created.incident.id, created.incident.seq, drafts)
                .await?;
        }
        println!(
            "row {} → #{} {}",
            row.line, created.incident.number, created.incident.title
        );
    }
    println!("{} incidents imported", rows.len());
    Ok(exit::OK)
}
