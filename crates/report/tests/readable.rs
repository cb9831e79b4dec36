//! No raw code reaches a reader: every document of a fully filled incident — the final report,
//! the postmortem, each regulator draft and the program report, in Markdown and HTML, in
//! English and French — is scanned for enum values, journal kinds and taxonomy or regime
//! identifiers left as they are stored.

#![allow(clippy::unwrap_used)]

mod fixture;

use std::collections::BTreeSet;

use debrief_domain::codes::raw_in;
use debrief_domain::metrics::{Filter, IncidentFacts, compute};
use debrief_domain::obligation::Regimes;
use debrief_domain::{Language, Zone};
use debrief_report::{Templates, drafts, render, render_program};
use fixture::{sample, t};

/// The words people typed into the sample (free text with a space in it): the reader's own
/// data may contain a word that is also a code.
fn typed_words(s: &fixture::Sample) -> BTreeSet<String> {
    fn walk(v: &serde_json::Value, out: &mut BTreeSet<String>) {
        match v {
            serde_json::Value::String(text) if text.contains(' ') => {
                out.extend(
                    text.split(|c: char| !(c.is_alphanumeric() || "-_.+".contains(c)))
                        .map(|w| w.trim_matches(|c: char| ".-+_".contains(c)).to_string()),
                );
            }
            serde_json::Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            serde_json::Value::Object(map) => map.values().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    for e in &s.journal {
        walk(&e.payload, &mut out);
    }
    out
}

/// The text a reader sees of an HTML page: no tags, no styles, no scripts.
fn visible(html: &str) -> String {
    let no_blocks = regex_lite(html);
    let mut out = String::with_capacity(no_blocks.len());
    let mut in_tag = false;
    for c in no_blocks.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// `html` without its `<style>` and `<script>` blocks.
fn regex_lite(html: &str) -> String {
    let mut out = html.to_string();
    for tag in ["style", "script"] {
        while let Some(start) = out.find(&format!("<{tag}")) {
            let end = out[start..]
                .find(&format!("</{tag}>"))
                .map_or(out.len(), |e| start + e + tag.len() + 3);
            out.replace_range(start..end, " ");
        }
    }
    out
}

#[test]
fn no_raw_code_in_any_document_in_either_language() {
    let s = sample(8);
    let now = t("2026-11-22T08:00:00Z");
    let allowed = typed_words(&s);
    let templates = Templates::default();
    let facts = [IncidentFacts::of(&s.incident, Regimes::builtin())];
    let m = compute(&facts, &Filter::default(), now, 3);
    let mut leaks = Vec::new();
    for lang in [Language::En, Language::Fr] {
        let mut docs: Vec<(String, String)> = Vec::new();
        for kind in ["final", "postmortem"]
            .into_iter()
            .chain(drafts().map(|k| k.as_str()))
        {
            for format in ["md", "html"] {
                let text = render(&templates, kind, format, lang, &s.snapshot(now)).unwrap();
                docs.push((format!("{kind}.{format}"), text));
            }
        }
        for format in ["md", "html"] {
            let text = render_program(&m, "2026-11", format, lang, now, &Zone::utc()).unwrap();
            docs.push((format!("program.{format}"), text));
        }
        for (name, text) in docs {
            let seen = if name.ends_with(".html") {
                visible(&text)
            } else {
                // Markdown escapes (`milestone\_set`) are not what the reader sees.
                text.replace('\\', "")
            };
            let raw = raw_in(&seen, lang, &allowed);
            if !raw.is_empty() {
                leaks.push(format!("{lang:?} {name}: {raw:?}"));
            }
        }
    }
    assert!(leaks.is_empty(), "raw codes:\n{}", leaks.join("\n"));
}
