//! `debrief incident …`: declare, list, show, transition, edit, set timestamps, journal, export.

use super::execute;
use anyhow::{Context, Result, bail};
use debrief_app::Need;
use debrief_domain::DateAlone;
use debrief_domain::{
    Incident, JournalEntry, Milestone, MilestoneSource, NewIncident, Status, Timestamp,
};
use debrief_store::IncidentQuery;
use serde_json::json;

use super::{actor, open_store, print_json};
use crate::cli::{Format, IncidentCommand};
use crate::config::Settings;
use crate::exit;
use crate::table::{Table, truncate};

pub async fn run(cmd: IncidentCommand, settings: &Settings) -> Result<u8> {
    match cmd {
        IncidentCommand::New {
            title,
            summary,
            reporter,
            detection_source,
            detected_at,
            restricted,
            format,
        } => {
            let detected_at = detected_at
                .as_deref()
                .map(|t| super::read_time(settings, "detected_at", t, DateAlone::Refused))
                .transpose()?;
            let new =
                NewIncident::parse(&title, &summary, &reporter, &detection_source, detected_at)?
                    .restricted(restricted);
            let who = actor(settings)?;
            let (store, _) = open_store(settings).await?;
            let (app, caller) = super::app(&store, &who);
            let done = app.create(&caller, new).await?;
            match format {
                Format::Json => print_json(&done.incident)?,
                Format::Table => println!(
                    "created incident #{} ({})",
                    done.incident.number, done.incident.id
                ),
            }
        }
        IncidentCommand::List {
            status,
            search,
            limit,
            before,
            severity,
            class,
            assignee,
            format,
        } => {
            let statuses = status;
            if !(1..=500).contains(&limit) {
                bail!("--limit must be between 1 and 500");
            }
            let (store, _) = open_store(settings).await?;
            let query = IncidentQuery {
                statuses,
                text: search,
                before_number: before,
                limit: Some(limit),
                min_severity: severity,
                class,
                assignee,
                ..IncidentQuery::default()
            };
            let (app, caller) = super::app(&store, &actor(settings)?);
            let list = app.list(&caller, &query).await?;
            match format {
                Format::Json => print_json(&list)?,
                Format::Table => {
                    if list.is_empty() {
                        println!("no incidents");
                    } else {
                        let mut t =
                            Table::new(&["#", "STATUS", "SEV", "OPENED", "UPDATED", "TITLE"]);
                        for i in &list {
                            t.row(vec![
                                i.number.to_string(),
                                i.status.to_string(),
                                i.severity
                                    .as_ref()
                                    .map_or("—".into(), |a| a.level.to_string()),
                                settings.timezone.show(i.opened_at),
                                settings.timezone.show(i.updated_at),
                                truncate(&i.title, 70),
                            ]);
                        }
                        print!("{}", t.render());
                        if list.len() as u32 == limit
                            && let Some(last) = list.last()
                        {
                            println!("… more with --before {}", last.number);
                        }
                    }
                }
            }
        }
        IncidentCommand::Show { incident, format } => {
            let (store, _) = open_store(settings).await?;
            let (app, op) = super::app(&store, &super::actor(settings)?);
            let id = app.resolve(&op, &incident).await?;
            let inc = app.incident_by_id(&op, id).await?;
            let journal = app.journal(&op, id).await?;
            match format {
                Format::Json => print_json(&json!({"incident": inc, "journal": journal}))?,
                Format::Table => {
                    print_incident(&inc, &settings.timezone);
                    println!();
                    print_journal(&journal, &settings.timezone);
                }
            }
        }
        IncidentCommand::Transition {
            incident,
            status,
            reason,
            format,
        } => {
            let to = status;
            let who = actor(settings)?;
            let (store, _) = open_store(settings).await?;
            let (app, op) = super::app(&store, &super::actor(settings)?);
            let id = app.resolve(&op, &incident).await?;
            let done = execute(&store, id, &who, |i| {
                i.transition(to, &reason, &settings.review)
            })
            .await?;
            match format {
                Format::Json => print_json(&done.incident)?,
                Format::Table => println!(
                    "incident #{} is now {}",
                    done.incident.number, done.incident.status
                ),
            }
        }
        IncidentCommand::Edit {
            incident,
            title,
            summary,
            reporter,
            detection_source,
            reason,
        } => {
            if [&title, &summary, &reporter, &detection_source]
                .iter()
                .all(|v| v.is_none())
            {
                bail!("nothing to edit: give --title, --summary, --reporter or --source");
            }
            let edit = debrief_app::commands::EditIncident::new(
                title,
                summary,
                reporter,
                detection_source,
                reason,
            )?;
            let who = actor(settings)?;
            let (store, _) = open_store(settings).await?;
            let (app, caller) = super::app(&store, &who);
            let id = app.resolve(&caller, &incident).await?;
            let before = app.incident_by_id(&caller, id).await?;
            let done = app
                .execute_entries(&caller, id, Need::Work, None, |i| edit.decide(i))
                .await?;
            for field in edit.fields() {
                let changed = before.field(field) != done.incident.field(field);
                if changed {
                    println!("incident #{}: {field} changed", before.number);
                } else {
                    println!("nothing to change: {field} already has that value");
                }
            }
        }
        IncidentCommand::SetTime {
            incident,
            milestone,
            at,
            source,
            reason,
        } => {
            let m: Milestone = milestone.parse()?;
            let at = super::read_time(settings, "at", &at, DateAlone::Refused)?;
            let who = actor(settings)?;
            let (store, _) = open_store(settings).await?;
            let (app, op) = super::app(&store, &super::actor(settings)?);
            let id = app.resolve(&op, &incident).await?;
            let done = execute(&store, id, &who, |i| {
                i.set_milestone(m, at, &source, &reason, Timestamp::now())
            })
            .await?;
            println!(
                "incident #{}: {m} = {at} (source: {source})",
                done.incident.number
            );
        }
        IncidentCommand::Journal { incident, format } => {
            let (store, _) = open_store(settings).await?;
            let (app, op) = super::app(&store, &super::actor(settings)?);
            let id = app.resolve(&op, &incident).await?;
            let journal = app.journal(&op, id).await?;
            match format {
                Format::Json => print_json(&journal)?,
                Format::Table => print_journal(&journal, &settings.timezone),
            }
        }
        IncidentCommand::Export { incident, output } => {
            let (store, _) = open_store(settings).await?;
            let (app, op) = super::app(&store, &super::actor(settings)?);
            let id = app.resolve(&op, &incident).await?;
            let doc = export(&app, &op, id).await?;
            let text = serde_json::to_string_pretty(&doc)?;
            match output {
                Some(path) => {
                    std::fs::write(&path, text + "\n")
                        .with_context(|| format!("cannot write `{}`", path.display()))?;
                    eprintln!("wrote {}", path.display());
                }
                None => println!("{text}"),
            }
        }
    }
    Ok(exit::OK)
}

