//! Preliminary analysis: sharing markings (TLP 2.0, PAP), the severity assessment (NIST
//! 800-61r2 impact categories through a configurable matrix onto CISA NCISS levels 0–5), and the
//! people on an incident with their incident roles.

use serde::{Deserialize, Serialize};

use crate::enums::closed_enum;
use crate::error::DomainError;

closed_enum!(
    /// Traffic Light Protocol 2.0: who the information may be shared with.
    Tlp, "TLP", strip ["tlp:", "pap:"] { Red = "red", AmberStrict = "amber+strict", Amber = "amber", Green = "green", Clear = "clear" }
);
closed_enum!(
    /// Permissible Actions Protocol: what the recipient may do with the information.
    Pap, "PAP", strip ["tlp:", "pap:"] { Red = "red", Amber = "amber", Green = "green", Clear = "clear" }
);
closed_enum!(
    /// NIST SP 800-61r2 functional impact.
    FunctionalImpact, "functional impact" { None = "none", Low = "low", Medium = "medium", High = "high" }
);
closed_enum!(
    /// NIST SP 800-61r2 information impact.
    InformationImpact, "information impact" {
        None = "none", Privacy = "privacy-breach", Proprietary = "proprietary-breach", Integrity = "integrity-loss"
    }
);
closed_enum!(
    /// NIST SP 800-61r2 recoverability.
    Recoverability, "recoverability" {
        Regular = "regular", Supplemented = "supplemented", Extended = "extended", NotRecoverable = "not-recoverable"
    }
);
closed_enum!(
    /// A person's responsibility on one incident (SAMM asks for defined roles).
    IncidentRole, "incident role" {
        Lead = "lead", Handler = "handler", Communications = "communications", Legal = "legal", Scribe = "scribe"
    }
);

impl Tlp {
    /// The marking as written on documents, e.g. `TLP:AMBER+STRICT`.
    pub fn marking(self) -> String {
        format!("TLP:{}", self.as_str().to_ascii_uppercase())
    }
}

/// The severity levels (CISA NCISS), 0–5.
pub const LEVEL_NAMES: [&str; 6] = ["baseline", "low", "medium", "high", "severe", "emergency"];

/// How impact maps to a level. Each category's answers carry points; the sum is compared
/// with `thresholds` (the lowest score of levels 1–5); `floors` raise the level for answers that
/// are grave on their own. The default follows NIST 800-61r2's categories; an installation can
/// replace it with its own (a JSON file in the data directory).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeverityMatrix {
    /// Points for none, low, medium, high.
    pub functional: [u8; 4],
    /// Points for none, privacy breach, proprietary breach, integrity loss.
    pub information: [u8; 4],
    /// Points for regular, supplemented, extended, not recoverable.
    pub recoverability: [u8; 4],
    /// Lowest total score of levels 1, 2, 3, 4 and 5.
    pub thresholds: [u8; 5],
    /// Minimum level for "not recoverable" (a loss that cannot be undone).
    pub not_recoverable_floor: u8,
    /// Minimum level for a high functional impact.
    pub high_functional_floor: u8,
}

impl Default for SeverityMatrix {
    fn default() -> Self {
        SeverityMatrix {
            functional: [0, 1, 2, 3],
            information: [0, 2, 2, 3],
            recoverability: [0, 1, 2, 3],
            thresholds: [1, 3, 5, 7, 9],
            not_recoverable_floor: 4,
            high_functional_floor: 3,
        }
    }
}

/// A computed severity, with the reasons a person can check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    pub functional: FunctionalImpact,
    pub information: InformationImpact,
    pub recoverability: Recoverability,
    pub score: u8,
    /// 0 (baseline) … 5 (emergency).
    pub level: u8,
    /// One line per contribution, e.g. `functional impact high: +3`.
    pub reasons: Vec<String>,
}

impl Assessment {
    /// The level's name, e.g. `high`.
    pub fn level_name(&self) -> &'static str {
        LEVEL_NAMES[usize::from(self.level.min(5))]
    }
}

impl SeverityMatrix {
    /// Checks that thresholds rise and floors are levels.
    pub fn validate(&self) -> Result<(), DomainError> {
        let bad = |problem: String| DomainError::InvalidField {
            field: "severity matrix",
            problem,
        };
        if self.thresholds.windows(2).any(|w| w[0] > w[1]) {
            return Err(bad(
                "thresholds must not decrease from level 1 to level 5".into()
            ));
        }
        if self.not_recoverable_floor > 5 || self.high_functional_floor > 5 {
            return Err(bad("floors must be levels 0–5".into()));
        }
        Ok(())
    }

    /// Scores an assessment and says why.
    pub fn assess(
        &self,
        f: FunctionalImpact,
        i: InformationImpact,
        r: Recoverability,
    ) -> Assessment {
        let idx = |v: usize| v.min(3);
        let fp = self.functional[idx(FunctionalImpact::ALL
            .iter()
            .position(|x| *x == f)
            .unwrap_or(0))];
        let ip = self.information[idx(InformationImpact::ALL
            .iter()
            .position(|x| *x == i)
            .unwrap_or(0))];
        let rp = self.recoverability[idx(Recoverability::ALL
            .iter()
            .position(|x| *x == r)
            .unwrap_or(0))];
        let score = fp.saturating_add(ip).saturating_add(rp);
        let mut reasons = vec![
            format!("functional impact {f}: +{fp}"),
            format!("information impact {i}: +{ip}"),
            format!("recoverability {r}: +{rp}"),
        ];
        let mut level = self.thresholds.iter().filter(|t| score >= **t).count() as u8;
        reasons.push(format!(
            "score {score} → level {level} ({})",
            LEVEL_NAMES[usize::from(level)]
        ));
        if r == Recoverability::NotRecoverable && level < self.not_recoverable_floor {
            level = self.not_recoverable_floor;
            reasons.push(format!(
                "not recoverable: at least level {level} ({})",
                LEVEL_NAMES[usize::from(level)]
            ));
        }
        if f == FunctionalImpact::High && level < self.high_functional_floor {
            level = self.high_functional_floor;
            reasons.push(format!(
                "high functional impact: at least level {level} ({})",
                LEVEL_NAMES[usize::from(level)]
            ));
        }
        Assessment {
            functional: f,
            information: i,
            recoverability: r,
            score,
            level,
            reasons,
        }
    }
}

