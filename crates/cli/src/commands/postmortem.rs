//! `debrief postmortem`, `debrief recommendations`, `debrief playbooks`, `debrief review`: the
//! post-incident review from the terminal, computed exactly as the API computes it, and the
//! changes that fix what its checks say.

use anyhow::{Result, bail};
use debrief_server::api::board::{BoardParams, compute_board};
use debrief_server::api::postmortem::view;
use debrief_server::{AppState, Config};

use debrief_app::Need;
use debrief_app::commands::{AddRecommendation, UpdateRecommendation};
use debrief_domain::DateAlone;
use debrief_domain::postmortem::{CauseCategory, RecordCount, RootCause};

use super::{open_store, print_json};
use crate::cli::{BoardState, Format, ReviewCommand, TextFormat};
use crate::config::Settings;
use crate::exit;
use crate::table::{Table, truncate};

fn hours(s: i64) -> String {
    format!("{} h {:02} min", s / 3600, (s % 3600) / 60)
}

pub async fn show(
    incident: &str,
    format: TextFormat,
    ready: bool,
    settings: &Settings,
) -> Result<u8> {
    let (store, key) = open_store(settings).await?;
    let (app, op) = super::app(&store, &super::actor(settings)?);
    let id = app.resolve(&op, incident).await?;
    let i = app.incident_by_id(&op, id).await?;
    let config = Config {
        targets: super::response_targets(settings)?,
        timezone: settings.timezone.clone(),
        review: settings.review.clone(),
        ..Config::default()
    };
    let state = AppState::new(store, key, config);
    let v = view(&state, &i, debrief_domain::Language::En)
        .await
        .map_err(|e| anyhow::anyhow!(e.detail))?;
    if ready {
        let code = if v.readiness.ready {
            exit::OK
        } else {
            exit::BROKEN
        };
        if format == TextFormat::Json {
            print_json(&v.readiness)?;
        } else {
            print_readiness(&v.readiness);
        }
        return Ok(code);
    }
    if format == TextFormat::Json {
        print_json(&v)?;
        return Ok(exit::OK);
    }
    println!("#{} {} — postmortem {}", v.incident, v.title, v.status);
    if let Some(due) = &v.review_due {
        println!("review due by {due}");
    }
    let mut t = Table::new(&["measure", "measured", "target", "met"]);
    for m in &v.effectiveness {
        t.row(vec![
            m.name.replace('_', " "),
            m.seconds
                .map(hours)
                .unwrap_or_else(|| format!("missing {}", m.missing.join(", "))),
            m.target_seconds.map(hours).unwrap_or_else(|| "—".into()),
            match m.met {
                Some(true) => "yes".into(),
                Some(false) => "NO".into(),
                None => "—".into(),
            },
        ]);
    }
    print!("{}", t.render());
    for a in &v.playbooks {
        println!(
            "playbook {} v{}: {} of {} steps done, {} skipped",
            a.slug, a.version, a.done, a.total, a.skipped
        );
    }
    for f in &v.blameless {
        println!("blameless: “{}” — {}: {}", f.sentence, f.matched, f.hint);
    }
    print_readiness(&v.readiness);
    if !v.recommendations.is_empty() {
        let mut t = Table::new(&["#", "action", "priority", "owner", "due", "status"]);
        for r in &v.recommendations {
            let rec = &r.recommendation;
            t.row(vec![
                rec.id.to_string(),
                truncate(&rec.action, 60),
                format!("{} {}", r.score, r.quadrant),
                rec.owner.clone().unwrap_or_else(|| "—".into()),
                format!("{} {}", &rec.due.to_string()[..10], r.due_state),
                rec.status.to_string(),
            ]);
        }
        print!("{}", t.render());
    }
    Ok(exit::OK)
}