/// The export document: the incident, its whole journal, and where to check it (docs/journal.md).
async fn export(
    app: &debrief_app::App,
    op: &debrief_app::Caller,
    id: debrief_domain::IncidentId,
) -> Result<serde_json::Value> {
    let incident = app.incident_by_id(op, id).await?;
    let entries = app.journal(op, id).await?;
    let head = entries.last().map(|e| e.hash.to_hex());
    Ok(json!({
        "format": "debrief.journal-export/1",
        "exported_at": Timestamp::now(),
        "incident": incident,
        "head_hash": head,
        "entries": entries,
    }))
}

fn print_incident(i: &Incident, zone: &debrief_domain::Zone) {
    println!("Incident #{}  {}", i.number, i.title);
    println!("  id                {}", i.id);
    println!(
        "  status            {}  (next: {})",
        i.status,
        names(&i.status.allowed_next())
    );
    println!("  reporter          {}", i.reporter);
    println!("  detection source  {}", i.detection_source);
    println!(
        "  opened            {} by {}",
        zone.show(i.opened_at),
        i.opened_by
    );
    println!("  updated           {}", zone.show(i.updated_at));
    if i.restricted {
        let mut team: Vec<String> = std::iter::once(i.opened_by.clone())
            .chain(i.assignee.clone())
            .chain(i.members.iter().map(|m| m.user.clone()))
            .chain(i.grants.iter().map(ToString::to_string))
            .collect();
        team.sort();
        team.dedup();
        println!(
            "  access            restricted to its team: {}",
            team.join(", ")
        );
    } else {
        println!("  access            every account");
    }
    if !i.summary.is_empty() {
        println!("  summary");
        for line in i.summary.lines() {
            println!("    {line}");
        }
    }
    println!("\nKey timestamps");
    for m in Milestone::ALL {
        match i.milestones.get(&m) {
            Some(v) => {
                let how = match &v.source {
                    MilestoneSource::Derived { seq } => format!("from entry {seq}"),
                    MilestoneSource::Stated { seq, source } => {
                        format!("stated in entry {seq} from: {source}")
                    }
                };
                println!(
                    "  {:<16}  {}  {} ({})",
                    m.as_str(),
                    zone.show(v.at),
                    v.set_by,
                    how
                );
            }
            None => println!("  {:<16}  —", m.as_str()),
        }
    }
    println!("\nTimes are in {zone} (--timezone).");
}

fn names(list: &[Status]) -> String {
    list.iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn print_journal(entries: &[JournalEntry], zone: &debrief_domain::Zone) {
    let mut t = Table::new(&["SEQ", "RECORDED", "ACTOR", "KIND", "DETAIL"]);
    for e in entries {
        t.row(vec![
            e.seq.to_string(),
            zone.show(e.recorded_at),
            e.actor.clone(),
            e.kind.clone(),
            truncate(&describe(e, zone), 70),
        ]);
    }
    print!("{}", t.render());
    if let Some(last) = entries.last() {
        println!("head {}", last.hash);
    }
}

/// One line saying what an entry did: the describer of the pages and the reports, in English.
fn describe(e: &JournalEntry, zone: &debrief_domain::Zone) -> String {
    let d = debrief_report::journal::describe(debrief_domain::Language::En, zone, e);
    if d.why.is_empty() {
        d.what
    } else {
        format!("{}: {}", d.what, d.why)
    }
}
