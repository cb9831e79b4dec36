//! Golden files (insta snapshots) for the Markdown and JSON documents: the final report, the
//! postmortem, the regulator drafts and the program report in English and French, and the STIX,
//! VERIS and MISP exports, all from one deterministic incident. A change in any of them shows
//! as a diff to review (`cargo insta review`, or accept the `.snap.new` files).

#![allow(clippy::unwrap_used)]

mod fixture;

use debrief_domain::metrics::{Filter, IncidentFacts, compute};
use debrief_domain::obligation::Regimes;
use debrief_domain::{Language, Timestamp};
use debrief_report::{Templates, render, render_program};
use fixture::{sample, t};

fn generated_at() -> Timestamp {
    t("2026-11-22T08:00:00Z")
}

/// Renders `kind` in `format` and `lang` from the sample with its 8 timeline entries.
fn doc(kind: &str, format: &str, lang: Language) -> String {
    let s = sample(8);
    render(
        &Templates::default(),
        kind,
        format,
        lang,
        &s.snapshot(generated_at()),
    )
    .unwrap()
}

/// Pretty JSON with every object's keys sorted: the order serde_json keeps depends on whether
/// another crate in the build turned on its `preserve_order` feature.
fn pretty(json: &str) -> String {
    sorted_pretty(serde_json::from_str(json).unwrap())
}

fn sorted_pretty(v: serde_json::Value) -> String {
    fn sort(v: serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(map) => {
                let mut entries: Vec<_> = map.into_iter().collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                serde_json::Value::Object(entries.into_iter().map(|(k, v)| (k, sort(v))).collect())
            }
            serde_json::Value::Array(items) => items.into_iter().map(sort).collect(),
            other => other,
        }
    }
    serde_json::to_string_pretty(&sort(v)).unwrap()
}

#[test]
fn final_report_markdown() {
    insta::assert_snapshot!("final.en.md", doc("final", "md", Language::En));
    insta::assert_snapshot!("final.fr.md", doc("final", "md", Language::Fr));
}

#[test]
fn final_report_json() {
    insta::assert_snapshot!("final.en.json", pretty(&doc("final", "json", Language::En)));
}

#[test]
fn postmortem_markdown() {
    insta::assert_snapshot!("postmortem.en.md", doc("postmortem", "md", Language::En));
    insta::assert_snapshot!("postmortem.fr.md", doc("postmortem", "md", Language::Fr));
}

#[test]
fn regulator_drafts() {
    for kind in debrief_report::drafts().map(|k| k.as_str()) {
        insta::assert_snapshot!(format!("{kind}.en.md"), doc(kind, "md", Language::En));
    }
    insta::assert_snapshot!("gdpr-33.fr.md", doc("gdpr-33", "md", Language::Fr));
    insta::assert_snapshot!(
        "nis2-early-warning.fr.json",
        pretty(&doc("nis2-early-warning", "json", Language::Fr))
    );
}

#[test]
fn program_report() {
    let utc = debrief_domain::Zone::utc();
    let s = sample(8);
    let facts = IncidentFacts::of(&s.incident, Regimes::builtin());
    // A second, fresh incident: neither classified nor assessed yet.
    let fresh = IncidentFacts {
        number: 43,
        class: None,
        kind: None,
        level: None,
        times: Default::default(),
        ..facts.clone()
    };
    let facts = [facts, fresh];
    let filter = Filter {
        from: Some(t("2026-11-01T00:00:00Z")),
        to: Some(t("2026-12-01T00:00:00Z")),
        ..Default::default()
    };
    let m = compute(&facts, &filter, generated_at(), 3);
    for (lang, name) in [
        (Language::En, "program.en.md"),
        (Language::Fr, "program.fr.md"),
    ] {
        let md = render_program(&m, "2026-11", "md", lang, generated_at(), &utc).unwrap();
        insta::assert_snapshot!(name, md);
    }
    let json = render_program(&m, "2026-11", "json", Language::En, generated_at(), &utc).unwrap();
    insta::assert_snapshot!("program.en.json", pretty(&json));
}

#[test]
fn exchange_formats() {
    let s = sample(8);
    let pretty = sorted_pretty;
    insta::assert_snapshot!(
        "stix.json",
        pretty(debrief_report::stix::bundle(
            &s.incident,
            "Debrief at example.org",
            generated_at()
        ))
    );
    insta::assert_snapshot!(
        "veris.json",
        pretty(debrief_report::veris::record(&s.incident))
    );
    insta::assert_snapshot!(
        "misp.json",
        pretty(debrief_report::misp::event(&s.incident))
    );
}
