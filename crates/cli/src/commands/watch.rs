//! Detections inside the server: the Sigma rules `POST /api/v1/events` evaluates against
//! (`serve --rules`), and the folder watcher (`serve --watch`) that evaluates new and grown log
//! files and files their matches as alerts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use debrief_app::{App, Caller};
use debrief_detect::{Mapping, RuleFilter, RuleSet, Window, collect_files, load_rules};
use debrief_domain::alert::NewAlert;
use debrief_server::api::events::{Detections, EventDetector};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Sigma rules over events, with the built-in logsource mapping.
pub struct SigmaDetector {
    rules: RuleSet,
    mapping: Mapping,
}

impl std::fmt::Debug for SigmaDetector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigmaDetector")
            .field("rules", &self.rules.len())
            .finish_non_exhaustive()
    }
}

impl SigmaDetector {
    /// Loads the rules of these folders (at least one must load).
    pub fn load(dirs: &[PathBuf], min_level: Option<String>) -> Result<SigmaDetector> {
        for d in dirs {
            if !d.exists() {
                bail!("--rules `{}` does not exist", d.display());
            }
        }
        let filter = RuleFilter {
            min_level,
            ..Default::default()
        };
        let (rules, report) = load_rules(dirs, &filter);
        if report.loaded == 0 {
            bail!(
                "no Sigma rule could be loaded from {} file(s); check --rules",
                report.files
            );
        }
        Ok(SigmaDetector {
            rules,
            mapping: Mapping::windows_default(),
        })
    }
}

impl EventDetector for SigmaDetector {
    fn rules(&self) -> usize {
        self.rules.len()
    }

    fn detect(&self, ndjson: &[u8]) -> Result<Detections, String> {
        let mut events = Vec::new();
        for (i, line) in ndjson.split(|b| *b == b'\n').enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match serde_json::from_slice::<Value>(line) {
                Ok(v @ Value::Object(_)) => events.push(debrief_detect::reader::flatten(v)),
                Ok(_) => return Err(format!("line {} is not a JSON object", i + 1)),
                Err(e) => return Err(format!("line {} is not JSON: {e}", i + 1)),
            }
        }
        let origin = Path::new("POST /api/v1/events");
        let mut hits = Vec::new();
        for e in &events {
            debrief_detect::evaluate(&self.rules, &self.mapping, e, origin, &mut hits);
        }
        Ok(Detections {
            events: events.len() as u64,
            alerts: hits
                .iter()
                .map(|h| debrief_detect::alert::intake_json(h, "debrief-events"))
                .collect(),
        })
    }
}

/// What the watcher has evaluated of each file.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Seen {
    len: u64,
    modified_ms: i64,
    events: u64,
}

fn load_state(path: &Path) -> BTreeMap<PathBuf, Seen> {
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

fn save_state(path: &Path, state: &BTreeMap<PathBuf, Seen>) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(state)?)
        .with_context(|| format!("cannot write `{}`", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace `{}`", path.display()))
}

/// One pass over the folder: evaluates the events of new files and the new events of grown ones
/// (a file that shrank was replaced: it is read again from its start); returns the alerts filed.
pub async fn scan(
    app: &App,
    detector: &Arc<SigmaDetector>,
    dir: &Path,
    state_file: &Path,
    group_window: i64,
) -> Result<usize> {
    let mut state = load_state(state_file);
    let mut filed = 0;
    for file in collect_files(&[dir.to_path_buf()]) {
        let Ok(meta) = std::fs::metadata(&file) else {
            continue;
        };
        let modified_ms = meta
            .modified()
            .ok()
            .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_millis() as i64);
        let before = state.get(&file).copied().unwrap_or_default();
        if before.len == meta.len() && before.modified_ms == modified_ms {
            continue;
        }
        let skip = if meta.len() >= before.len {
            before.events
        } else {
            0
        };
        let (d, f) = (detector.clone(), file.clone());
        let result = tokio::task::spawn_blocking(move || {
            debrief_detect::hunt_file_after(&d.rules, &d.mapping, &f, Window::default(), skip)
        })
        .await?;
        let (hits, events) = match result {
            Ok(r) => r,
            Err(e) => {
                // A file being written may end in half a line: tried again on the next pass.
                tracing::warn!(file = %file.display(), error = %e, "cannot read a watched file yet");
                continue;
            }
        };
        let alerts: Vec<NewAlert> = hits
            .iter()
            .filter_map(|h| {
                debrief_detect::alert::new_alert(h, "debrief-watch")
                    .map_err(|e| tracing::error!(?e, "a detection did not make a valid alert"))
                    .ok()
            })
            .collect();
        filed += alerts.len();
        for chunk in alerts.chunks(1_000) {
            app.receive_alerts(&Caller::worker("watch"), chunk.to_vec(), group_window)
                .await?;
        }
        // Recorded only once its alerts are stored: a crash before this evaluates the file
        // again (repeats are counted), never loses a detection.
        state.insert(
            file.clone(),
            Seen {
                len: meta.len(),
                modified_ms,
                events,
            },
        );
        save_state(state_file, &state)?;
        tracing::info!(file = %file.display(), events = events - skip, alerts = hits.len(), "watched file evaluated");
    }
    Ok(filed)
}

/// Scans the folder every `interval` until the process ends.
pub async fn watch(
    app: App,
    detector: Arc<SigmaDetector>,
    dir: PathBuf,
    state_file: PathBuf,
    interval: Duration,
    group_window: i64,
) {
    // One instance of an installation watches the folder at a time; another takes over when
    // it stops (intake is idempotent, so a file read again only repeats known alerts).
    loop {
        let mut lease = app
            .lead(
                debrief_store::lease::Job::WatchFolder,
                interval.max(Duration::from_secs(2)),
            )
            .await;
        while lease.held().await {
            if let Err(e) = scan(&app, &detector, &dir, &state_file, group_window).await {
                tracing::error!(dir = %dir.display(), error = %e, "watch pass failed; trying again");
            }
            tokio::time::sleep(interval).await;
        }
        tracing::warn!(dir = %dir.display(), "the watch folder's lease was lost");
    }
}
