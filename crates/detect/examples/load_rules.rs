//! Loads a rule folder and hunts over a log folder without the CLI around it, for profiling
//! the engine alone (heaptrack, perf): `cargo run --release -p debrief-detect --example
//! load_rules -- RULES_DIR [LOG_DIR]`.

use std::path::PathBuf;

fn main() {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let Some(rules_dir) = args.first() else {
        eprintln!("usage: load_rules RULES_DIR [LOG_DIR]");
        std::process::exit(2);
    };
    let t = std::time::Instant::now();
    let (rules, report) =
        debrief_detect::load_rules(std::slice::from_ref(rules_dir), &Default::default());
    eprintln!(
        "{} rules loaded, {} failed, in {:?}",
        rules.len(),
        report.failed.len(),
        t.elapsed()
    );
    if let Some(logs) = args.get(1) {
        let files = debrief_detect::collect_files(std::slice::from_ref(logs));
        let mapping = debrief_detect::Mapping::windows_default();
        let (hits, stats) = debrief_detect::hunt(&rules, &mapping, &files);
        eprintln!(
            "{} events, {} hits in {:?}",
            stats.events,
            hits.len(),
            t.elapsed()
        );
    }
}
