//! The layering rules, checked on the source: the front ends (the server's routes, pages and
//! workers, the CLI) never build or match a journal event, and never write an incident's record
//! but through the application layer. A front end that wants a new kind of fact asks the domain
//! for a command and `debrief_app::App` to run it; a front end that shows an incident reads it
//! through `App`'s reads, where the caller's right to read is checked. The same holds for the
//! installation's set-up (accounts, directory, rules, playbooks), alert intake and the access log.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out
}

#[test]
fn front_ends_neither_build_events_nor_write_incidents_around_the_application_layer() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let forbidden = [
        (
            "Event::",
            "builds or matches a journal event (the domain decides events)",
        ),
        (
            ".append(",
            "appends to a journal (only the application layer appends)",
        ),
        (
            ".create_incident(",
            "declares an incident around the application layer",
        ),
        (
            ".act_on_alert(",
            "triages, promotes or merges an alert around the application layer",
        ),
    ];
    // An incident's reads: through `App` (which checks the caller) — except `debrief verify`,
    // which checks the stored record itself, below any caller.
    let reads = [
        "store.resolve(",
        "store.incident(",
        "store.journal(",
        "store.list_incidents(",
        "store.count_incidents(",
        "store.search(",
        "store.sightings(",
        "store.shared_observables(",
        "all_incidents(",
    ];
    let read_exempt = ["verify.rs"];
    let mut found = Vec::new();
    let mut read = 0;
    for front in ["server/src", "cli/src"] {
        for file in sources(&crates.join(front)) {
            let text = std::fs::read_to_string(&file).expect("a readable source file");
            read += 1;
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                for (needle, why) in forbidden {
                    // HTTP headers have an `append` too.
                    if code.contains(needle) && !code.contains("headers_mut()") {
                        found.push(format!("{}:{}: {why}", file.display(), n + 1));
                    }
                }
                let exempt = read_exempt.iter().any(|f| file.ends_with(f));
                for needle in reads {
                    if code.contains(needle) && !exempt {
                        found.push(format!(
                            "{}:{}: reads an incident around the application layer ({needle}…)",
                            file.display(),
                            n + 1
                        ));
                    }
                }
            }
        }
    }
    // The installation's set-up and intake: through `App`, where the caller's role is checked
    // (a call split over lines by rustfmt is found too: whitespace is left out).
    let setup = [
        "store.create_user(",
        "store.update_user(",
        "store.create_token(",
        "store.list_tokens(",
        "store.revoke_token(",
        "store.add_stakeholder(",
        "store.add_rule(",
        "store.delete_rule(",
        "store.publish_playbook(",
        "store.list_playbooks(",
        "store.playbook(",
        "store.playbook_versions(",
        "store.add_samm_answer(",
        "store.receive_alert(",
        "store.receive_alerts(",
        "store.record_access(",
        "store.access_log(",
        "store.create_session(",
        "store.delete_session(",
        "store.session(",
        "store.touch_session(",
        "store.set_session_challenge(",
        "store.second_factors(",
        "store.add_second_factor(",
        "store.remove_second_factor(",
        "store.use_totp_step(",
        "store.used_passkey(",
        "store.set_recovery_codes(",
        "store.use_recovery_code(",
        "store.reset_second_factors(",
        "store.set_setting(",
        "store.alert(",
        "store.list_alerts(",
        "store.alert_history(",
        "store.count_sign_in_check(",
        "store.give_back_sign_in_check(",
        "store.clear_sign_in_checks(",
    ];
    for front in ["server/src", "cli/src"] {
        for file in sources(&crates.join(front)) {
            let text = std::fs::read_to_string(&file).expect("a readable source file");
            let code: String = text
                .lines()
                .map(|l| l.split("//").next().unwrap_or(""))
                .collect::<String>()
                .split_whitespace()
                .collect();
            for needle in setup {
                if code.contains(needle) {
                    found.push(format!(
                        "{}: changes the set-up, takes alerts in or reads the access log around the application layer ({needle}…)",
                        file.display()
                    ));
                }
            }
        }
    }
    assert!(
        read > 50,
        "the front ends' sources were not found ({read} files)"
    );
    assert!(found.is_empty(), "{}", found.join("\n"));
}
