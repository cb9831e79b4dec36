//! Debrief's detection engine: Sigma rules (evaluated by `rsigma-eval`) over Windows EVTX and
//! JSON-lines logs. Reads files, flattens events to Sigma field names, routes each event to the
//! rules of its logsource, and returns hits. Usable as a library without the rest of Debrief.
//!
//! **Architecture invariant:** this crate never touches the database; it turns files and rules
//! into hits, and callers decide what to do with them.

pub mod alert;
pub mod mapping;
pub mod reader;
pub mod rules;

use std::path::{Path, PathBuf};

use rsigma_eval::JsonEvent;
use serde::Serialize;

pub use mapping::Mapping;
pub use rules::{LoadReport, RuleFilter, RuleSet, load_rules};

/// One rule matching one event.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub rule_id: String,
    pub rule_title: String,
    pub level: String,
    /// ATT&CK and other tags of the rule.
    pub tags: Vec<String>,
    pub timestamp: String,
    pub computer: String,
    pub channel: String,
    pub event_id: String,
    /// The event's record number; `None` without one (an alert then names the event by the
    /// hash of its content).
    pub record_id: Option<u64>,
    pub file: PathBuf,
    /// The matched event, flattened, as JSON text (a parsed tree is several times larger, and
    /// a hunt can hold thousands of hits).
    pub event: Box<serde_json::value::RawValue>,
}

/// What a hunt read and found.
#[derive(Debug, Default, Clone, Serialize)]
pub struct HuntStats {
    pub files: usize,
    pub files_failed: Vec<(PathBuf, String)>,
    pub events: u64,
    pub hits: usize,
}

/// Evaluates every event of one file; unreadable records are counted and skipped.
pub fn hunt_file(
    rules: &RuleSet,
    mapping: &Mapping,
    path: &Path,
) -> Result<(Vec<Hit>, u64), reader::ReadError> {
    hunt_file_in(rules, mapping, path, Window::default())
}

/// Only events whose `TimeCreated` falls in `[from, to]` (either bound optional). With a
/// window, events without a readable time are skipped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    pub from: Option<jiff::Timestamp>,
    pub to: Option<jiff::Timestamp>,
}

impl Window {
    fn admits(&self, event: &reader::Event) -> bool {
        if self.from.is_none() && self.to.is_none() {
            return true;
        }
        let Ok(t) = event.origin.time.parse::<jiff::Timestamp>() else {
            return false;
        };
        self.from.is_none_or(|f| t >= f) && self.to.is_none_or(|e| t <= e)
    }
}

/// Like [`hunt_file`], only for events inside `window`.
pub fn hunt_file_in(
    rules: &RuleSet,
    mapping: &Mapping,
    path: &Path,
    window: Window,
) -> Result<(Vec<Hit>, u64), reader::ReadError> {
    hunt_file_after(rules, mapping, path, window, 0)
}

/// Like [`hunt_file_in`], skipping the first `skip` events of the file (those a watcher has
/// already evaluated); the count returned is of all the file's events.
pub fn hunt_file_after(
    rules: &RuleSet,
    mapping: &Mapping,
    path: &Path,
    window: Window,
    skip: u64,
) -> Result<(Vec<Hit>, u64), reader::ReadError> {
    let mut hits = Vec::new();
    let mut events = 0u64;
    reader::for_each_event(path, |event| {
        events += 1;
        if events <= skip || !window.admits(event) {
            return;
        }
        evaluate(rules, mapping, event, path, &mut hits);
    })?;
    Ok((hits, events))
}

