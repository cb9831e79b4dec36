//! Loading Sigma rules from folders: every rule that parses and compiles is added to the engine;
//! every one that does not is reported with the reason, and loading goes on.

use std::path::{Path, PathBuf};

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use rsigma_eval::{CompiledRule, Engine, EvaluationResult, Event, compile_rule};
use rsigma_parser::{LogSource, SigmaRule};

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

/// The part of the rule set an event can reach, by the most specific field of the rules'
/// logsource. A rule with a category lives under its category, one without under its service,
/// one without either under its product, and the rest under `Any`. `logsource_matches` in
/// rsigma is asymmetric (every field the rule states must be present and equal in the event's
/// logsource), so an event only ever needs the partitions of its own category, service, product
/// and `Any`: partitioning never changes what matches, it only skips rules that cannot.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Partition {
    Category(String),
    Service(String),
    Product(String),
    Any,
}

impl Partition {
    fn of(ls: &LogSource) -> Partition {
        let lower = |s: &String| s.to_ascii_lowercase();
        if let Some(c) = &ls.category {
            Partition::Category(lower(c))
        } else if let Some(s) = &ls.service {
            Partition::Service(lower(s))
        } else if let Some(p) = &ls.product {
            Partition::Product(lower(p))
        } else {
            Partition::Any
        }
    }
}

/// The compiled rules of one partition; its engine (with rsigma's candidate index, whose
/// Aho-Corasick automata are most of the build cost) is built the first time an event reaches
/// it, so rules for logsources absent from the input (Linux, cloud, … over EVTX) are never
/// indexed.
struct Shard {
    rules: Mutex<Vec<CompiledRule>>,
    engine: OnceLock<Engine>,
}

impl Shard {
    fn engine(&self) -> &Engine {
        self.engine.get_or_init(|| {
            let rules = std::mem::take(&mut *self.rules.lock().unwrap_or_else(|e| e.into_inner()));
            let mut engine = Engine::new();
            engine.extend_compiled_rules(rules);
            engine
        })
    }
}

/// Compiled Sigma rules, partitioned by logsource (see [`Partition`]). Shareable across threads.
pub struct RuleSet {
    shards: HashMap<Partition, Shard>,
    count: usize,
}

impl std::fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleSet")
            .field("rules", &self.count)
            .field("partitions", &self.shards.len())
            .finish()
    }
}

impl RuleSet {
    fn new(rules: Vec<CompiledRule>) -> RuleSet {
        let count = rules.len();
        let mut by: HashMap<Partition, Vec<CompiledRule>> = HashMap::new();
        for r in rules {
            by.entry(Partition::of(&r.logsource)).or_default().push(r);
        }
        let shards = by
            .into_iter()
            .map(|(k, rules)| {
                let shard = Shard {
                    rules: Mutex::new(rules),
                    engine: OnceLock::new(),
                };
                (k, shard)
            })
            .collect();
        RuleSet { shards, count }
    }

    /// How many rules compiled.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether no rule compiled.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Every rule whose logsource one of `sources` satisfies and whose detection matches
    /// `event`; each rule at most once (a rule lives in one partition).
    pub fn evaluate(&self, event: &impl Event, sources: &[LogSource]) -> Vec<EvaluationResult> {
        let mut out = Vec::new();
        let mut done: Vec<Partition> = Vec::with_capacity(4);
        for ls in sources {
            let mut keys = Vec::with_capacity(4);
            if let Some(c) = &ls.category {
                keys.push(Partition::Category(c.to_ascii_lowercase()));
            }
            if let Some(s) = &ls.service {
                keys.push(Partition::Service(s.to_ascii_lowercase()));
            }
            if let Some(p) = &ls.product {
                keys.push(Partition::Product(p.to_ascii_lowercase()));
            }
            keys.push(Partition::Any);
            for key in keys {
                // Service, product and `Any` rules state no category, so any of the event's
                // logsources answers for them; evaluate those partitions once.
                if done.contains(&key) {
                    continue;
                }
                if let Some(shard) = self.shards.get(&key) {
                    out.extend(shard.engine().evaluate_with_logsource(event, ls));
                }
                done.push(key);
            }
        }
        out
    }
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

/// What one rule file gave: its compiled rules, the rules the filter left out, the failures.
type FileOutcome = (Vec<CompiledRule>, usize, Vec<String>);

fn load_file(path: &Path, filter: &RuleFilter) -> FileOutcome {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return (Vec::new(), 0, vec![format!("cannot read: {e}")]),
    };
    compile_text(&text, filter)
}

/// Parses and compiles the rules of one rule file's text.
fn compile_text(text: &str, filter: &RuleFilter) -> FileOutcome {
    let collection = match rsigma_parser::parse_sigma_yaml(text) {
        Ok(c) => c,
        Err(e) => return (Vec::new(), 0, vec![e.to_string()]),
    };
    let mut failed = collection.errors.clone();
    let mut compiled = Vec::new();
    let mut filtered_out = 0;
    for rule in &collection.rules {
        if !filter.keeps(rule) {
            filtered_out += 1;
            continue;
        }
        match compile_rule(rule) {
            Ok(c) => compiled.push(c),
            Err(e) => failed.push(e.to_string()),
        }
    }
    (compiled, filtered_out, failed)
}

/// The rules of one rule file's text (YAML, one or several documents), and why any of them
/// failed: what [`load_rules`] does for each file.
pub fn rules_from_text(text: &str, filter: &RuleFilter) -> (RuleSet, Vec<String>) {
    let (compiled, _, failed) = compile_text(text, filter);
    (RuleSet::new(compiled), failed)
}

/// Loads every rule under `dirs`: files are read, parsed and compiled on every core; a rule
/// that fails is reported with its file and reason and loading goes on.
pub fn load_rules(dirs: &[PathBuf], filter: &RuleFilter) -> (RuleSet, LoadReport) {
    use rayon::prelude::*;
    let mut report = LoadReport::default();
    let files: Vec<PathBuf> = dirs.iter().flat_map(|d| yaml_files(d)).collect();
    report.files = files.len();
    let outcomes: Vec<(PathBuf, FileOutcome)> = files
        .into_par_iter()
        .map(|path| {
            let outcome = load_file(&path, filter);
            (path, outcome)
        })
        .collect();
    let mut rules = Vec::new();
    for (path, (compiled, filtered_out, failed)) in outcomes {
        rules.extend(compiled);
        report.filtered_out += filtered_out;
        report
            .failed
            .extend(failed.into_iter().map(|e| (path.clone(), e)));
    }
    report.loaded = rules.len();
    (RuleSet::new(rules), report)
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
