//! `debrief metrics`: the program's figures over a period, computed exactly as the API and the
//! dashboard compute them, as a table, JSON or CSV (one figure per row, with the incidents behind
//! it).

use anyhow::Result;
use debrief_domain::metrics::Metrics;
use debrief_server::api::metrics::{MetricsParams, figures};
use debrief_server::{AppState, Config};

use super::{open_store, print_json};
use crate::cli::TableFormat;
use crate::config::Settings;
use crate::exit;
use crate::table::Table;

fn numbers(ns: &[i64]) -> String {
    ns.iter()
        .map(|n| format!("#{n}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn hours(h: Option<f64>) -> String {
    h.map_or_else(|| "—".into(), |h| format!("{h}"))
}

/// The figures as rows: figure, value, incidents.
fn rows(m: &Metrics) -> Vec<[String; 3]> {
    let mut out = vec![[
        "incidents handled".to_string(),
        m.handled.to_string(),
        numbers(&m.incidents),
    ]];
    for d in &m.durations {
        for (what, v) in [
            ("mean hours", d.mean_hours),
            ("median hours", d.median_hours),
            ("p90 hours", d.p90_hours),
        ] {
            out.push([
                format!("{} {what}", d.name),
                hours(v),
                numbers(&d.incidents),
            ]);
        }
        out.push([
            format!("{} missing a timestamp", d.name),
            d.missing.len().to_string(),
            numbers(&d.missing),
        ]);
    }
    for (c, ns) in &m.by_class {
        out.push([format!("class {c}"), ns.len().to_string(), numbers(ns)]);
    }
    for (l, ns) in &m.by_severity {
        out.push([format!("severity {l}"), ns.len().to_string(), numbers(ns)]);
    }
    for (s, ns) in &m.by_status {
        out.push([format!("status {s}"), ns.len().to_string(), numbers(ns)]);
    }
    out.push([
        "labour hours total".into(),
        m.labour_hours_total.to_string(),
        String::new(),
    ]);
    out.push([
        "labour hours per incident".into(),
        hours(m.labour_hours_mean),
        numbers(&m.without_labour),
    ]);
    for (cur, c) in &m.costs {
        out.push([
            format!("net cost {cur}"),
            format!("{:.2}", c.net as f64 / 100.0),
            numbers(&c.incidents),
        ]);
    }
    let n = &m.notifications;
    out.push([
        "deadlines met on time %".into(),
        hours(n.on_time_pct),
        String::new(),
    ]);
    out.push([
        "deadlines late".into(),
        n.late.to_string(),
        numbers(&n.late_incidents),
    ]);
    out.push([
        "deadlines overdue".into(),
        n.overdue.to_string(),
        numbers(&n.overdue_incidents),
    ]);
    let r = &m.recommendations;
    out.push([
        "recommendations completed %".into(),
        hours(r.completion_pct),
        String::new(),
    ]);
    out.push([
        "recommendations overdue".into(),
        r.overdue.to_string(),
        numbers(&r.overdue_incidents),
    ]);
    out.push([
        format!("recurrences within {} months", m.recurrence_months),
        m.recurrences.len().to_string(),
        numbers(&m.recurrences.iter().map(|r| r.incident).collect::<Vec<_>>()),
    ]);
    for (k, n) in &m.actions {
        out.push([format!("action {k}"), n.to_string(), String::new()]);
    }
    out
}

pub async fn run(params: MetricsParams, format: TableFormat, settings: &Settings) -> Result<u8> {
    let (store, key) = open_store(settings).await?;
    let state = AppState::new(store, key, Config::default());
    let operator = debrief_app::Caller::operator(super::actor(settings)?);
    let m = match figures(&state, &operator, &params).await {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {}", e.detail);
            return Ok(exit::REFUSED);
        }
    };
    match format {
        TableFormat::Json => print_json(&m)?,
        TableFormat::Csv => {
            let mut w = debrief_report::tables::SafeWriter::new(std::io::stdout().lock());
            w.row(["figure", "value", "incidents"])?;
            for r in rows(&m) {
                w.row(&r)?;
            }
            drop(w.into_inner()?);
        }
        TableFormat::Table => {
            let mut t = Table::new(&["figure", "value"]);
            for [figure, value, _] in rows(&m) {
                t.row(vec![figure, value]);
            }
            print!("{}", t.render());
        }
    }
    Ok(exit::OK)
}