/// Where an incident reaches: business units, sites, systems.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    #[serde(default)]
    pub business_units: Vec<String>,
    #[serde(default)]
    pub sites: Vec<String>,
    #[serde(default)]
    pub systems: Vec<String>,
}

/// Cleans a list of labels: trimmed, non-empty, at most 100 characters each, at most 100 items,
/// duplicates removed (first spelling kept, compared case-insensitively).
pub fn clean_labels(field: &'static str, items: &[String]) -> Result<Vec<String>, DomainError> {
    let mut out: Vec<String> = Vec::new();
    for raw in items {
        let item = crate::text::clean(field, raw, 100, crate::text::Lines::One)?;
        if item.is_empty() {
            continue;
        }
        if !out.iter().any(|o| o.eq_ignore_ascii_case(&item)) {
            out.push(item);
        }
    }
    if out.len() > 100 {
        return Err(DomainError::InvalidField {
            field,
            problem: format!("has {} items; the limit is 100", out.len()),
        });
    }
    Ok(out)
}

/// Tags: like labels, but lower-case and without spaces (`phishing`, `apt29`, `finance-dept`).
pub fn clean_tags(items: &[String]) -> Result<Vec<String>, DomainError> {
    let cleaned = clean_labels("tags", items)?;
    cleaned
        .into_iter()
        .map(|t| {
            let t = t
                .to_lowercase()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join("-");
            if t.contains(',') {
                // The forms and the CSV tables separate tags with commas: one with a comma in it
                // could not be read back as itself.
                Err(DomainError::InvalidField {
                    field: "tags",
                    problem: format!(
                        "tag `{t}` contains a comma; give several tags as separate items"
                    ),
                })
            } else if t.chars().count() > 64 {
                Err(DomainError::InvalidField {
                    field: "tags",
                    problem: format!("tag `{t}` is longer than 64 characters"),
                })
            } else {
                Ok(t)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_matrix_examples() {
        let m = SeverityMatrix::default();
        let a = m.assess(
            FunctionalImpact::None,
            InformationImpact::None,
            Recoverability::Regular,
        );
        assert_eq!((a.score, a.level), (0, 0));
        let a = m.assess(
            FunctionalImpact::Low,
            InformationImpact::Privacy,
            Recoverability::Supplemented,
        );
        assert_eq!((a.score, a.level, a.level_name()), (4, 2, "medium"));
        let a = m.assess(
            FunctionalImpact::Medium,
            InformationImpact::Proprietary,
            Recoverability::Extended,
        );
        assert_eq!((a.score, a.level), (6, 3));
        let a = m.assess(
            FunctionalImpact::High,
            InformationImpact::Integrity,
            Recoverability::NotRecoverable,
        );
        assert_eq!((a.score, a.level, a.level_name()), (9, 5, "emergency"));
    }

    #[test]
    fn floors_raise_the_level_and_say_so() {
        let m = SeverityMatrix::default();
        let a = m.assess(
            FunctionalImpact::None,
            InformationImpact::None,
            Recoverability::NotRecoverable,
        );
        assert_eq!((a.score, a.level), (3, 4));
        assert!(
            a.reasons
                .last()
                .unwrap()
                .contains("not recoverable: at least level 4")
        );
        let a = m.assess(
            FunctionalImpact::High,
            InformationImpact::None,
            Recoverability::Regular,
        );
        assert_eq!(a.level, 3);
        assert_eq!(a.reasons[0], "functional impact high: +3");
    }

    #[test]
    fn a_custom_matrix_is_checked() {
        let m = SeverityMatrix {
            thresholds: [5, 4, 6, 7, 8],
            ..SeverityMatrix::default()
        };
        assert!(m.validate().is_err());
        assert!(SeverityMatrix::default().validate().is_ok());
    }

    #[test]
    fn markings_parse_in_common_spellings() {
        assert_eq!("TLP:AMBER+STRICT".parse::<Tlp>().unwrap(), Tlp::AmberStrict);
        assert_eq!("green".parse::<Pap>().unwrap(), Pap::Green);
        assert_eq!(Tlp::Clear.marking(), "TLP:CLEAR");
        assert!(
            "white"
                .parse::<Tlp>()
                .unwrap_err()
                .to_string()
                .contains("red, amber+strict, amber, green, clear")
        );
        assert_eq!(
            "privacy_breach".parse::<InformationImpact>().unwrap(),
            InformationImpact::Privacy
        );
    }

    #[test]
    fn labels_and_tags_are_cleaned() {
        let l = clean_labels(
            "sites",
            &[" Paris ".into(), "paris".into(), "".into(), "Lyon".into()],
        )
        .unwrap();
        assert_eq!(l, vec!["Paris", "Lyon"]);
        let t = clean_tags(&["Finance Dept".into(), "APT29".into()]).unwrap();
        assert_eq!(t, vec!["finance-dept", "apt29"]);
        assert!(
            clean_tags(&["finance,vip".into()]).is_err(),
            "a comma separates tags"
        );
        assert!(clean_labels("sites", &["x".repeat(101)]).is_err());
    }
}
