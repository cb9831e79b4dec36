//! `debrief postmortem`, `debrief recommendations`, `debrief playbooks`: the post-incident review
//! from the terminal, computed exactly as the API computes it.

use anyhow::{Result, bail};
use debrief_server::api::board::{BoardParams, compute_board};
use debrief_server::api::postmortem::view;
use debrief_server::{AppState, Config};

use super::{open_store, print_json};
use crate::config::Settings;
use crate::exit;
use crate::table::{Table, truncate};

fn hours(s: i64) -> String {
    format!("{} h {:02} min", s / 3600, (s % 3600) / 60)
}

pub async fn show(incident: &str, format: &str, ready: bool, settings: &Settings) -> Result<u8> {
    if !["text", "json"].contains(&format) {
        bail!("--format must be text or json");
    }
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
        if format == "json" {
            print_json(&v.readiness)?;
        } else {
            print_readiness(&v.readiness);
        }
        return Ok(code);
    }
    if format == "json" {
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
    state: String,
    owner: Option<String>,
    format: &str,
    settings: &Settings,
) -> Result<u8> {
    if !["table", "json"].contains(&format) {
        bail!("--format must be table or json");
    }
    let (store, _) = open_store(settings).await?;
    let (app, who) = super::app(&store, &super::actor(settings)?);
    let b = compute_board(
        &app,
        &who,
        &BoardParams {
            state: Some(state),
            owner,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!(e.detail))?;
    if format == "json" {
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
    let mut t = Table::new(&["playbook", "lang", "version", "title", "from incident"]);
    for p in store.list_playbooks().await? {
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
