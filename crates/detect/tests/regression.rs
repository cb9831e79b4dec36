//! SigmaHQ's own regression data (`../shared/data/sigma/regression_data`): every rule that names
//! a regression test must fire on its `.evtx`. Prints the pass count and every miss; fails if
//! the pass count drops below the last measured floor. Requires the shared data when
//! `DEBRIEF_REQUIRE_SHARED=1` (set by `.ci/run`).

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use debrief_detect::{Mapping, RuleFilter, hunt_file, load_rules};

fn shared() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/sigma");
    if p.is_dir() {
        return Some(p);
    }
    assert!(
        std::env::var("DEBRIEF_REQUIRE_SHARED").is_err(),
        "DEBRIEF_REQUIRE_SHARED is set but {} is missing",
        p.display()
    );
    eprintln!("REGRESSION TEST NOT RUN: {} not found", p.display());
    None
}

/// (rule file, evtx or JSON file) for every rule with a `regression_tests_path` whose data is present.
fn cases(sigma: &Path) -> Vec<(PathBuf, PathBuf)> {
    let mut out = Vec::new();
    for dir in ["rules", "rules-threat-hunting", "rules-emerging-threats"] {
        for entry in walkdir::WalkDir::new(sigma.join(dir))
            .sort_by_file_name()
            .into_iter()
            .flatten()
        {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "yml") {
                continue;
            }
            let text = std::fs::read_to_string(path).unwrap_or_default();
            let Some(line) = text
                .lines()
                .find(|l| l.trim_start().starts_with("regression_tests_path:"))
            else {
                continue;
            };
            let rel = line
                .split_once(':')
                .unwrap()
                .1
                .trim()
                .trim_matches('"')
                .trim_matches('\'');
            let info = sigma.join(rel);
            let info_dir = if info.is_dir() {
                info
            } else {
                info.parent().map(Path::to_path_buf).unwrap_or_default()
            };
            let Ok(files) = std::fs::read_dir(&info_dir) else {
                continue;
            };
            for f in files.flatten() {
                // The .evtx and its JSON twin (evtx_dump output, pretty-printed).
                if f.path()
                    .extension()
                    .is_some_and(|e| e == "evtx" || e == "json")
                {
                    out.push((path.to_path_buf(), f.path()));
                }
            }
        }
    }
    out
}

#[test]
fn sigmahq_regression_rules_fire_on_their_evtx() {
    let Some(sigma) = shared() else { return };
    let mapping = Mapping::windows_default();
    let cases = cases(&sigma);
    assert!(
        cases.len() > 100,
        "found only {} regression cases",
        cases.len()
    );
    let mut passed = 0;
    let mut misses = Vec::new();
    for (rule, evtx) in &cases {
        let dir = tempfile_dir(rule);
        let (rules, report) = load_rules(std::slice::from_ref(&dir), &RuleFilter::default());
        let _ = std::fs::remove_dir_all(&dir);
        if report.loaded == 0 {
            misses.push(format!(
                "{}: not loaded: {:?}",
                rule.display(),
                report.failed
            ));
            continue;
        }
        match hunt_file(&rules, &mapping, evtx) {
            Ok((hits, _)) if !hits.is_empty() => passed += 1,
            Ok(_) => misses.push(format!("{}: no hit on {}", rule.display(), evtx.display())),
            Err(e) => misses.push(format!("{}: {e}", evtx.display())),
        }
    }
    eprintln!(
        "SigmaHQ regression: {passed} of {} (rule, file) cases fire: every rule with regression data, on its .evtx and on its JSON twin",
        cases.len()
    );
    for m in &misses {
        eprintln!("  miss: {m}");
    }
    // The floor measured when this test was written; raise it as misses are fixed.
    assert!(
        passed >= FLOOR,
        "{passed} of {} fired (floor {FLOOR})",
        cases.len()
    );
}

const FLOOR: usize = 280;

