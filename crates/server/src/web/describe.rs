//! One journal entry described for people, in their language.

use debrief_domain::{Event, JournalEntry, Language, Status};

use crate::i18n::t;

/// One journal entry, described for people in their language.
pub(super) fn describe(lang: Language, e: &JournalEntry) -> (String, String) {
    let st = |s: Status| t(lang, &format!("status-{s}"), &[]);
    match e.event() {
        Ok(Event::Opened { title, .. }) => (
            t(lang, "journal-opened", &[("title", title.into_inner())]),
            String::new(),
        ),
        Ok(Event::StatusChanged { from, to, reason }) => (
            t(
                lang,
                "journal-status",
                &[("from", st(from)), ("to", st(to))],
            ),
            reason.into_inner(),
        ),
        Ok(Event::FieldChanged {
            field, to, reason, ..
        }) => {
            let name = t(lang, &format!("field-name-{field}"), &[]);
            let shown: String = to.chars().take(120).collect();
            (
                t(lang, "journal-field", &[("field", name), ("to", shown)]),
                reason.into_inner(),
            )
        }
        Ok(Event::Assigned {
            to: Some(to),
            reason,
            ..
        }) => (
            t(lang, "journal-assigned", &[("to", to)]),
            reason.into_inner(),
        ),
        Ok(Event::Assigned {
            to: None, reason, ..
        }) => (t(lang, "journal-unassigned", &[]), reason.into_inner()),
        Ok(Event::MilestoneSet {
            milestone,
            at,
            source,
            reason,
            ..
        }) => (
            t(
                lang,
                "journal-milestone",
                &[
                    ("milestone", t(lang, &format!("milestone-{milestone}"), &[])),
                    ("at", at.to_string()),
                    ("source", source.into_inner()),
                ],
            ),
            reason.into_inner(),
        ),
        Ok(Event::Classified {
            class,
            kind,
            reason,
        }) => {
            let c = debrief_domain::taxonomy::Classification { class, kind };
            let (cl, ty) = c.labels(lang);
            (
                t(lang, "journal-classified", &[("class", cl), ("type", ty)]),
                reason.into_inner(),
            )
        }
        Ok(Event::SeverityAssessed { assessment, reason }) => (
            t(
                lang,
                "journal-severity",
                &[
                    ("level", assessment.level.to_string()),
                    (
                        "name",
                        t(lang, &format!("severity-{}", assessment.level_name()), &[]),
                    ),
                ],
            ),
            reason.into_inner(),
        ),
        Ok(Event::MarkingsSet { tlp, pap }) => {
            let mut parts = Vec::new();
            if let Some(tlp) = tlp {
                parts.push(tlp.marking());
            }
            if let Some(pap) = pap {
                parts.push(format!("PAP:{}", pap.as_str().to_ascii_uppercase()));
            }
            (
                t(lang, "journal-markings", &[("what", parts.join(", "))]),
                String::new(),
            )
        }
        Ok(Event::TagsChanged { added, removed }) => {
            let what: Vec<String> = added
                .iter()
                .map(|a| format!("+{a}"))
                .chain(removed.iter().map(|r| format!("−{r}")))
                .collect();
            (
                t(lang, "journal-tags", &[("what", what.join(" "))]),
                String::new(),
            )
        }
        Ok(Event::ScopeSet { .. }) => (t(lang, "journal-scope", &[]), String::new()),
        Ok(Event::MemberAdded { user, role }) => (
            t(
                lang,
                "journal-member-added",
                &[
                    ("user", user),
                    ("role", t(lang, &format!("incident-role-{role}"), &[])),
                ],
            ),
            String::new(),
        ),
        Ok(Event::MemberRemoved { user, role, reason }) => (
            t(
                lang,
                "journal-member-removed",
                &[
                    ("user", user),
                    ("role", t(lang, &format!("incident-role-{role}"), &[])),
                ],
            ),
            reason.into_inner(),
        ),
        Ok(Event::ObservableAdded { kind, value, .. }) => {
            let shown: String = value.chars().take(120).collect();
            (
                t(
                    lang,
                    "journal-observable-added",
                    &[("kind", kind.to_string()), ("value", shown)],
                ),
                String::new(),
            )
        }
        Ok(Event::ObservableUpdated { id, .. }) => (
            t(
                lang,
                "journal-observable-updated",
                &[("id", id.to_string())],
            ),
            String::new(),
        ),
        Ok(Event::TimelineAdded { description, .. }) => {
            let shown: String = description.chars().take(120).collect();
            (
                t(lang, "journal-timeline-added", &[("description", shown)]),
                String::new(),
            )
        }
        Ok(Event::TimelineRemoved { id, reason }) => (
            t(lang, "journal-timeline-removed", &[("id", id.to_string())]),
            reason.into_inner(),
        ),
        Ok(Event::EvidenceAdded { name, sha256, .. }) => (
            t(
                lang,
                "journal-evidence-added",
                &[("name", name), ("sha256", sha256[..16].to_string())],
            ),
            String::new(),
        ),
        Ok(Event::CustodyRecorded { id, action, to, .. }) => (
            t(
                lang,
                "journal-custody",
                &[
                    ("id", id.to_string()),
                    (
                        "action",
                        t(lang, &format!("custody-{}", action.as_str()), &[]),
                    ),
                    ("to", to),
                ],
            ),
            String::new(),
        ),
        Ok(other) => (
            t(
                lang,
                &format!("journal-{}", other.kind().replace('.', "-")),
                &[],
            ),
            String::new(),
        ),
        Err(_) => (
            t(lang, "journal-other", &[("kind", e.kind.clone())]),
            String::new(),
        ),
    }
}
