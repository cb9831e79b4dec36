//! Regulator notification drafts: for each regime step, exactly the content the regime asks
//! (`../shared/STANDARDS.md` §3), filled from the incident, and every item the record cannot
//! answer flagged as a gap for the person who files it.

use debrief_domain::effectiveness::Measure;
use debrief_domain::obligation::Due;
use debrief_domain::postmortem::PmText;
use debrief_domain::{Incident, Language, Milestone};
use serde::Serialize;

use crate::context::{Snapshot, date, labels, money, span};

/// One item of a draft: its label, and the value from the record or the gap to fill.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    pub label: String,
    pub value: Option<String>,
}

/// A regulator draft.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Draft {
    pub kind: String,
    pub title: String,
    /// The obligation it discharges: recipient, deadline and state, when the incident has it.
    pub recipient: Option<String>,
    pub due: Option<String>,
    pub state: Option<String>,
    pub items: Vec<Item>,
    pub gaps: usize,
}

fn nonempty(s: &str) -> Option<String> {
    (!s.trim().is_empty()).then(|| s.trim().to_string())
}

struct Facts<'a> {
    i: &'a Incident,
    lang: Language,
    zone: &'a debrief_domain::Zone,
    effectiveness: &'a [Measure],
    labels: std::collections::BTreeMap<String, String>,
}

impl Facts<'_> {
    /// The non-empty values, separated as the reader writes it (`a; b`, `a ; b`).
    fn join(&self, items: impl IntoIterator<Item = String>) -> Option<String> {
        let v: Vec<String> = items.into_iter().filter(|s| !s.trim().is_empty()).collect();
        (!v.is_empty()).then(|| v.join(&format!("{} ", self.lab("semicolon"))))
    }

    /// A label in the reader's language, or the key as is.
    fn lab(&self, key: &str) -> String {
        self.labels
            .get(key)
            .cloned()
            .unwrap_or_else(|| key.to_string())
    }
    fn nature(&self) -> Option<String> {
        let c = self.i.classification.as_ref().map(|c| {
            let (class, kind) = c.labels(self.lang);
            format!("{class} / {kind}")
        });
        self.join(c.into_iter().chain(nonempty(&self.i.summary)))
    }
    /// The people whose data was involved, by category (stated for the regulators), and the
    /// records by category (from the impact). Users whose work stopped are not data subjects.
    fn people_and_records(&self) -> Option<String> {
        let pm = &self.i.postmortem.impact;
        let count = |n: u64| debrief_domain::locale::number(n as f64, 0, self.lang);
        let people = self.i.regulatory.data_subjects.iter().map(|s| {
            format!(
                "{} ({}){} {}",
                s.category,
                self.lab("data_subjects"),
                self.lab("colon"),
                count(s.count)
            )
        });
        let records = pm.records.iter().map(|r| {
            format!(
                "{} ({}){} {}",
                r.category,
                self.lab("records_word"),
                self.lab("colon"),
                count(r.count)
            )
        });
        self.join(people.chain(records))
    }
    /// The likely consequences for the people concerned, as stated for the regulators.
    fn consequences_for_people(&self) -> Option<String> {
        nonempty(&self.i.regulatory.consequences)
    }
    /// Measures for the people concerned first, then what the team did and will do.
    fn measures_for_people(&self) -> Option<String> {
        self.join(
            nonempty(&self.i.regulatory.measures_for_people)
                .into_iter()
                .chain(self.measures()),
        )
    }
    fn yes_no(&self, v: Option<bool>) -> Option<String> {
        v.map(|b| self.lab(if b { "yes" } else { "no" }))
    }
    fn cross_border(&self) -> Option<String> {
        let r = &self.i.regulatory;
        self.yes_no(r.cross_border)
            .map(|yn| match nonempty(&r.cross_border_detail) {
                Some(detail) => format!("{yn} — {detail}"),
                None => yn,
            })
    }
    fn consequences(&self) -> Option<String> {
        let pm = &self.i.postmortem;
        self.join(
            pm.texts
                .get(&PmText::Reputation)
                .cloned()
                .into_iter()
                .chain(pm.impact.downtime_minutes.map(|m| {
                    let downtime = span(i64::try_from(m).unwrap_or(0) * 60, self.lang);
                    format!("{} {downtime}", self.lab("downtime"))
                })),
        )
    }
    fn measures(&self) -> Option<String> {
        self.join(
            self.i
                .actions
                .iter()
                .map(|a| a.description.clone())
                .chain(self.i.recommendations.iter().map(|r| r.action.clone())),
        )
    }
    fn severity(&self) -> Option<String> {
        self.i
            .severity
            .as_ref()
            .map(|s| crate::context::severity(s.level, &self.labels))
    }
    fn iocs(&self) -> Option<String> {
        self.join(self.i.observables.iter().filter(|o| o.ioc).map(|o| {
            format!(
                "{}{} {}",
                self.lab(&format!("obs_{}", o.kind.as_str())),
                self.lab("colon"),
                o.value
            )
        }))
    }
    fn root_causes(&self) -> Option<String> {
        self.join(self.i.postmortem.root_causes.iter().map(|r| r.text.clone()))
    }
    fn costs(&self) -> Option<String> {
        self.join(self.i.postmortem.impact.costs.iter().map(|c| {
            format!(
                "{} {}",
                self.lab(c.kind.as_str()),
                money(c.amount_minor, &c.currency, self.lang)
            )
        }))
    }
    fn resolution_time(&self) -> Option<String> {
        self.effectiveness
            .iter()
            .find(|m| m.name == "time_to_recover")
            .and_then(|m| m.seconds)
            .map(|s| span(s, self.lang))
    }
    fn lessons(&self) -> Option<String> {
        self.join(
            self.i
                .postmortem
                .lists
                .get(&debrief_domain::postmortem::PmList::WentWrong)
                .cloned()
                .unwrap_or_default(),
        )
    }
    fn when(&self, m: Milestone) -> Option<String> {
        self.i.milestone(m).map(|t| date(t, self.lang, self.zone))
    }
}

