//! One journal entry described for people in their language — the one describer of the pages,
//! the CLI and the reports. The sentences are data (`data/journal.json`, one per event kind in
//! English and French); values are named through the reports' labels (statuses, milestones,
//! severity levels, custody actions) and the taxonomy's.

use std::collections::BTreeMap;

use debrief_domain::{Event, JournalEntry, Language};

use crate::context::{labels, term};

/// What an entry did, and the reason it gives (empty when none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Described {
    pub what: String,
    pub why: String,
}

/// The sentences of a language.
fn sentences(lang: Language) -> &'static BTreeMap<String, String> {
    static ALL: std::sync::OnceLock<BTreeMap<String, BTreeMap<String, String>>> =
        std::sync::OnceLock::new();
    let all = ALL.get_or_init(|| {
        serde_json::from_str(include_str!("../data/journal.json")).unwrap_or_default()
    });
    all.get(lang.as_str())
        .or_else(|| all.get("en"))
        .expect("the journal sentences are shipped in English")
}

/// The sentence for `key` in `lang`, if there is one (tests check every kind has one).
pub fn sentence(lang: Language, key: &str) -> Option<&'static str> {
    sentences(lang).get(key).map(String::as_str)
}

/// `template` with each `{name}` replaced by its value.
fn fill(template: &str, args: &[(&str, String)]) -> String {
    let mut out = template.to_string();
    for (name, value) in args {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// `s` with its first letter upper-case (a sentence may open with a value: "Titre modifié").
fn capitalised(s: String) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) if first.is_lowercase() => first.to_uppercase().chain(chars).collect(),
        _ => s,
    }
}

/// At most `n` characters of `s`, for values that can be long.
fn cut(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().count() > n {
        out.push('…');
    }
    out
}

