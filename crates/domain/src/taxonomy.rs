//! The ENISA / TF-CSIRT Reference Security Incident Taxonomy (class → type), shipped as data
//! (`data/rsit.json`, with English and French labels) and parsed once.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::user::Language;

/// One incident type within a class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxonomyType {
    pub id: String,
    pub en: String,
    pub fr: String,
}

/// One class with its types.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxonomyClass {
    pub id: String,
    pub en: String,
    pub fr: String,
    pub types: Vec<TaxonomyType>,
}

#[derive(Debug, Deserialize)]
struct Data {
    classes: Vec<TaxonomyClass>,
}

static CLASSES: LazyLock<Vec<TaxonomyClass>> = LazyLock::new(|| {
    // The file is part of the binary and parsed by a unit test; a failure here is a build defect.
    match serde_json::from_str::<Data>(include_str!("../data/rsit.json")) {
        Ok(d) => d.classes,
        Err(e) => panic!("data/rsit.json does not parse: {e}"),
    }
});

/// Every class, in the taxonomy's order.
pub fn classes() -> &'static [TaxonomyClass] {
    &CLASSES
}

/// A label in `lang`.
pub fn label(en: &str, fr: &str, lang: Language) -> String {
    match lang {
        Language::En => en.to_string(),
        Language::Fr => fr.to_string(),
    }
}

/// A checked (class, type) pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classification {
    pub class: String,
    #[serde(rename = "type")]
    pub kind: String,
}

