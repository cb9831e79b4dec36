//! Loading Sigma rules from folders: every rule that parses and compiles is added to the engine;
//! every one that does not is reported with the reason, and loading goes on.

use std::path::{Path, PathBuf};

use rsigma_eval::Engine;
use rsigma_parser::SigmaRule;

/// Which rules to load.
#[derive(Debug, Clone, Default)]
pub struct RuleFilter {
    /// Minimum level: informational, low, medium, high, critical.
    pub min_level: Option<String>,
    /// Only these statuses (stable, test, experimental…), all when empty.
    pub statuses: Vec<String>,
    /// Only rules with at least one of these tags (e.g. `attack.t1059`), all when empty.
    pub tags: Vec<String>,
}

const LEVELS: [&str; 5] = ["informational", "low", "medium", "high", "critical"];

impl RuleFilter {
    fn keeps(&self, rule: &SigmaRule) -> bool {
        if let Some(min) = &self.min_level {
            let want = LEVELS
                .iter()
                .position(|l| l.eq_ignore_ascii_case(min))
                .unwrap_or(0);
            let got = rule
                .level
                .map(|l| LEVELS.iter().position(|x| *x == l.as_str()).unwrap_or(0))
                .unwrap_or(0);
            if got < want {
                return false;
            }
        }
        if !self.statuses.is_empty() {
            let status = rule
                .status
                .map(|s| format!("{s:?}").to_ascii_lowercase())
                .unwrap_or_default();
            if !self
                .statuses
                .iter()
                .any(|s| s.eq_ignore_ascii_case(&status))
            {
                return false;
            }
        }
        if !self.tags.is_empty()
            && !rule
                .tags
                .iter()
                .any(|t| self.tags.iter().any(|w| w.eq_ignore_ascii_case(t)))
        {
            return false;
        }
        true
    }
}

/// What loading found.
#[derive(Debug, Default, Clone)]
pub struct LoadReport {
    pub files: usize,
    pub loaded: usize,
    pub filtered_out: usize,
    /// Rules that could not be loaded: (file, reason).
    pub failed: Vec<(PathBuf, String)>,
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().to_path_buf())
        .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .collect()
}

/// Loads every rule under `dirs` into a new engine.
pub fn load_rules(dirs: &[PathBuf], filter: &RuleFilter) -> (Engine, LoadReport) {
    let mut report = LoadReport::default();
    let mut rules: Vec<(PathBuf, SigmaRule)> = Vec::new();
    // Reading and parsing is most of the loading time: do it on every core.
    use rayon::prelude::*;
    let files: Vec<PathBuf> = dirs.iter().flat_map(|d| yaml_files(d)).collect();
    report.files = files.len();
    let parsed: Vec<(PathBuf, Result<rsigma_parser::SigmaCollection, String>)> = files
        .into_par_iter()
        .map(|path| {
            let result = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read: {e}"))
                .and_then(|text| rsigma_parser::parse_sigma_yaml(&text).map_err(|e| e.to_string()));
            (path, result)
        })
        .collect();
    for (path, result) in parsed {
        match result {
            Ok(collection) => {
                for err in &collection.errors {
                    report.failed.push((path.clone(), err.clone()));
                }
                for rule in collection.rules {
                    if filter.keeps(&rule) {
                        rules.push((path.clone(), rule));
                    } else {
                        report.filtered_out += 1;
                    }
                }
            }
            Err(e) => report.failed.push((path, e)),
        }
    }
    let mut engine = Engine::new();
    let errors = engine.add_rules(rules.iter().map(|(_, r)| r));
    for (idx, err) in &errors {
        if let Some((path, _)) = rules.get(*idx) {
            report.failed.push((path.clone(), err.to_string()));
        }
    }
    report.loaded = engine.rule_count();
    (engine, report)
}

#[cfg(test)]
mod fuzz {
    use proptest::prelude::*;

    proptest! {
        /// Arbitrary text as a rule file never panics the parser or the compiler.
        #[test]
        fn any_rule_text_is_refused_or_loaded(text in "(title: .{0,20}\n)?(logsource:\n  product: .{0,10}\n)?(detection:\n  s:\n    .{0,30}: .{0,30}\n  condition: .{0,20}\n)?.{0,40}") {
            if let Ok(c) = rsigma_parser::parse_sigma_yaml(&text) {
                let mut e = rsigma_eval::Engine::new();
                let _ = e.add_rules(c.rules.iter());
            }
        }
    }
}
