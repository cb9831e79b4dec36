//! What regulators ask that the record cannot derive: the contact point, whether the act was
//! malicious, its cross-border effect, the people whose data was involved (data subjects, by
//! category — patients, customers, staff — distinct from the users whose work stopped), the
//! likely consequences for them and the measures taken or proposed for them (GDPR art. 33(3),
//! NIS2 art. 23(4)). Stated by a person on the incident, journaled, used by the drafts.

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::event::Event;
use crate::incident::Incident;
use crate::postmortem::RecordCount;
use crate::text::{Lines, clean};

/// The facts a regulator's form asks that only a person can state. Empty or `None`: not
/// stated yet (a gap in the drafts).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegulatoryFacts {
    /// The data protection officer or other contact point (name, address, telephone).
    #[serde(default)]
    pub contact: String,
    /// Whether the incident is suspected of being caused by unlawful or malicious acts.
    #[serde(default)]
    pub malicious: Option<bool>,
    /// Whether it has, or could have, an impact in other member states or countries.
    #[serde(default)]
    pub cross_border: Option<bool>,
    /// Which countries, and how.
    #[serde(default)]
    pub cross_border_detail: String,
    /// The people whose personal data was involved, by category, approximately.
    #[serde(default)]
    pub data_subjects: Vec<RecordCount>,
    /// The likely consequences of the breach for those people.
    #[serde(default)]
    pub consequences: String,
    /// The measures taken or proposed to address the breach and mitigate its effects on them.
    #[serde(default)]
    pub measures_for_people: String,
}

impl RegulatoryFacts {
    /// The facts, checked and tidied: texts on their lines, categories named, a category given
    /// twice counted once with the numbers added (`patients` and `Patients` are one).
    pub fn parse(self) -> Result<RegulatoryFacts, DomainError> {
        let mut subjects: Vec<RecordCount> = Vec::new();
        for s in self.data_subjects {
            let category = clean("data subject category", &s.category, 200, Lines::One)?;
            if category.is_empty() {
                return Err(DomainError::Empty {
                    field: "data subject category",
                });
            }
            match subjects
                .iter_mut()
                .find(|x| x.category.to_lowercase() == category.to_lowercase())
            {
                Some(x) => x.count = x.count.saturating_add(s.count),
                None => subjects.push(RecordCount {
                    category,
                    count: s.count,
                }),
            }
        }
        Ok(RegulatoryFacts {
            contact: clean("contact", &self.contact, 1000, Lines::Many)?,
            malicious: self.malicious,
            cross_border: self.cross_border,
            cross_border_detail: clean(
                "cross-border detail",
                &self.cross_border_detail,
                2000,
                Lines::Many,
            )?,
            data_subjects: subjects,
            consequences: clean("consequences", &self.consequences, 4000, Lines::Many)?,
            measures_for_people: clean(
                "measures for people",
                &self.measures_for_people,
                4000,
                Lines::Many,
            )?,
        })
    }

    /// How many people, all categories together.
    pub fn people(&self) -> u64 {
        self.data_subjects
            .iter()
            .fold(0u64, |n, s| n.saturating_add(s.count))
    }
}

impl Incident {
    /// States the regulatory facts (replacing those stated before).
    pub fn set_regulatory_facts(&self, facts: RegulatoryFacts) -> Result<Event, DomainError> {
        let facts = facts.parse()?;
        if facts == self.regulatory {
            return Err(DomainError::Unchanged(
                "the regulatory facts are already so".into(),
            ));
        }
        Ok(Event::RegulatoryFactsSet { facts })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::Journal;

    #[test]
    fn facts_are_tidied_checked_and_folded() {
        let mut j = Journal::new();
        let facts = RegulatoryFacts {
            contact: "  DPO: Claire Martin, dpo@chu.example, +33 1 23 45 67 89 ".into(),
            malicious: Some(true),
            cross_border: Some(false),
            data_subjects: vec![
                RecordCount {
                    category: "patients".into(),
                    count: 12_000,
                },
                RecordCount {
                    category: "staff".into(),
                    count: 340,
                },
            ],
            consequences: "Identity theft and phishing aimed at patients".into(),
            ..Default::default()
        };
        let e = j.state().set_regulatory_facts(facts.clone()).unwrap();
        j.push(e);
        let i = j.state();
        assert_eq!(
            i.regulatory.contact,
            "DPO: Claire Martin, dpo@chu.example, +33 1 23 45 67 89"
        );
        assert_eq!(i.regulatory.people(), 12_340);
        assert!(matches!(
            i.set_regulatory_facts(i.regulatory.clone()),
            Err(DomainError::Unchanged(_))
        ));
        let twice = RegulatoryFacts {
            data_subjects: vec![
                RecordCount {
                    category: "Patients".into(),
                    count: 1,
                },
                RecordCount {
                    category: "patients".into(),
                    count: 2,
                },
            ],
            ..Default::default()
        };
        let merged = i.set_regulatory_facts(twice).unwrap();
        let Event::RegulatoryFactsSet { facts } = merged else {
            panic!("{merged:?}")
        };
        assert_eq!(
            (facts.data_subjects.len(), facts.people()),
            (1, 3),
            "one category, counted once"
        );
        let blank = RegulatoryFacts {
            data_subjects: vec![RecordCount {
                category: " ".into(),
                count: 1,
            }],
            ..Default::default()
        };
        assert!(i.set_regulatory_facts(blank).is_err());
    }
}