impl Classification {
    /// Checks that `kind` is a type of `class` in the taxonomy.
    pub fn parse(class: &str, kind: &str) -> Result<Classification, DomainError> {
        let class = class.trim().to_ascii_lowercase();
        let kind = kind.trim().to_ascii_lowercase();
        let Some(c) = classes().iter().find(|c| c.id == class) else {
            return Err(DomainError::Unknown {
                what: "incident class",
                value: class,
                expected: classes()
                    .iter()
                    .map(|c| c.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        };
        if !c.types.iter().any(|t| t.id == kind) {
            return Err(DomainError::Unknown {
                what: "type for class",
                value: format!("{class}/{kind}"),
                expected: c
                    .types
                    .iter()
                    .map(|t| t.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        Ok(Classification { class, kind })
    }

    /// Class and type labels in `lang`.
    pub fn labels(&self, lang: Language) -> (String, String) {
        let c = classes().iter().find(|c| c.id == self.class);
        let t = c.and_then(|c| c.types.iter().find(|t| t.id == self.kind));
        (
            c.map_or(self.class.clone(), |c| label(&c.en, &c.fr, lang)),
            t.map_or(self.kind.clone(), |t| label(&t.en, &t.fr, lang)),
        )
    }
}

/// A sub-type teams name that the taxonomy does not (ransomware, business e-mail compromise,
/// insider), shipped as data (`data/subtypes.json`). An incident has it when it carries its id
/// as a tag; it suggests its RSIT class and type and adds its VERIS action, actor and
/// attribute to the VERIS export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subtype {
    pub id: String,
    pub en: String,
    pub fr: String,
    pub class: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// VERIS fragments: `action`, `actor` (objects), `availability` (an attribute variety).
    #[serde(default)]
    pub veris: serde_json::Value,
}

impl Subtype {
    /// Its name in `lang`.
    pub fn name(&self, lang: Language) -> String {
        label(&self.en, &self.fr, lang)
    }

    /// The RSIT classification it maps onto.
    pub fn classification(&self) -> Classification {
        Classification {
            class: self.class.clone(),
            kind: self.kind.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
struct SubtypeData {
    subtypes: Vec<Subtype>,
}

static SUBTYPES: LazyLock<Vec<Subtype>> = LazyLock::new(|| {
    // Part of the binary and checked by a unit test; a failure here is a build defect.
    match serde_json::from_str::<SubtypeData>(include_str!("../data/subtypes.json")) {
        Ok(d) => d.subtypes,
        Err(e) => panic!("data/subtypes.json does not parse: {e}"),
    }
});

/// The installation's table, when it extends the shipped one (set once, at start-up).
static INSTALLED: std::sync::OnceLock<Vec<Subtype>> = std::sync::OnceLock::new();

/// Every sub-type, in the data's order: the shipped ones, extended by the installation's.
pub fn subtypes() -> &'static [Subtype] {
    INSTALLED.get().map_or(&SUBTYPES, Vec::as_slice)
}

/// The shipped sub-types extended by `json` (an administrator's `subtypes.json`, the shipped
/// file's shape): a sub-type with a shipped id replaces it, a new one is added. Each must map
/// onto a class and type of the taxonomy.
pub fn extended_subtypes(json: &str) -> Result<Vec<Subtype>, DomainError> {
    let bad = |problem: String| DomainError::InvalidField {
        field: "subtypes",
        problem,
    };
    let more: SubtypeData = serde_json::from_str(json).map_err(|e| bad(e.to_string()))?;
    let mut all = SUBTYPES.clone();
    for s in more.subtypes {
        let id_ok = !s.id.is_empty()
            && s.id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !id_ok {
            return Err(bad(format!(
                "`{}`: an id is lower-case letters, digits and dashes (it is also a tag)",
                s.id
            )));
        }
        Classification::parse(&s.class, &s.kind)?;
        if s.en.trim().is_empty() || s.fr.trim().is_empty() {
            return Err(bad(format!(
                "`{}` needs its English and French names",
                s.id
            )));
        }
        match all.iter_mut().find(|x| x.id == s.id) {
            Some(old) => *old = s,
            None => all.push(s),
        }
    }
    Ok(all)
}

/// Makes `table` the installation's sub-types for the rest of the process. Called once at
/// start-up, before any is read; a second call changes nothing and says so.
pub fn install_subtypes(table: Vec<Subtype>) -> bool {
    INSTALLED.set(table).is_ok()
}

/// The sub-types among `tags` (an incident's), in the data's order.
pub fn subtypes_of(tags: &[String]) -> Vec<&'static Subtype> {
    subtypes()
        .iter()
        .filter(|s| tags.iter().any(|t| t.eq_ignore_ascii_case(&s.id)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_types_map_onto_the_taxonomy() {
        let ids: Vec<&str> = subtypes().iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["ransomware", "bec", "insider"]);
        for s in subtypes() {
            assert!(
                Classification::parse(&s.class, &s.kind).is_ok(),
                "{}: {}/{} is not in RSIT",
                s.id,
                s.class,
                s.kind
            );
            assert!(
                !s.fr.is_empty() && s.veris["action"].is_object(),
                "{}",
                s.id
            );
        }
        let more = r#"{"subtypes": [
            {"id": "sextortion", "en": "Sextortion", "fr": "Sextorsion", "class": "fraud",
             "type": "masquerade", "veris": {"action": {"social": {"variety": ["Extortion"]}}}},
            {"id": "insider", "en": "Insider", "fr": "Initié", "class": "intrusions",
             "type": "privileged-account-compromise"}]}"#;
        let table = extended_subtypes(more).unwrap();
        let ids: Vec<&str> = table.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["ransomware", "bec", "insider", "sextortion"]);
        assert_eq!(table[2].class, "intrusions", "replaced by id");
        let wrong = r#"{"subtypes": [{"id": "x", "en": "X", "fr": "X", "class": "fraud", "type": "ddos"}]}"#;
        assert!(extended_subtypes(wrong).is_err());
        let tags = ["finance".to_string(), "Ransomware".to_string()];
        assert_eq!(subtypes_of(&tags)[0].name(Language::Fr), "Rançongiciel");
    }

    #[test]
    fn ships_the_eleven_classes() {
        assert_eq!(classes().len(), 11);
        assert_eq!(classes().iter().map(|c| c.types.len()).sum::<usize>(), 39);
        for c in classes() {
            assert!(
                !c.fr.is_empty() && c.types.iter().all(|t| !t.fr.is_empty()),
                "{}",
                c.id
            );
        }
    }

    #[test]
    fn checks_class_and_type() {
        assert!(Classification::parse("Fraud", "phishing").is_ok());
        let err = Classification::parse("fraud", "ddos")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unauthorised-use-of-resources, copyright, masquerade, phishing"),
            "{err}"
        );
        assert!(
            Classification::parse("nope", "x")
                .unwrap_err()
                .to_string()
                .contains("abusive-content")
        );
        let c = Classification::parse("intrusions", "system-compromise").unwrap();
        assert_eq!(c.labels(Language::Fr).1, "Compromission de système");
    }

    /// Checks the shipped data against the reference file in `../shared/data` (run by `.ci/run`
    /// with `DEBRIEF_REQUIRE_SHARED=1`, where a missing file is a failure).
    #[test]
    fn matches_the_reference_machine_file() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/enisa-rsit/machinev1.json"
        );
        let Ok(text) = std::fs::read_to_string(path) else {
            assert!(
                std::env::var("DEBRIEF_REQUIRE_SHARED").is_err(),
                "DEBRIEF_REQUIRE_SHARED is set but {path} is missing"
            );
            eprintln!("REFERENCE CHECK NOT RUN: {path} not found");
            return;
        };
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut reference = Vec::new();
        for v in doc["values"].as_array().unwrap() {
            for e in v["entry"].as_array().unwrap() {
                reference.push(format!(
                    "{}/{}",
                    v["predicate"].as_str().unwrap(),
                    e["value"].as_str().unwrap()
                ));
            }
        }
        let ours: Vec<String> = classes()
            .iter()
            .flat_map(|c| c.types.iter().map(move |t| format!("{}/{}", c.id, t.id)))
            .collect();
        reference.sort();
        let mut sorted = ours.clone();
        sorted.sort();
        assert_eq!(sorted, reference);
    }
}