/// Evaluates one event (routed by what it says of itself, its fields in Sigma or Windows
/// names) and adds its hits; `file` is what the hits name as their file.
pub fn evaluate(
    rules: &RuleSet,
    mapping: &Mapping,
    event: &reader::Event,
    file: &Path,
    hits: &mut Vec<Hit>,
) {
    let o = &event.origin;
    let mapped = mapping.with_sigma_fields(&event.fields, o);
    let flat = mapped.as_ref().unwrap_or(&event.fields);
    let ev = JsonEvent::borrow(flat);
    let sources = mapping.logsources(o);
    for result in rules.evaluate(&ev, &sources) {
        let h = &result.header;
        hits.push(Hit {
            rule_id: h.rule_id.clone().unwrap_or_default(),
            rule_title: h.rule_title.clone(),
            level: h.level.map(|l| l.as_str().to_string()).unwrap_or_default(),
            tags: h.tags.clone(),
            timestamp: o.time.clone(),
            computer: o.computer.clone(),
            channel: o.channel.clone(),
            event_id: o.event_id.clone(),
            record_id: o.record_id,
            file: file.to_path_buf(),
            event: serde_json::value::to_raw_value(flat)
                .unwrap_or_else(|_| serde_json::value::RawValue::NULL.to_owned()),
        });
    }
}

/// Hunts over files (in parallel) and returns the hits in a deterministic order: by file, then
/// record, then rule id.
pub fn hunt(rules: &RuleSet, mapping: &Mapping, files: &[PathBuf]) -> (Vec<Hit>, HuntStats) {
    hunt_with(rules, mapping, files, Window::default(), &|| {})
}

/// Like [`hunt`], within a time window, calling `done` after each file (for a progress bar).
pub fn hunt_with(
    rules: &RuleSet,
    mapping: &Mapping,
    files: &[PathBuf],
    window: Window,
    done: &(dyn Fn() + Sync),
) -> (Vec<Hit>, HuntStats) {
    use rayon::prelude::*;
    // Largest files first, one file per task: the last file to finish is a small one, so
    // neither core waits long for the other at the end.
    let mut order: Vec<(u64, &PathBuf)> = files
        .iter()
        .map(|f| (std::fs::metadata(f).map(|m| m.len()).unwrap_or(0), f))
        .collect();
    order.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    let results: Vec<_> = order
        .into_par_iter()
        .with_max_len(1)
        .map(|(_, f)| {
            let r = hunt_file_in(rules, mapping, f, window);
            done();
            (f, r)
        })
        .collect();
    let mut stats = HuntStats {
        files: files.len(),
        ..Default::default()
    };
    let mut hits = Vec::new();
    for (f, r) in results {
        match r {
            Ok((h, n)) => {
                stats.events += n;
                hits.extend(h);
            }
            Err(e) => stats.files_failed.push((f.clone(), e.to_string())),
        }
    }
    hits.sort_by(|a, b| {
        (&a.file, a.record_id, &a.rule_id).cmp(&(&b.file, b.record_id, &b.rule_id))
    });
    stats.hits = hits.len();
    (hits, stats)
}

/// Every `.evtx`, `.json`, `.jsonl`, `.ndjson` (optionally `.gz`) file under the given paths,
/// following symbolic links (a link back to a folder already being walked is skipped).
pub fn collect_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        for entry in walkdir::WalkDir::new(p)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .flatten()
        {
            if entry.file_type().is_file() && reader::Kind::of(entry.path()).is_some() {
                out.push(entry.path().to_path_buf());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(unix)]
    fn folders_reached_by_links_are_hunted_once_and_loops_end() {
        let root = std::env::temp_dir().join(format!("debrief-links-{}", std::process::id()));
        let real = root.join("real");
        let hunt = root.join("hunt");
        std::fs::create_dir_all(&real).unwrap();
        std::fs::create_dir_all(&hunt).unwrap();
        std::fs::write(real.join("a.jsonl"), "{}\n").unwrap();
        std::fs::write(real.join("notes.txt"), "x").unwrap();
        std::os::unix::fs::symlink(&real, hunt.join("case-1")).unwrap();
        // A link to an ancestor: walking it again would never end.
        std::os::unix::fs::symlink(&hunt, hunt.join("case-1-again")).unwrap();
        let files = super::collect_files(std::slice::from_ref(&hunt));
        assert_eq!(files, vec![hunt.join("case-1").join("a.jsonl")]);
        let _ = std::fs::remove_dir_all(&root);
    }
}
