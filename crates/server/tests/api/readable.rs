//! No raw code reaches a reader of the pages: a fully filled incident (the reports' sample, the
//! same story replayed into the store) is read on every page that shows it, in English and in
//! French, and the visible text is scanned for enum values, journal kinds and identifiers left
//! as they are stored.

use std::collections::BTreeSet;

use debrief_domain::codes::raw_in;
use debrief_domain::text::Actor;
use debrief_domain::{Language, NewIncident};
use debrief_store::testing::execute;
use serde_json::{Value, json};

use crate::support::*;

#[path = "../../../report/tests/fixture/mod.rs"]
#[allow(unused_imports)]
mod sample;

/// The text a reader sees of a page: no tags, styles or scripts; entities decoded.
fn visible(html: &str) -> String {
    let mut page = html.to_string();
    // `<pre>` shows data as it was received (an alert's payload), on purpose; a `<textarea>`
    // holds what a person types (a playbook's source), not what Debrief says.
    for tag in ["style", "script", "pre", "textarea"] {
        while let Some(start) = page.find(&format!("<{tag}")) {
            let end = page[start..]
                .find(&format!("</{tag}>"))
                .map_or(page.len(), |e| start + e + tag.len() + 3);
            page.replace_range(start..end, " ");
        }
    }
    let mut out = String::with_capacity(page.len());
    let mut in_tag = false;
    for c in page.chars() {
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
    out.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// The words people typed (free text with a space in it): a word of the reader's own data may
/// also be a code.
fn typed_words(journal: &[debrief_domain::JournalEntry]) -> BTreeSet<String> {
    fn walk(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::String(text) if text.contains(' ') => out.extend(
                text.split(|c: char| !(c.is_alphanumeric() || "-_.+".contains(c)))
                    .map(|w| w.trim_matches(|c: char| ".-+_".contains(c)).to_string()),
            ),
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            Value::Object(map) => map.values().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    journal.iter().for_each(|e| walk(&e.payload, &mut out));
    out
}

/// The words around `code`'s first appearance in `text`, to say where it leaked.
fn around(text: &str, code: &str) -> String {
    let token = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || "-_.+".contains(c));
    let at = text
        .match_indices(code)
        .map(|(i, _)| i)
        .find(|&i| {
            !token(text[..i].chars().last()) && !token(text[i + code.len()..].chars().next())
        })
        .unwrap_or(0);
    let start = text[..at]
        .char_indices()
        .rev()
        .nth(40)
        .map_or(0, |(i, _)| i);
    let end = text[at..]
        .char_indices()
        .nth(code.len() + 40)
        .map_or(text.len(), |(i, _)| at + i);
    text[start..end]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_raw_code_on_any_page_in_either_language() {
    let f = fixture().await;
    // The reports' ransomware sample, entry by entry, as incident #3.
    let story = sample::sample(8);
    let maria = Actor::parse("maria").unwrap();
    let opened = f
        .state
        .store
        .create_incident(
            &maria,
            NewIncident::parse(
                "Ransomware on the finance file server",
                "Files on FS01 renamed *.lockd; a ransom note in every folder",
                "SOC",
                "EDR",
                None,
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let id = opened.incident.id;
    for entry in &story.journal[1..] {
        let event = entry.event().unwrap();
        execute(&*f.state.store, id, &maria, move |_| Ok(event.clone()))
            .await
            .unwrap();
    }
    let mut allowed = typed_words(&story.journal);
    // A command to type (`debrief report verify FILE`) is the command's own name.
    allowed.insert("report".into());
    let pages = [
        "/incidents",
        "/incidents/3",
        "/incidents/3/postmortem",
        "/incidents/3/replay",
        "/incidents/3/similar",
        "/incidents/3/notifications",
        "/directory",
        "/playbooks/ransomware",
        "/alerts",
        "/alerts/A-1",
        "/obligations",
        "/recommendations",
        "/metrics",
        "/lessons",
        "/samm",
        "/playbooks",
        "/search?q=ransomware",
        "/reports",
    ];
    let mut leaks = Vec::new();
    // The administrator's pages, read by the administrator.
    let pages = pages
        .iter()
        .map(|p| ("maria", *p))
        .chain([("root", "/admin/users")]);
    let pages: Vec<(&'static str, &str)> = pages.collect();
    for lang in [Language::En, Language::Fr] {
        for who in ["maria", "root"] {
            let (status, v) = send_json(
                &f,
                who,
                "PATCH",
                "/api/v1/me",
                json!({"language": lang.as_str()}),
            )
            .await;
            assert!(status.is_success(), "{v}");
        }
        for &(who, page) in &pages {
            let (status, html, _) = call(&f.app, Who::Session(who), "GET", page, None).await;
            assert!(status.is_success(), "{page}: {status}");
            let text = visible(&html);
            for code in raw_in(&text, lang, &allowed) {
                leaks.push(format!(
                    "{lang:?} {page}: {code} in «{}»",
                    around(&text, &code)
                ));
            }
        }
    }
    assert!(leaks.is_empty(), "raw codes:\n{}", leaks.join("\n"));
}