/// The open items of the review, required ones first.
fn print_readiness(r: &debrief_server::api::postmortem::Readiness) {
    if r.items.is_empty() {
        println!("ready: the record answers every question of the review");
        return;
    }
    println!(
        "{}",
        if r.ready {
            "ready for approval; still open:"
        } else {
            "not ready for approval (required items open):"
        }
    );
    let mut items: Vec<_> = r.items.iter().collect();
    items.sort_by_key(|g| !g.required);
    for g in items {
        let missing = if g.missing.is_empty() {
            String::new()
        } else {
            format!(" ({})", g.missing.join(", "))
        };
        println!(
            "  {} {}{missing} — {}",
            if g.required { "required" } else { "open    " },
            g.question,
            g.fill
        );
    }
}

pub async fn board(
    state: BoardState,
    owner: Option<String>,
    format: Format,
    settings: &Settings,
) -> Result<u8> {
    let (store, _) = open_store(settings).await?;
    let (app, who) = super::app(&store, &super::actor(settings)?);
    let b = compute_board(
        &app,
        &who,
        &BoardParams {
            state: Some(state.as_str().to_string()),
            owner,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!(e.detail))?;
    if format == Format::Json {
        print_json(&b)?;
        return Ok(exit::OK);
    }
    let mut t = Table::new(&["incident", "#", "action", "owner", "due", "status"]);
    for item in &b.items {
        let r = &item.recommendation.recommendation;
        t.row(vec![
            format!("#{}", item.incident),
            r.id.to_string(),
            truncate(&r.action, 60),
            r.owner.clone().unwrap_or_else(|| "—".into()),
            format!(
                "{} {}",
                &r.due.to_string()[..10],
                item.recommendation.due_state
            ),
            r.status.to_string(),
        ]);
    }
    print!("{}", t.render());
    eprintln!(
        "{} recommendation(s), {} done or verified, {} overdue, {} due within 7 days",
        b.total, b.completed, b.overdue, b.due_soon
    );
    if !b.reviews.is_empty() {
        println!("\nreviews owed (recovered or closed, postmortem not approved):");
        let mut t = Table::new(&["incident", "title", "postmortem", "ended", "review due"]);
        for r in &b.reviews {
            t.row(vec![
                format!("#{}", r.incident),
                truncate(&r.title, 50),
                r.postmortem.clone(),
                r.ended_at[..16].replace('T', " "),
                match &r.review_due {
                    Some(d) if r.overdue => format!("{} OVERDUE", &d[..10]),
                    Some(d) => d[..10].to_string(),
                    None => "— (no severity)".into(),
                },
            ]);
        }
        print!("{}", t.render());
    }
    Ok(exit::OK)
}

pub async fn playbooks(settings: &Settings) -> Result<u8> {
    let (store, _) = open_store(settings).await?;
    debrief_server::api::playbooks::seed_playbooks(&debrief_app::App::new(store.clone())).await?;
    let (app, op) = super::app(&store, &super::actor(settings)?);
    let mut t = Table::new(&["playbook", "lang", "version", "title", "from incident"]);
    for p in app.playbooks(&op).await? {
        t.row(vec![
            p.slug,
            p.lang,
            p.version.to_string(),
            p.title,
            p.from_incident.map(|n| format!("#{n}")).unwrap_or_default(),
        ]);
    }
    print!("{}", t.render());
    Ok(exit::OK)
}

/// `debrief review …`: a root cause or a recommendation rewritten, the regulators' facts stated;
/// each through the application layer like the API's and the page's, then what the blameless
/// check still flags.
pub async fn review(cmd: ReviewCommand, settings: &Settings) -> Result<u8> {
    let (store, _) = open_store(settings).await?;
    let (app, op) = super::app(&store, &super::actor(settings)?);
    let i = match cmd {
        ReviewCommand::RootCause {
            incident,
            id,
            category,
            text,
            whys,
            preventable,
            prevention,
        } => {
            let iid = app.resolve(&op, &incident).await?;
            app.execute(&op, iid, Need::Work, None, |c| {
                let old = c.postmortem.root_causes.iter().find(|r| r.id == id);
                let keep = |f: fn(&RootCause) -> String| old.map(f).unwrap_or_default();
                Ok(vec![
                    c.update_root_cause(
                        id,
                        category
                            .or(old.map(|o| o.category))
                            .unwrap_or(CauseCategory::Process),
                        &text.clone().unwrap_or_else(|| keep(|o| o.text.clone())),
                        &if whys.is_empty() {
                            old.map(|o| o.whys.clone()).unwrap_or_default()
                        } else {
                            whys.clone()
                        },
                        preventable.or(old.and_then(|o| o.preventable)),
                        &prevention
                            .clone()
                            .unwrap_or_else(|| keep(|o| o.prevention.clone())),
                    )?,
                ])
            })
            .await?
        }
        ReviewCommand::Recommendation {
            incident,
            id,
            action,
            owner,
            no_owner,
            due,
        } => {
            let iid = app.resolve(&op, &incident).await?;
            let current = app.incident_by_id(&op, iid).await?;
            let Some(r) = current.recommendations.iter().find(|r| r.id == id) else {
                bail!("#{} has no recommendation {id}", current.number);
            };
            let command = UpdateRecommendation {
                id,
                action: action.unwrap_or_else(|| r.action.clone()),
                owner: if no_owner {
                    None
                } else {
                    AddRecommendation::owner_from(owner.as_deref().or(r.owner.as_deref()))?
                },
                due: match due {
                    Some(d) => super::read_time(settings, "due", &d, DateAlone::EndOfDay)?,
                    None => r.due,
                },
            };
            app.update_recommendation(&op, iid, &command).await?
        }
        ReviewCommand::Facts {
            incident,
            contact,
            malicious,
            cross_border,
            cross_border_detail,
            data_subjects,
            consequences,
            measures_for_people,
        } => {
            let subjects = data_subjects
                .iter()
                .map(|l| RecordCount::parse_line("data subjects", l))
                .collect::<Result<Vec<_>, _>>()?;
            let iid = app.resolve(&op, &incident).await?;
            app.execute(&op, iid, Need::Work, None, |c| {
                let mut facts = c.regulatory.clone();
                if let Some(v) = &contact {
                    facts.contact = v.clone();
                }
                if malicious.is_some() {
                    facts.malicious = malicious;
                }
                if cross_border.is_some() {
                    facts.cross_border = cross_border;
                }
                if let Some(v) = &cross_border_detail {
                    facts.cross_border_detail = v.clone();
                }
                if !subjects.is_empty() {
                    facts.data_subjects = subjects.clone();
                }
                if let Some(v) = &consequences {
                    facts.consequences = v.clone();
                }
                if let Some(v) = &measures_for_people {
                    facts.measures_for_people = v.clone();
                }
                Ok(vec![c.set_regulatory_facts(facts)?])
            })
            .await?
        }
        ReviewCommand::Input {
            incident,
            what_happened,
            went_well,
            went_wrong,
            lucky,
            business,
            improve,
            anonymous,
        } => {
            use debrief_domain::postmortem::InputQuestion as Q;
            let answers: std::collections::BTreeMap<Q, String> = [
                (Q::WhatHappened, what_happened),
                (Q::WentWell, went_well),
                (Q::WentWrong, went_wrong),
                (Q::Lucky, lucky),
                (Q::Business, business),
                (Q::Improve, improve),
            ]
            .into_iter()
            .filter_map(|(q, a)| a.map(|a| (q, a)))
            .collect();
            let iid = app.resolve(&op, &incident).await?;
            app.execute(&op, iid, Need::Work, None, |c| {
                Ok(vec![c.give_review_input(&answers, anonymous)?])
            })
            .await?
        }
        ReviewCommand::Held {
            incident,
            at,
            attendees,
            absent,
            decisions,
        } => {
            let at = super::read_time(settings, "at", &at, DateAlone::Refused)?;
            let iid = app.resolve(&op, &incident).await?;
            app.execute(&op, iid, Need::Work, None, |c| {
                Ok(vec![c.record_review(
                    at,
                    &attendees,
                    &absent,
                    &decisions,
                    debrief_domain::Timestamp::now(),
                )?])
            })
            .await?
        }
    };
    println!("incident #{}: recorded (entry {})", i.number, i.seq);
    let findings = i.blame_findings(debrief_domain::Language::En, &[]);
    for f in &findings {
        println!("blameless: “{}” — {}: {}", f.sentence, f.matched, f.hint);
    }
    Ok(exit::OK)
}