/// One journal entry, described for people in `lang`.
pub fn describe(lang: Language, zone: &debrief_domain::Zone, e: &JournalEntry) -> Described {
    let l = labels(lang);
    let say = |key: &str, args: &[(&str, String)]| {
        capitalised(fill(
            sentence(lang, key).unwrap_or_else(|| sentence(lang, "other").unwrap_or("{kind}")),
            args,
        ))
    };
    let word = |key: &str| sentence(lang, key).unwrap_or(key).to_string();
    let Ok(event) = e.event() else {
        return Described {
            what: say("other", &[("kind", e.kind.clone())]),
            why: String::new(),
        };
    };
    let kind = event.kind();
    let plain = |args: &[(&str, String)]| Described {
        what: say(kind, args),
        why: String::new(),
    };
    let with = |args: &[(&str, String)], why: String| Described {
        what: say(kind, args),
        why,
    };
    match event {
        Event::Opened {
            title,
            restricted: true,
            ..
        } => Described {
            what: say(
                "incident.opened_restricted",
                &[("title", title.into_inner())],
            ),
            why: String::new(),
        },
        Event::Opened { title, .. } => plain(&[("title", title.into_inner())]),
        Event::StatusChanged { from, to, reason } => with(
            &[
                ("from", term(&l, "status_", from.as_str())),
                ("to", term(&l, "status_", to.as_str())),
            ],
            reason.into_inner(),
        ),
        Event::FieldChanged {
            field, to, reason, ..
        } => with(
            &[
                ("field", word(&format!("field_{}", field.as_str()))),
                ("to", cut(&to, 120)),
            ],
            reason.into_inner(),
        ),
        Event::Assigned {
            to: Some(to),
            reason,
            ..
        } => with(&[("to", to)], reason.into_inner()),
        Event::Assigned {
            to: None, reason, ..
        } => Described {
            what: say("incident.unassigned", &[]),
            why: reason.into_inner(),
        },
        Event::MilestoneSet {
            milestone,
            at,
            source,
            reason,
            ..
        } => with(
            &[
                ("milestone", term(&l, "", &milestone.to_string())),
                ("at", crate::context::date(at, lang, zone)),
                ("source", source.into_inner()),
            ],
            reason.into_inner(),
        ),
        Event::Classified {
            class,
            kind: type_,
            reason,
        } => {
            let (class, type_) =
                debrief_domain::taxonomy::Classification { class, kind: type_ }.labels(lang);
            with(&[("class", class), ("type", type_)], reason.into_inner())
        }
        Event::SeverityAssessed { assessment, reason } => with(
            &[
                ("level", assessment.level.to_string()),
                (
                    "name",
                    term(&l, "level_", &assessment.level.min(5).to_string()),
                ),
            ],
            reason.into_inner(),
        ),
        Event::MarkingsSet { tlp, pap } => {
            let mut parts = Vec::new();
            if let Some(tlp) = tlp {
                parts.push(tlp.marking());
            }
            if let Some(pap) = pap {
                parts.push(format!("PAP:{}", pap.as_str().to_ascii_uppercase()));
            }
            plain(&[("what", parts.join(", "))])
        }
        Event::TagsChanged { added, removed } => {
            let what: Vec<String> = added
                .iter()
                .map(|a| format!("+{a}"))
                .chain(removed.iter().map(|r| format!("−{r}")))
                .collect();
            plain(&[("what", what.join(" "))])
        }
        Event::MemberAdded { user, role } => plain(&[
            ("user", user),
            ("role", word(&format!("role_{}", role.as_str()))),
        ]),
        Event::MemberRemoved { user, role, reason } => with(
            &[
                ("user", user),
                ("role", word(&format!("role_{}", role.as_str()))),
            ],
            reason.into_inner(),
        ),
        Event::AccessSet {
            restricted,
            reason,
            marking,
        } => Described {
            what: match (restricted, marking) {
                (true, Some(tlp)) => say(
                    "incident.access_set_by_marking",
                    &[("marking", tlp.marking())],
                ),
                (true, None) => say("incident.access_set", &[]),
                (false, _) => say("incident.access_opened", &[]),
            },
            why: reason.into_inner(),
        },
        Event::AccessGranted {
            to,
            reason,
            break_glass: true,
        } => Described {
            what: say(
                "incident.break_glass",
                &[(
                    "who",
                    match to {
                        debrief_domain::access::Grantee::User(u) => u.to_string(),
                        debrief_domain::access::Grantee::Group(g) => g.to_string(),
                    },
                )],
            ),
            why: reason.into_inner(),
        },
        Event::AccessGranted { to, reason, .. } | Event::AccessRevoked { to, reason } => {
            match to {
                debrief_domain::access::Grantee::User(u) => {
                    with(&[("who", u.to_string())], reason.into_inner())
                }
                // "to the group" reads differently in French ("au groupe"): its own sentence.
                debrief_domain::access::Grantee::Group(g) => Described {
                    what: say(&format!("{kind}_group"), &[("name", g.to_string())]),
                    why: reason.into_inner(),
                },
            }
        }
        Event::ObservableAdded { kind, value, .. } => plain(&[
            ("kind", term(&l, "obs_", kind.as_str())),
            ("value", cut(&value, 120)),
        ]),
        Event::TimelineAdded { description, .. } => {
            plain(&[("description", cut(&description, 120))])
        }
        Event::TimelineRemoved { id, reason } => {
            with(&[("id", id.to_string())], reason.into_inner())
        }
        Event::EvidenceAdded { name, sha256, .. } => plain(&[
            ("name", name),
            ("sha256", sha256.chars().take(16).collect()),
        ]),
        Event::CustodyRecorded {
            id, action, to, at, ..
        } => plain(&[
            ("id", id.to_string()),
            ("action", term(&l, "custody_", action.as_str())),
            (
                "to",
                if to.is_empty() {
                    to
                } else {
                    format!("→ {to}")
                },
            ),
            ("at", crate::context::date(at, lang, zone)),
        ]),
        Event::AssetAdded { name, .. } => plain(&[("name", name)]),
        Event::ActionRecorded { description, .. } => {
            plain(&[("description", cut(&description, 120))])
        }
        Event::TaskAdded { title, .. } => plain(&[("title", cut(&title, 120))]),
        Event::TimeLogged {
            minutes, user, day, ..
        } => plain(&[
            ("minutes", minutes.to_string()),
            ("user", user),
            ("day", crate::context::day(day, lang, zone)),
        ]),
        // A status change says which, and when it happened when that was stated.
        Event::TaskUpdated { id, status, at, .. } => {
            let change = match (status, at) {
                (Some(s), Some(at)) => format!(
                    "{} ({})",
                    term(&l, "task_", s.as_str()),
                    crate::context::date(at, lang, zone)
                ),
                (Some(s), None) => term(&l, "task_", s.as_str()),
                (None, _) => term(&l, "task_", "changed"),
            };
            plain(&[("id", id.to_string()), ("change", change)])
        }
        Event::RecommendationAdded { action, .. } => plain(&[("action", cut(&action, 120))]),
        Event::InfoRequested { to, .. } => plain(&[("to", to)]),
        Event::PlaybookApplied { title, .. } => plain(&[("title", title)]),
        Event::NotificationRecorded { summary, .. } => plain(&[("summary", cut(&summary, 120))]),
        Event::PostmortemStatusChanged { reason, .. } | Event::FlagsSet { reason, .. } => {
            with(&[], reason.into_inner())
        }
        Event::ObservableUpdated { id, .. }
        | Event::AssetUpdated { id, .. }
        | Event::RecommendationStatusChanged { id, .. }
        | Event::RecommendationUpdated { id, .. }
        | Event::RecommendationReminded { id, .. } => plain(&[("id", id.to_string())]),
        Event::InfoReminded { to, .. } => plain(&[("to", to)]),
        Event::ReviewHeld {
            attendees,
            decisions,
            ..
        } => plain(&[
            ("attendees", attendees.len().to_string()),
            ("decisions", decisions.len().to_string()),
        ]),
        Event::NoteAdded {
            kind: debrief_domain::work::NoteKind::Interview,
            text,
            interviewee,
            ..
        } => Described {
            what: say(
                "note.interview",
                &[("interviewee", interviewee), ("text", cut(&text, 120))],
            ),
            why: String::new(),
        },
        Event::NoteAdded { text, .. } => plain(&[("text", cut(&text, 120))]),
        Event::PostmortemText { section, .. } => {
            plain(&[("section", term(&l, "", &section.as_str().replace('-', "_")))])
        }
        Event::PostmortemList { list, .. } => {
            plain(&[("list", term(&l, "", &list.as_str().replace('-', "_")))])
        }
        Event::ReviewScheduled { at } => plain(&[("at", crate::context::date(at, lang, zone))]),
        Event::RootCauseAdded { cause } | Event::RootCauseUpdated { cause } => plain(&[
            ("id", cause.id.to_string()),
            ("text", cut(&cause.text, 120)),
        ]),
        Event::ScopeSet { .. }
        | Event::PostmortemImpact { .. }
        | Event::ReviewInputGiven { .. }
        | Event::InfoAnswered { .. }
        | Event::RegulatoryClockSet { .. }
        | Event::RegulatoryFactsSet { .. }
        | Event::NotificationAttempted { .. }
        | Event::NotificationSkipped { .. }
        | Event::ObligationEscalated { .. }
        | Event::ReportExported { .. } => plain(&[]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_sentence_in_both_languages() {
        for lang in [Language::En, Language::Fr] {
            for kind in Event::KINDS {
                let s = sentence(lang, kind).unwrap_or_else(|| panic!("{lang:?}: no {kind}"));
                assert_ne!(s, *kind, "{lang:?}: {kind} is not described");
            }
        }
        let en: Vec<&String> = sentences(Language::En).keys().collect();
        let fr: Vec<&String> = sentences(Language::Fr).keys().collect();
        assert_eq!(en, fr, "the same sentences in both languages");
    }
}
