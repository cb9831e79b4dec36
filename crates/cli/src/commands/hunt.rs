//! `debrief hunt`: Sigma rules over log files; hits as a table, JSON lines or CSV, a summary on
//! standard error.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use debrief_detect::{Mapping, RuleFilter, Window, collect_files, hunt_with, load_rules};

use crate::cli::HitFormat;
use crate::exit;
use crate::table::{Table, truncate};

#[derive(Debug)]
pub struct Args {
    pub paths: Vec<PathBuf>,
    pub rules: Vec<PathBuf>,
    pub mapping: Option<PathBuf>,
    pub level: Option<String>,
    pub status: Vec<String>,
    pub tag: Vec<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub format: HitFormat,
    pub output: Option<PathBuf>,
    /// A Debrief server to send the hits to as alerts, and the API token to use.
    pub send_to: Option<(String, String)>,
}

pub async fn run(args: Args) -> Result<u8> {
    for p in args.paths.iter().chain(&args.rules) {
        if !p.exists() {
            bail!("`{}` does not exist", p.display());
        }
    }
    let mapping = match &args.mapping {
        Some(p) => Mapping::from_json(
            &std::fs::read_to_string(p)
                .with_context(|| format!("cannot read `{}`", p.display()))?,
        )?,
        None => Mapping::windows_default(),
    };
    let started = Instant::now();
    let filter = RuleFilter {
        min_level: args.level.clone(),
        statuses: args.status.clone(),
        tags: args.tag.clone(),
    };
    let (ruleset, report) = load_rules(&args.rules, &filter);
    let loaded_in = started.elapsed();
    if report.loaded == 0 {
        bail!(
            "no rule could be loaded from {} file(s); check --rules",
            report.files
        );
    }
    let when = |raw: &Option<String>, flag: &str| -> Result<Option<jiff::Timestamp>> {
        raw.as_deref()
            .map(|t| {
                t.parse::<jiff::Timestamp>().with_context(|| {
                    format!("{flag} `{t}` is not a time like 2026-11-20T00:00:00Z")
                })
            })
            .transpose()
    };
    let window = Window {
        from: when(&args.from, "--from")?,
        to: when(&args.to, "--to")?,
    };
    let files = collect_files(&args.paths);
    if files.is_empty() {
        bail!(
            "no log file under {}: a hunt reads .evtx, .json, .jsonl and .ndjson files (optionally .gz)",
            args.paths
                .iter()
                .map(|p| format!("`{}`", p.display()))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    // A progress bar on a terminal only (indicatif hides it otherwise).
    let bar = indicatif::ProgressBar::new(files.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} files {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let (hits, stats) = hunt_with(&ruleset, &mapping, &files, window, &|| bar.inc(1));
    bar.finish_and_clear();
    if stats.files_failed.len() == files.len() {
        for (f, why) in &stats.files_failed {
            eprintln!("  {}: {why}", f.display());
        }
        bail!("none of the {} log file(s) could be read", files.len());
    }
    let elapsed = started.elapsed();

    let mut out: Box<dyn Write> = match &args.output {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot write `{}`", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    match args.format {
        HitFormat::Jsonl => {
            for h in &hits {
                serde_json::to_writer(&mut out, h)?;
                out.write_all(b"\n")?;
            }
        }
        HitFormat::Csv => {
            let mut w = debrief_report::tables::SafeWriter::new(&mut out);
            w.row([
                "timestamp",
                "level",
                "rule_id",
                "rule_title",
                "computer",
                "channel",
                "event_id",
                "record_id",
                "tags",
                "file",
            ])?;
            for h in &hits {
                w.row([
                    h.timestamp.clone(),
                    h.level.clone(),
                    h.rule_id.clone(),
                    h.rule_title.clone(),
                    h.computer.clone(),
                    h.channel.clone(),
                    h.event_id.clone(),
                    h.record_id.map(|n| n.to_string()).unwrap_or_default(),
                    h.tags.join(" "),
                    h.file.display().to_string(),
                ])?;
            }
            w.into_inner()?;
        }
        HitFormat::Table => {
            let mut t = Table::new(&["TIME", "LEVEL", "RULE", "COMPUTER", "EVENT", "RECORD"]);
            for h in &hits {
                t.row(vec![
                    h.timestamp.chars().take(19).collect(),
                    h.level.clone(),
                    truncate(&h.rule_title, 60),
                    truncate(&h.computer, 24),
                    format!(
                        "{} {}",
                        h.channel.rsplit('/').next().unwrap_or(""),
                        h.event_id
                    ),
                    h.record_id.map(|n| n.to_string()).unwrap_or_default(),
                ]);
            }
            write!(out, "{}", t.render())?;
        }
    }
    out.flush()?;

    let mut by_level: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
    for h in &hits {
        *by_level.entry(h.level.as_str()).or_default() += 1;
        *by_rule.entry(h.rule_title.as_str()).or_default() += 1;
    }
    let secs = elapsed.as_secs_f64().max(1e-9);
    eprintln!(
        "{} file(s), {} event(s), {} rule(s) loaded ({} failed, {} filtered out) in {:.2} s; {} hit(s); {:.0} events/s overall",
        stats.files,
        stats.events,
        report.loaded,
        report.failed.len(),
        report.filtered_out,
        loaded_in.as_secs_f64(),
        stats.hits,
        stats.events as f64 / secs
    );
    for (level, n) in &by_level {
        eprintln!("  {level:<14} {n}");
    }
    let mut top: Vec<(&&str, &usize)> = by_rule.iter().collect();
    top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (rule, n) in top.iter().take(10) {
        eprintln!("  {n:>6}  {rule}");
    }
    for (f, why) in &stats.files_failed {
        eprintln!("  skipped {}: {why}", f.display());
    }
    if std::env::var("DEBRIEF_HUNT_SHOW_FAILED").is_ok() {
        for (f, why) in &report.failed {
            eprintln!("  rule not loaded {}: {why}", f.display());
        }
    }
    if let Some((url, token)) = &args.send_to {
        let sent = super::send::send(url, token, &hits).await?;
        eprintln!(
            "sent {} alert(s) to {url}: {} new, {} repeated, {} grouped into open alerts",
            hits.len(),
            sent.created,
            sent.repeated,
            sent.grouped
        );
    }
    Ok(exit::OK)
}