/// The items each draft asks for: (label key, value).
fn items(kind: &str, f: &Facts<'_>) -> Vec<(&'static str, Option<String>)> {
    let timing = f.join(
        [Milestone::Started, Milestone::Detected, Milestone::Aware]
            .into_iter()
            .filter_map(|m| {
                f.when(m)
                    .map(|t| format!("{}{} {t}", f.lab(m.as_str()), f.lab("colon")))
            }),
    );
    match kind {
        "gdpr-33" => vec![
            ("d_nature", f.nature()),
            ("d_people_records", f.people_and_records()),
            ("d_dpo", nonempty(&f.i.regulatory.contact)),
            ("d_consequences", f.consequences_for_people()),
            ("d_measures", f.measures_for_people()),
            ("d_timing", timing),
        ],
        "nis2-early-warning" => vec![
            ("d_malicious", f.yes_no(f.i.regulatory.malicious)),
            ("d_cross_border", f.cross_border()),
            ("d_nature", f.nature()),
            ("d_timing", timing),
        ],
        "nis2-notification" => vec![
            ("d_nature", f.nature()),
            ("d_severity", f.severity()),
            ("d_impact", f.consequences()),
            ("d_iocs", f.iocs()),
        ],
        "nis2-final" => vec![
            ("d_description", nonempty(&f.i.summary)),
            ("d_severity", f.severity()),
            ("d_impact", f.consequences()),
            ("d_root_cause", f.root_causes()),
            ("d_mitigations", f.measures()),
            ("d_cross_border", f.cross_border()),
        ],
        "dora-initial" | "dora-intermediate" => vec![
            ("d_nature", f.nature()),
            ("d_severity", f.severity()),
            ("d_impact", f.consequences()),
            ("d_timing", timing),
        ],
        "dora-final" => vec![
            ("d_root_cause", f.root_causes()),
            ("d_resolution_time", f.resolution_time()),
            ("d_costs", f.costs()),
            ("d_lessons", f.lessons()),
        ],
        "sec-8k" => vec![
            ("d_nature", f.nature()),
            (
                "d_scope",
                f.join(
                    f.i.scope
                        .systems
                        .iter()
                        .chain(&f.i.scope.business_units)
                        .cloned(),
                ),
            ),
            ("d_timing", timing),
            ("d_material_impact", f.costs().or_else(|| f.consequences())),
        ],
        _ => vec![],
    }
}

/// The draft of `kind` for the snapshot, in `lang`.
pub fn draft(kind: &str, snap: &Snapshot<'_>, lang: Language) -> Draft {
    let f = Facts {
        i: snap.incident,
        lang,
        zone: &snap.zone,
        effectiveness: &snap.effectiveness,
        labels: labels(lang),
    };
    let items: Vec<Item> = items(kind, &f)
        .into_iter()
        .map(|(k, v)| Item {
            label: f.lab(k),
            value: v,
        })
        .collect();
    let ob = snap
        .obligations
        .iter()
        .find(|o| o.draft.as_deref() == Some(kind));
    Draft {
        kind: kind.to_string(),
        title: f.lab(&format!("draft_{kind}")),
        recipient: ob.map(|o| {
            if lang == Language::Fr {
                o.recipient.fr.clone()
            } else {
                o.recipient.en.clone()
            }
        }),
        due: ob.and_then(|o| match o.due {
            Due::At { at } => Some(date(at, lang, &snap.zone)),
            _ => None,
        }),
        state: ob
            .map(|o| crate::context::term(&f.labels, "state_", &crate::context::state_id(o.state))),
        gaps: items.iter().filter(|i| i.value.is_none()).count(),
        items,
    }
}

