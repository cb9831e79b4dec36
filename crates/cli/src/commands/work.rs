//! `debrief work …`: affected assets, response actions, tasks, notes, time.

use super::execute;
use anyhow::Result;
use debrief_domain::DateAlone;
use debrief_domain::Timestamp;
use debrief_domain::work::NoteKind;

use super::{actor, open_store, print_json};
use crate::cli::{Format, WorkCommand};
use crate::config::Settings;
use crate::exit;
use crate::table::{Table, truncate};

/// `--at`: a time in the installation's zone (or with an offset); now when absent.
fn when(settings: &Settings, raw: Option<&str>) -> Result<Timestamp> {
    Ok(raw
        .map(|t| super::read_time(settings, "at", t, DateAlone::Refused))
        .transpose()?
        .unwrap_or_else(Timestamp::now))
}

pub async fn run(cmd: WorkCommand, settings: &Settings) -> Result<u8> {
    let who = actor(settings)?;
    let (store, _) = open_store(settings).await?;
    let (app, op) = super::app(&store, &super::actor(settings)?);
    let reference = match &cmd {
        WorkCommand::Asset { incident, .. }
        | WorkCommand::Action { incident, .. }
        | WorkCommand::Task { incident, .. }
        | WorkCommand::TaskStatus { incident, .. }
        | WorkCommand::Note { incident, .. }
        | WorkCommand::Time { incident, .. }
        | WorkCommand::List { incident, .. } => incident.clone(),
    };
    let id = app.resolve(&op, &reference).await?;
    let done = match cmd {
        WorkCommand::Asset {
            kind,
            name,
            criticality,
            compromise,
            ..
        } => {
            let (k, c, p) = (kind, criticality, compromise);
            execute(&store, id, &who, |i| i.add_asset(k, &name, c, p, "")).await?
        }
        WorkCommand::Action {
            kind,
            description,
            by,
            at,
            outcome,
            ..
        } => {
            let at = when(settings, at.as_deref())?;
            let by = by.unwrap_or_else(|| who.as_str().to_string());
            execute(&store, id, &who, |i| {
                i.record_action(kind, &description, &by, at, &outcome)
            })
            .await?
        }
        WorkCommand::Task {
            title, owner, due, ..
        } => {
            let due = due
                .as_deref()
                .map(|d| super::read_time(settings, "due", d, DateAlone::EndOfDay))
                .transpose()?;
            execute(&store, id, &who, |i| {
                i.add_task(&title, owner.as_deref(), due)
            })
            .await?
        }
        WorkCommand::TaskStatus {
            id: tid,
            status,
            at,
            ..
        } => {
            let at = at
                .as_deref()
                .map(|a| super::read_time(settings, "at", a, DateAlone::Refused))
                .transpose()?;
            execute(&store, id, &who, |i| {
                i.update_task(tid, Some(status), None, None, at)
            })
            .await?
        }
        WorkCommand::Note {
            text,
            interviewee,
            at,
            ..
        } => {
            let at = at
                .as_deref()
                .map(|a| super::read_time(settings, "at", a, DateAlone::Refused))
                .transpose()?;
            let kind = if interviewee.is_some() {
                NoteKind::Interview
            } else {
                NoteKind::Note
            };
            let interviewee = interviewee.unwrap_or_default();
            execute(&store, id, &who, |i| {
                i.add_note(kind, &text, &interviewee, at)
            })
            .await?
        }
        WorkCommand::Time {
            minutes,
            activity,
            user,
            at,
            ..
        } => {
            let user = user.unwrap_or_else(|| who.as_str().to_string());
            let day = match at.as_deref() {
                Some(a) => super::read_time(settings, "day", a, DateAlone::StartOfDay)?,
                None => Timestamp::now(),
            };
            execute(&store, id, &who, |i| {
                i.log_time(&user, minutes, day, &activity)
            })
            .await?
        }
        WorkCommand::List { format, .. } => {
            let i = app.incident_by_id(&op, id).await?;
            match format {
                Format::Json => print_json(&serde_json::json!({
                    "assets": i.assets, "actions": i.actions, "tasks": i.tasks, "notes": i.notes, "time": i.time,
                    "minutes_logged": i.minutes_logged(),
                }))?,
                Format::Table => {
                    let mut t = Table::new(&["WHAT", "ID", "DETAIL"]);
                    for a in &i.assets {
                        t.row(vec![
                            "asset".into(),
                            a.id.to_string(),
                            format!(
                                "{} {} ({}, {})",
                                a.kind.as_str(),
                                a.name,
                                a.criticality.as_str(),
                                a.compromise.as_str()
                            ),
                        ]);
                    }
                    for a in &i.actions {
                        t.row(vec![
                            "action".into(),
                            a.id.to_string(),
                            truncate(
                                &format!(
                                    "{} by {}: {} → {}",
                                    a.kind.as_str(),
                                    a.by,
                                    a.description,
                                    a.outcome
                                ),
                                90,
                            ),
                        ]);
                    }
                    for k in &i.tasks {
                        t.row(vec![
                            "task".into(),
                            k.id.to_string(),
                            format!(
                                "[{}] {} ({})",
                                k.status.as_str(),
                                k.title,
                                k.owner.as_deref().unwrap_or("no owner")
                            ),
                        ]);
                    }
                    for n in &i.notes {
                        t.row(vec![
                            n.kind.as_str().into(),
                            n.id.to_string(),
                            truncate(&n.text, 90),
                        ]);
                    }
                    for e in &i.time {
                        t.row(vec![
                            "time".into(),
                            e.id.to_string(),
                            format!("{} min by {} {}", e.minutes, e.user, e.activity),
                        ]);
                    }
                    print!("{}", t.render());
                    println!(
                        "labour logged: {} h {:02} min",
                        i.minutes_logged() / 60,
                        i.minutes_logged() % 60
                    );
                }
            }
            return Ok(exit::OK);
        }
    };
    println!(
        "incident #{}: entry {} recorded",
        done.incident.number, done.incident.seq
    );
    Ok(exit::OK)
}
