//! A domain refusal said in the visitor's language (the API keeps the English text).

use debrief_domain::Language;

use crate::i18n;

/// A domain refusal in the visitor's language (the API keeps the English text).
pub fn domain_message(lang: Language, e: &debrief_domain::DomainError) -> String {
    use debrief_domain::{DomainError as E, TransitionProblem as P};
    if lang == Language::En && !matches!(e, E::NotReady(_)) {
        return e.to_string();
    }
    let field = |f: &str| {
        let key = format!("field-name-{f}");
        let label = i18n::t(lang, &key, &[]);
        if label == key { f.to_string() } else { label }
    };
    let status = |s: debrief_domain::Status| i18n::t(lang, &format!("status-{s}"), &[]);
    match e {
        E::Empty { field: f } => i18n::t(lang, "err-empty", &[("field", field(f))]),
        E::TooLong { field: f, len, max } => i18n::t(
            lang,
            "err-too-long",
            &[
                ("field", field(f)),
                ("len", len.to_string()),
                ("max", max.to_string()),
            ],
        ),
        E::ControlCharacter { field: f, .. } => {
            i18n::t(lang, "err-control", &[("field", field(f))])
        }
        E::IllegalTransition { from, to, why } => {
            let why = match why {
                P::Already => i18n::t(lang, "err-transition-already", &[]),
                P::ClosedOnlyReopens => i18n::t(lang, "err-transition-closed", &[]),
                P::NeedsReason => i18n::t(lang, "err-transition-reason", &[]),
                P::NeedsPostmortem { level } => i18n::t(
                    lang,
                    "err-transition-postmortem",
                    &[("level", level.to_string())],
                ),
                P::AllowedAre(list) => i18n::t(
                    lang,
                    "err-transition-allowed",
                    &[(
                        "list",
                        list.iter()
                            .map(|s| status(*s))
                            .collect::<Vec<_>>()
                            .join(", "),
                    )],
                ),
            };
            i18n::t(
                lang,
                "err-transition",
                &[("from", status(*from)), ("to", status(*to)), ("why", why)],
            )
        }
        E::NotADateTime(text) => i18n::t(lang, "err-datetime", &[("text", text.clone())]),
        E::NotALocalTime(text) => i18n::t(lang, "err-local-time", &[("text", text.clone())]),
        E::NoSuch { what, incident, id } => i18n::t(
            lang,
            "err-no-such",
            &[
                ("what", field(what)),
                ("incident", incident.to_string()),
                ("id", id.to_string()),
            ],
        ),
        E::Unknown {
            what,
            value,
            expected,
        } => {
            let key = format!("what-{}", what.replace([' ', '&'], "-").to_lowercase());
            let label = i18n::t(lang, &key, &[]);
            let what = if label == key {
                what.to_string()
            } else {
                label
            };
            i18n::t(
                lang,
                "err-unknown",
                &[
                    ("what", what),
                    ("value", value.clone()),
                    ("expected", expected.clone()),
                ],
            )
        }
        E::Unchanged(_) => i18n::t(lang, "err-unchanged", &[]),
        E::Frozen(what) if what.starts_with("recommendation") => {
            i18n::t(lang, "err-frozen-recommendation", &[])
        }
        E::Frozen(what) if what.contains("published") => i18n::t(lang, "err-frozen-published", &[]),
        E::Frozen(_) => i18n::t(lang, "err-frozen-approved", &[]),
        // Each required item by what to fill in (never its code), in both languages.
        E::NotReady(items) => {
            let named: Vec<String> = items
                .iter()
                .map(|i| {
                    debrief_report::context::label(lang, &format!("ready_{i}_fill"))
                        .unwrap_or(i)
                        .to_string()
                })
                .collect();
            i18n::t(lang, "err-not-ready", &[("items", named.join(" · "))])
        }
        E::NotApproved(_) => i18n::t(lang, "err-not-approved", &[]),
        E::InvalidField { field: f, problem } => i18n::t(
            lang,
            "err-invalid",
            &[("field", field(f)), ("problem", problem.clone())],
        ),
        E::CannotLead(name) => i18n::t(lang, "err-cannot-lead", &[("name", name.clone())]),
        E::InvalidTimestamp(detail) => {
            i18n::t(lang, "err-timestamp", &[("detail", detail.clone())])
        }
        E::InconsistentJournal { .. } => i18n::t(lang, "error-internal-detail", &[]),
    }
}