#[cfg(test)]
mod draft_tests {
    use super::*;
    use crate::{Templates, drafts, render};
    use debrief_domain::journal::{ChainTips, seal};
    use debrief_domain::text::Actor;
    use debrief_domain::{Event, Hash, Incident, JournalEntry, Milestone, NewIncident, Timestamp};

    /// A personal-data breach, significant under NIS2, aware at 09:00 on 20 November.
    fn breach() -> (Incident, Vec<JournalEntry>) {
        let actor = Actor::parse("maria").unwrap();
        let id = debrief_domain::IncidentId::new();
        let mut entries: Vec<JournalEntry> = Vec::new();
        let at = Timestamp::parse("2026-11-21T12:00:00Z").unwrap();
        let now = Timestamp::parse("2026-11-22T00:00:00Z").unwrap();
        type Step<'a> = Box<dyn Fn(&Incident) -> Event + 'a>;
        let steps: Vec<Step<'_>> = vec![
            Box::new(|i| {
                i.classify("information-content-security", "data-leak", "")
                    .unwrap()
            }),
            Box::new(|i| {
                i.set_milestone(
                    Milestone::Aware,
                    Timestamp::parse("2026-11-20T09:00:00Z").unwrap(),
                    "DPO",
                    "",
                    now,
                )
                .unwrap()
            }),
            Box::new(|i| {
                i.set_flags(&["personal_data".into(), "significant".into()], "")
                    .unwrap()
            }),
        ];
        let opened = NewIncident::parse(
            "Customer records exposed",
            "An open share held the CRM export",
            "SOC",
            "mail",
            None,
        )
        .unwrap()
        .into_event(9);
        let push = |event: Event, entries: &mut Vec<JournalEntry>| {
            let tips = entries.last().map(|e| e.tips()).unwrap_or(ChainTips {
                seq: 0,
                hash: Hash::ZERO,
                gseq: 0,
                ledger_hash: Hash::ZERO,
            });
            entries.push(seal(id, &tips, at, &actor, &event).unwrap());
        };
        push(opened, &mut entries);
        for step in steps {
            let e = step(&Incident::from_journal(&entries).unwrap());
            push(e, &mut entries);
        }
        (Incident::from_journal(&entries).unwrap(), entries)
    }

    #[test]
    fn drafts_ask_what_each_regime_asks_and_flag_the_gaps() {
        let (i, j) = breach();
        let regimes = debrief_domain::obligation::Regimes::builtin();
        let now = Timestamp::parse("2026-11-21T13:00:00Z").unwrap();
        let snap = Snapshot {
            incident: &i,
            journal: &j,
            obligations: i.obligations(regimes, now),
            effectiveness: vec![],
            generated_at: now,
            zone: debrief_domain::Zone::utc(),
        };
        let d = draft("gdpr-33", &snap, Language::En);
        assert_eq!(
            d.due.as_deref(),
            Some("2026-11-23 09:00 UTC"),
            "72 h after awareness"
        );
        assert!(d.recipient.is_some());
        let labels: Vec<&str> = d.items.iter().map(|x| x.label.as_str()).collect();
        assert!(labels.contains(&"Data protection officer or other contact point"));
        let nature = &d.items[0];
        assert_eq!(
            nature.value.as_deref(),
            Some(
                "Information content security / Leak of confidential information; An open share held the CRM export"
            )
        );
        // No DPO contact, no people counted, no consequences or measures recorded yet.
        assert_eq!(d.gaps, 4, "{d:?}");
        let early = draft("nis2-early-warning", &snap, Language::Fr);
        assert_eq!(early.due.as_deref(), Some("21/11/2026 09:00 UTC"));
        assert_eq!(
            early.items[0].label,
            "Acte illicite ou malveillant suspecté ?"
        );
        assert_eq!(
            early.gaps, 2,
            "malicious? and cross-border? are for a person to answer"
        );
        let t = Templates::default();
        for kind in drafts().map(|k| k.as_str()) {
            for lang in [Language::En, Language::Fr] {
                let md = render(&t, kind, "md", lang, &snap).unwrap();
                assert!(md.starts_with("# "), "{kind}: {md}");
                let json: serde_json::Value =
                    serde_json::from_str(&render(&t, kind, "json", lang, &snap).unwrap()).unwrap();
                assert_eq!(json["d"]["kind"], *kind);
            }
        }
        let md = render(&t, "gdpr-33", "md", Language::Fr, &snap).unwrap();
        assert!(md.contains("Notification de violation de données personnelles (RGPD art. 33)"));
        assert!(md.contains("⚠ Lacune"), "{md}");
    }
}
