//! `debrief triage|observable|timeline|search`: the incident record from the command line.

use std::io::Read;

use super::execute;
use anyhow::{Context, Result};
use debrief_domain::Incident;
use debrief_domain::record::{NewTimelineEntry, ObservableFlags};

use super::{actor, open_store, print_json, severity_matrix};
use crate::cli::{Format, ObservableCommand, TimelineCommand, TriageCommand};
use crate::config::Settings;
use crate::exit;
use crate::table::{Table, truncate};

async fn run_one<F>(settings: &Settings, reference: &str, decide: F) -> Result<Incident>
where
    F: Fn(&Incident) -> Result<debrief_domain::Event, debrief_domain::DomainError> + Send + Sync,
{
    let who = actor(settings)?;
    let (store, _) = open_store(settings).await?;
    let (app, op) = super::app(&store, &super::actor(settings)?);
    let id = app.resolve(&op, reference).await?;
    Ok(execute(&store, id, &who, decide).await?.incident)
}

/// Like [`run_one`], for a command the domain decides as several events (one append).
async fn run_many<F>(settings: &Settings, reference: &str, decide: F) -> Result<Incident>
where
    F: Fn(&Incident) -> Result<Vec<debrief_domain::Event>, debrief_domain::DomainError>
        + Send
        + Sync,
{
    let (store, _) = open_store(settings).await?;
    let (app, op) = super::app(&store, &super::actor(settings)?);
    let id = app.resolve(&op, reference).await?;
    Ok(app
        .execute(&op, id, debrief_app::Need::Work, None, decide)
        .await?)
}

pub async fn triage(cmd: TriageCommand, settings: &Settings) -> Result<u8> {
    match cmd {
        TriageCommand::Classify {
            incident,
            class,
            kind,
            subtype,
            reason,
        } => {
            let (class, kind) = (class.unwrap_or_default(), kind.unwrap_or_default());
            let i = match &subtype {
                Some(sub) => {
                    run_many(settings, &incident, |i| {
                        i.classify_subtype(sub, &class, &kind, &reason)
                    })
                    .await?
                }
                None => {
                    run_one(settings, &incident, |i| i.classify(&class, &kind, &reason)).await?
                }
            };
            if let Some(c) = &i.classification {
                println!("incident #{} classified {}/{}", i.number, c.class, c.kind);
            }
            if let Some(sub) = subtype {
                println!(
                    "incident #{} tagged {}",
                    i.number,
                    sub.trim().to_ascii_lowercase()
                );
            }
        }
        TriageCommand::Assess {
            incident,
            functional,
            information,
            recoverability,
            reason,
        } => {
            let matrix = severity_matrix(settings)?;
            let (f, inf, r) = (functional, information, recoverability);
            let i = run_one(settings, &incident, |i| {
                i.assess(&matrix, f, inf, r, &reason)
            })
            .await?;
            if let Some(a) = &i.severity {
                println!(
                    "incident #{}: severity level {} ({})",
                    i.number,
                    a.level,
                    a.level_name()
                );
                for reason in &a.reasons {
                    println!("  {reason}");
                }
            }
        }
        TriageCommand::Mark { incident, tlp, pap } => {
            let i = run_one(settings, &incident, |i| i.set_markings(tlp, pap)).await?;
            println!(
                "incident #{}: {} PAP:{}",
                i.number,
                i.tlp.marking(),
                i.pap.as_str().to_uppercase()
            );
        }
        TriageCommand::Tag {
            incident,
            add,
            remove,
        } => {
            let i = run_one(settings, &incident, |i| i.change_tags(&add, &remove)).await?;
            println!("incident #{} tags: {}", i.number, i.tags.join(", "));
        }
        TriageCommand::Scope {
            incident,
            business_units,
            sites,
            systems,
        } => {
            let i = run_one(settings, &incident, |i| {
                i.set_scope(&business_units, &sites, &systems)
            })
            .await?;
            println!("incident #{} scope updated", i.number);
        }
        TriageCommand::Member {
            incident,
            user,
            role,
            remove,
            reason,
        } => {
            let i = run_one(settings, &incident, |i| {
                if remove {
                    i.remove_member(&user, role, &reason)
                } else {
                    i.add_member(&user, role)
                }
            })
            .await?;
            let people: Vec<String> = i
                .members
                .iter()
                .map(|m| format!("{} ({})", m.user, m.role))
                .collect();
            println!("incident #{} people: {}", i.number, people.join(", "));
        }
        TriageCommand::Taxonomy => {
            for c in debrief_domain::taxonomy::classes() {
                println!("{:<30} {}", c.id, c.en);
                for t in &c.types {
                    println!("  {:<40} {}", t.id, t.en);
                }
            }
        }
    }
    Ok(exit::OK)
}