/// Every Windows service a SigmaHQ rule names has a channel in the shipped mapping: a rule whose
/// service no channel routes to can never fire.
#[test]
fn every_windows_service_the_rules_name_has_a_channel() {
    let Some(sigma) = shared() else { return };
    let mapping = Mapping::windows_default();
    let known = mapping.services();
    let mut missing = std::collections::BTreeMap::<String, Vec<String>>::new();
    let mut named = 0;
    for dir in ["rules", "rules-threat-hunting", "rules-emerging-threats"] {
        for entry in walkdir::WalkDir::new(sigma.join(dir)).into_iter().flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "yml") {
                continue;
            }
            let text = std::fs::read_to_string(path).unwrap();
            let Ok(collection) = rsigma_parser::parse_sigma_yaml(&text) else {
                continue;
            };
            for rule in &collection.rules {
                let ls = &rule.logsource;
                if ls.product.as_deref() != Some("windows") {
                    continue;
                }
                if let Some(service) = &ls.service {
                    named += 1;
                    if !known.contains(service.as_str()) {
                        missing
                            .entry(service.clone())
                            .or_default()
                            .push(path.display().to_string());
                    }
                }
            }
        }
    }
    assert!(named > 300, "only {named} rules name a Windows service");
    assert!(
        missing.is_empty(),
        "services no channel routes to: {missing:#?}"
    );
}

/// A directory holding only this rule, so that it is evaluated alone.
fn tempfile_dir(rule: &Path) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "debrief-regression-{}-{}",
        std::process::id(),
        rule.file_stem().unwrap().to_string_lossy()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(rule, dir.join(rule.file_name().unwrap())).unwrap();
    dir
}

/// Every log-clear event (EventID 104 of the Eventlog provider in the System log) in the shared
/// EVTX samples hits exactly one of SigmaHQ's two log-clear rules, which split them by the log
/// that was cleared (the event's `UserData` `Channel`), while the event is routed by its own
/// channel, `System`.
#[test]
fn every_log_clear_event_hits_exactly_one_log_clear_rule() {
    let Some(sigma) = shared() else { return };
    let evtx = sigma.join("../evtx");
    let rules_dir = std::env::temp_dir().join(format!("debrief-logclear-{}", std::process::id()));
    std::fs::create_dir_all(&rules_dir).unwrap();
    let builtin = sigma.join("rules/windows/builtin/system/microsoft_windows_eventlog");
    for name in [
        "win_system_eventlog_cleared.yml",
        "win_system_susp_eventlog_cleared.yml",
    ] {
        std::fs::copy(builtin.join(name), rules_dir.join(name)).unwrap();
    }
    let (rules, report) = load_rules(std::slice::from_ref(&rules_dir), &RuleFilter::default());
    let _ = std::fs::remove_dir_all(&rules_dir);
    assert_eq!(report.loaded, 2, "{:?}", report.failed);
    let mapping = Mapping::windows_default();
    let files = debrief_detect::collect_files(std::slice::from_ref(&evtx));
    let mut clears = std::collections::BTreeSet::new();
    let mut hits = std::collections::BTreeMap::<(PathBuf, Option<u64>), Vec<String>>::new();
    for f in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "evtx"))
    {
        let _ = debrief_detect::reader::for_each_event(f, |e| {
            if e.origin.event_id == "104"
                && e.origin.channel == "System"
                && e.fields["Provider_Name"] == "Microsoft-Windows-Eventlog"
            {
                clears.insert((f.clone(), e.origin.record_id));
            }
        });
        if let Ok((found, _)) = hunt_file(&rules, &mapping, f) {
            for h in found {
                hits.entry((f.clone(), h.record_id))
                    .or_default()
                    .push(h.rule_id);
            }
        }
    }
    assert!(clears.len() >= 5, "only {} log-clear events", clears.len());
    let wrong: Vec<_> = clears
        .iter()
        .filter(|k| hits.get(*k).map_or(0, Vec::len) != 1)
        .collect();
    eprintln!(
        "log-clear events: {}, each hitting exactly one rule: {}",
        clears.len(),
        clears.len() - wrong.len()
    );
    assert!(
        wrong.is_empty(),
        "events not hitting exactly one rule: {wrong:?}"
    );
    assert!(
        hits.keys().all(|k| clears.contains(k)),
        "a log-clear rule hit an event that is not a log clear"
    );
}