pub async fn observable(cmd: ObservableCommand, settings: &Settings) -> Result<u8> {
    match cmd {
        ObservableCommand::Add {
            incident,
            kind,
            value,
            ioc,
            sighted,
            tlp,
            description,
        } => {
            let flags = ObservableFlags {
                ioc,
                sighted,
                tlp,
                description,
                ..Default::default()
            };
            let normalised = debrief_domain::observable::normalize(kind, &value)?;
            let i = run_one(settings, &incident, |i| {
                i.add_observable(kind, &value, &flags)
            })
            .await?;
            println!("incident #{}: {kind} {normalised}", i.number);
        }
        ObservableCommand::Paste {
            incident,
            file,
            ioc,
        } => {
            let text = match file {
                Some(path) => std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read `{}`", path.display()))?,
                None => {
                    let mut t = String::new();
                    std::io::stdin()
                        .read_to_string(&mut t)
                        .context("cannot read standard input")?;
                    t
                }
            };
            let flags = ObservableFlags {
                ioc,
                ..Default::default()
            };
            let who = actor(settings)?;
            let (store, _) = open_store(settings).await?;
            let (app, caller) = super::app(&store, &who);
            let id = app.resolve(&caller, &incident).await?;
            let known = std::sync::atomic::AtomicUsize::new(0);
            let done = app
                .execute_entries(&caller, id, debrief_app::Need::Work, None, |i| {
                    let (events, k) = i.add_observables_from_text(&text, &flags)?;
                    known.store(k, std::sync::atomic::Ordering::Relaxed);
                    Ok(events)
                })
                .await?;
            let (added, known) = (
                done.entries.len(),
                known.load(std::sync::atomic::Ordering::Relaxed),
            );
            let current = done.incident;
            println!(
                "incident #{}: {added} observable(s) added, {known} already known",
                current.number
            );
        }
        ObservableCommand::List { incident, format } => {
            let (store, _) = open_store(settings).await?;
            let (app, op) = super::app(&store, &super::actor(settings)?);
            let id = app.resolve(&op, &incident).await?;
            let inc = app.incident_by_id(&op, id).await?;
            let shared = app.shared_observables(&op, id).await?;
            let rows: Vec<_> = inc
                .observables
                .iter()
                .map(|o| (o, shared.get(&o.value).cloned().unwrap_or_default()))
                .collect();
            match format {
                Format::Json => print_json(
                    &rows
                        .iter()
                        .map(|(o, also)| serde_json::json!({"observable": o, "also_in": also}))
                        .collect::<Vec<_>>(),
                )?,
                Format::Table => {
                    let mut t = Table::new(&["ID", "TYPE", "IOC", "SIGHTED", "ALSO IN", "VALUE"]);
                    for (o, also) in rows {
                        t.row(vec![
                            o.id.to_string(),
                            o.kind.to_string(),
                            if o.ioc { "yes".into() } else { "".into() },
                            if o.sighted { "yes".into() } else { "".into() },
                            also.iter()
                                .map(|n| format!("#{n}"))
                                .collect::<Vec<_>>()
                                .join(" "),
                            truncate(&o.value, 80),
                        ]);
                    }
                    print!("{}", t.render());
                }
            }
        }
        ObservableCommand::Lookup {
            value,
            kind,
            format,
        } => {
            let value = match kind {
                Some(k) => debrief_domain::observable::normalize(k.parse()?, &value)?,
                None => debrief_domain::observable::refang(value.trim()),
            };
            let (store, _) = open_store(settings).await?;
            let (app, op) = super::app(&store, &super::actor(settings)?);
            let seen = app.sightings(&op, &value, 500).await?;
            match format {
                Format::Json => print_json(&seen)?,
                Format::Table if seen.is_empty() => println!("{value} is in no incident"),
                Format::Table => {
                    let mut t = Table::new(&["#", "STATUS", "TYPE", "IOC", "TITLE"]);
                    for s in &seen {
                        t.row(vec![
                            s.number.to_string(),
                            s.status.clone(),
                            s.kind.clone(),
                            s.ioc.to_string(),
                            truncate(&s.title, 70),
                        ]);
                    }
                    print!("{}", t.render());
                }
            }
        }
    }
    Ok(exit::OK)
}

pub async fn timeline(cmd: TimelineCommand, settings: &Settings) -> Result<u8> {
    match cmd {
        TimelineCommand::Add {
            incident,
            at,
            description,
            precision,
            source,
            technique,
            tactic,
            observables,
            assets,
        } => {
            let entry = NewTimelineEntry {
                occurred_at: super::read_time(
                    settings,
                    "occurred_at",
                    &at,
                    debrief_domain::DateAlone::Refused,
                )?,
                precision,
                description,
                source,
                technique,
                tactic,
                observables,
                assets,
            };
            let i = run_one(settings, &incident, |i| i.add_timeline(&entry)).await?;
            println!(
                "incident #{}: timeline has {} entries",
                i.number,
                i.timeline.len()
            );
        }
        TimelineCommand::Withdraw {
            incident,
            id,
            reason,
        } => {
            let i = run_one(settings, &incident, |i| i.remove_timeline(id, &reason)).await?;
            println!("incident #{}: timeline entry {id} withdrawn", i.number);
        }
        TimelineCommand::List { incident, format } => {
            let (store, _) = open_store(settings).await?;
            let (app, op) = super::app(&store, &super::actor(settings)?);
            let id = app.resolve(&op, &incident).await?;
            let inc = app.incident_by_id(&op, id).await?;
            match format {
                Format::Json => print_json(&inc.timeline)?,
                Format::Table => {
                    let mut t =
                        Table::new(&["ID", "WHEN", "PRECISION", "SOURCE", "ATT&CK", "WHAT"]);
                    for e in &inc.timeline {
                        let attack = [
                            e.tactic.as_ref().map(|x| x.as_str().to_string()),
                            e.technique.as_ref().map(|x| x.to_string()),
                        ]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" ");
                        t.row(vec![
                            e.id.to_string(),
                            e.occurred_at.to_string(),
                            e.precision.as_str().into(),
                            e.source.as_str().into(),
                            attack,
                            truncate(&e.description, 70),
                        ]);
                    }
                    print!("{}", t.render());
                }
            }
        }
    }
    Ok(exit::OK)
}

pub async fn search(query: &str, limit: u32, format: Format, settings: &Settings) -> Result<u8> {
    let (store, _) = open_store(settings).await?;
    let (app, caller) = super::app(&store, &actor(settings)?);
    let hits = app.search(&caller, query, limit.clamp(1, 200)).await?;
    match format {
        Format::Json => print_json(&hits)?,
        Format::Table if hits.is_empty() => println!("no match for {query:?}"),
        Format::Table => {
            let mut t = Table::new(&["#", "STATUS", "WHERE", "MATCH"]);
            for h in &hits {
                t.row(vec![
                    h.number.to_string(),
                    h.status.clone(),
                    h.field.clone(),
                    truncate(&h.snippet, 90),
                ]);
            }
            print!("{}", t.render());
        }
    }
    Ok(exit::OK)
}
