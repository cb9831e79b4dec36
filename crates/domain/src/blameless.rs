//! The blameless check of postmortem text: sentences that use blame language ("careless",
//! "should have", "erreur humaine", "négligence") or, in root-cause text, name a person of the
//! system — each with a neutral rewrite hint. Warnings, never blocks. The word lists are data
//! (`data/blameless.json`), per language; text is checked against every language's list (teams
//! write in both), the reader's first, and each sentence is flagged once per kind.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::user::Language;

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    /// Words that assign blame ("careless", "erreur humaine").
    BlameLanguage,
    /// A person of the system named (in root-cause text).
    PersonNamed,
}

/// One sentence the blameless check flags, with a neutral rewrite hint. A warning, never a block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    /// The sentence as written.
    pub sentence: String,
    /// The words that matched, as written in the sentence's lower case.
    pub matched: String,
    pub hint: String,
}

#[derive(Debug, Clone, Deserialize)]
struct TermSpec {
    term: String,
    hint: String,
}

#[derive(Debug, Clone, Deserialize)]
struct LangSpec {
    person_hint: String,
    terms: Vec<TermSpec>,
}

#[derive(Debug, Clone)]
struct Term {
    /// Lower case, straight apostrophes, without the trailing `*`.
    text: String,
    /// `*`: the rest of the word may follow.
    prefix: bool,
    hint: String,
}

/// The blame vocabulary of each language.
#[derive(Debug, Clone, Default)]
pub struct BlamelessRules {
    langs: BTreeMap<String, (String, Vec<Term>)>,
    /// Account names that are ordinary words ("admin" in "domain admin"): never a person.
    not_people: Vec<String>,
}

fn fold(s: &str) -> String {
    s.to_lowercase().replace(['\u{2019}', '\u{2018}'], "'")
}

/// Whether `needle` occurs in `hay` starting at a word start, ending at a word end unless
/// `prefix`; the match's byte range in `hay`.
fn find_word(hay: &str, needle: &str, prefix: bool) -> Option<(usize, usize)> {
    let starts_alnum = needle.chars().next().is_some_and(char::is_alphanumeric);
    let mut from = 0;
    while let Some(pos) = hay[from..].find(needle) {
        let start = from + pos;
        let end = start + needle.len();
        let before_ok = !starts_alnum
            || hay[..start]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric());
        let after_ok = prefix
            || hay[end..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphanumeric());
        if before_ok && after_ok {
            // With `*`, the match runs to the end of the word.
            let end = if prefix {
                end + hay[end..]
                    .char_indices()
                    .find(|(_, c)| !c.is_alphanumeric())
                    .map_or(hay.len() - end, |(i, _)| i)
            } else {
                end
            };
            return Some((start, end));
        }
        from = start + hay[start..].chars().next().map_or(1, char::len_utf8);
    }
    None
}

/// Sentences: split after `.`, `!`, `?`, `;` and at line ends; trimmed, empty ones dropped.
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if matches!(c, '.' | '!' | '?' | ';' | '\n') {
            let end = i + c.len_utf8();
            out.push(text[start..end].trim());
            start = end;
        }
    }
    out.push(text[start..].trim());
    out.retain(|s| !s.is_empty());
    out
}

impl BlamelessRules {
    /// The rules shipped with Debrief.
    pub fn builtin() -> &'static BlamelessRules {
        static RULES: OnceLock<BlamelessRules> = OnceLock::new();
        RULES.get_or_init(|| {
            BlamelessRules::from_json(include_str!("../data/blameless.json")).unwrap_or_default()
        })
    }

    /// Reads rules in the shape of `data/blameless.json`.
    pub fn from_json(text: &str) -> Result<BlamelessRules, DomainError> {
        let raw: BTreeMap<String, serde_json::Value> =
            serde_json::from_str(text).map_err(|e| DomainError::InvalidField {
                field: "blameless rules",
                problem: e.to_string(),
            })?;
        let mut langs = BTreeMap::new();
        let mut not_people = Vec::new();
        for (lang, spec) in raw {
            if lang.starts_with('_') {
                continue;
            }
            if lang == "not_people" {
                not_people = serde_json::from_value::<Vec<String>>(spec)
                    .map_err(|e| DomainError::InvalidField {
                        field: "blameless rules",
                        problem: format!("not_people: {e}"),
                    })?
                    .iter()
                    .map(|n| fold(n.trim()))
                    .collect();
                continue;
            }
            let spec: LangSpec =
                serde_json::from_value(spec).map_err(|e| DomainError::InvalidField {
                    field: "blameless rules",
                    problem: format!("{lang}: {e}"),
                })?;
            let terms = spec
                .terms
                .into_iter()
                .map(|t| {
                    let folded = fold(t.term.trim());
                    let prefix = folded.ends_with('*');
                    Term {
                        text: folded.trim_end_matches('*').to_string(),
                        prefix,
                        hint: t.hint,
                    }
                })
                .filter(|t| !t.text.is_empty())
                .collect();
            langs.insert(lang, (spec.person_hint, terms));
        }
        Ok(BlamelessRules { langs, not_people })
    }

    /// How many terms a language has.
    pub fn terms(&self, lang: Language) -> usize {
        self.langs.get(lang.as_str()).map_or(0, |(_, t)| t.len())
    }

    /// Flags the sentences of `text` that use blame language — the terms of `lang` first, then
    /// every other language's — and, given `people` (user names and display names) for
    /// root-cause text, those that name a person. A sentence is flagged once per kind: its blame
    /// words together, with the hint of the first; the person hint is in `lang`.
    pub fn check(&self, text: &str, lang: Language, people: &[&str]) -> Vec<Finding> {
        let Some((person_hint, _)) = self
            .langs
            .get(lang.as_str())
            .or_else(|| self.langs.values().next())
        else {
            return Vec::new();
        };
        let mut term_lists: Vec<&Vec<Term>> = Vec::new();
        if let Some((_, t)) = self.langs.get(lang.as_str()) {
            term_lists.push(t);
        }
        term_lists.extend(
            self.langs
                .iter()
                .filter(|(l, _)| l.as_str() != lang.as_str())
                .map(|(_, (_, t))| t),
        );
        let people: Vec<String> = people
            .iter()
            .map(|p| fold(p.trim()))
            .filter(|p| p.chars().count() >= 3 && !self.not_people.contains(p))
            .collect();
        let mut out = Vec::new();
        for sentence in sentences(text) {
            let folded = fold(sentence);
            // Blame words: every term that matches, a match inside another dropped.
            let mut spans: Vec<(usize, usize, &str)> = Vec::new();
            for t in term_lists.iter().flat_map(|l| l.iter()) {
                if let Some((s, e)) = find_word(&folded, &t.text, t.prefix)
                    && !spans.iter().any(|(a, b, _)| *a <= s && e <= *b)
                {
                    spans.retain(|(a, b, _)| !(s <= *a && *b <= e));
                    spans.push((s, e, t.hint.as_str()));
                }
            }
            if let Some((_, _, hint)) = spans.first().copied() {
                let mut by_place = spans.clone();
                by_place.sort_by_key(|(s, _, _)| *s);
                let matched: Vec<&str> = by_place.iter().map(|(s, e, _)| &folded[*s..*e]).collect();
                out.push(Finding {
                    kind: FindingKind::BlameLanguage,
                    sentence: sentence.to_string(),
                    matched: matched.join(", "),
                    hint: hint.to_string(),
                });
            }
            let named: Vec<&str> = people
                .iter()
                .filter_map(|p| find_word(&folded, p, false).map(|(s, e)| &folded[s..e]))
                .collect();
            if let Some(first) = named.first() {
                out.push(Finding {
                    kind: FindingKind::PersonNamed,
                    sentence: sentence.to_string(),
                    matched: first.to_string(),
                    hint: person_hint.clone(),
                });
            }
        }
        out
    }
}

/// Findings without repeats: the same sentence flagged for the same reason in two places (a
/// root cause and one of its whys, two sections) is shown once.
pub fn without_repeats(findings: Vec<Finding>) -> Vec<Finding> {
    let mut seen = std::collections::BTreeSet::new();
    findings
        .into_iter()
        .filter(|f| seen.insert((f.kind as u8, f.sentence.clone())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(f: &[Finding]) -> Vec<(FindingKind, String)> {
        f.iter().map(|f| (f.kind, f.matched.clone())).collect()
    }

    #[test]
    fn blame_language_is_flagged_in_english() {
        let r = BlamelessRules::builtin();
        assert!(r.terms(Language::En) >= 20 && r.terms(Language::Fr) >= 20);
        let text = "The attacker phished the finance mailbox. It was Bob's fault: he was careless \
                    and should have checked the sender. The gateway did not flag the lookalike domain.";
        let f = r.check(text, Language::En, &[]);
        assert_eq!(
            kinds(&f),
            vec![(
                FindingKind::BlameLanguage,
                "'s fault, careless, should have".to_string()
            )]
        );
        assert!(f[0].sentence.starts_with("It was Bob's fault"));
        assert!(!f[0].hint.is_empty());
        // Neutral text: nothing, and words merely containing a term are not matches.
        let neutral = "No check prevented a lookalike domain from reaching inboxes. Faultless \
                       failover kept the site up; the blameless review found a missing control.";
        assert_eq!(r.check(neutral, Language::En, &[]), vec![]);
        // Prefix terms take the rest of the word.
        let f = r.check("Negligence in patching.", Language::En, &[]);
        assert_eq!(
            kinds(&f),
            vec![(FindingKind::BlameLanguage, "negligence".into())]
        );
    }

    #[test]
    fn blame_language_is_flagged_in_french_and_people_are_named() {
        let r = BlamelessRules::builtin();
        let text = "La cause est une erreur humaine. L’administrateur aurait dû vérifier ; \
                    c'est une négligence de Marc. Le filtre n’a pas détecté le domaine.";
        let f = r.check(text, Language::Fr, &["marc", "Marc Dubois", "hk"]);
        assert_eq!(
            kinds(&f),
            vec![
                (FindingKind::BlameLanguage, "erreur humaine".to_string()),
                (FindingKind::BlameLanguage, "aurait dû".to_string()),
                (FindingKind::BlameLanguage, "négligence".to_string()),
                (FindingKind::PersonNamed, "marc".to_string()),
            ]
        );
        assert!(f[3].hint.contains("rôle"));
        // Short names (two letters) are not searched for: too many false hits.
        assert!(r.check("Le hk a expiré.", Language::Fr, &["hk"]).is_empty());
        // Every language's words are looked for, whatever the reader's: an English reader's
        // check catches French blame, a French reader's English blame.
        let mixed =
            "Le stagiaire a bêtement cliqué. He should have known. C'est une erreur humaine.";
        let f = r.check(mixed, Language::En, &[]);
        assert_eq!(
            kinds(&f),
            vec![
                (FindingKind::BlameLanguage, "bêtement".to_string()),
                (FindingKind::BlameLanguage, "should have".to_string()),
                (FindingKind::BlameLanguage, "erreur humaine".to_string()),
            ]
        );
        assert_eq!(r.check(mixed, Language::Fr, &[]).len(), 3);
        // Overlapping terms ("la faute", "par sa faute") make one finding per sentence.
        let f = r.check("C'est par sa faute et par négligence.", Language::Fr, &[]);
        assert_eq!(
            kinds(&f),
            vec![(
                FindingKind::BlameLanguage,
                "par sa faute, négligence".to_string()
            )]
        );
        // An account named like an ordinary word is not a person: "domain admin" is fine.
        assert!(
            r.check(
                "The domain admin group had too many members.",
                Language::En,
                &["admin", "Administrator"]
            )
            .is_empty()
        );
        // The same sentence flagged in two places is shown once.
        let twice = [
            r.check("Marc forgot to patch.", Language::En, &["marc"]),
            r.check("Marc forgot to patch.", Language::En, &["marc"]),
        ]
        .concat();
        assert_eq!(twice.len(), 4);
        assert_eq!(without_repeats(twice).len(), 2);
        // The rules are data: a team's own list replaces them.
        let own = BlamelessRules::from_json(
            r#"{"en": {"person_hint": "say the role", "terms": [{"term": "oops*", "hint": "describe it"}]}}"#,
        )
        .unwrap();
        assert_eq!(own.check("Oopsie daisy.", Language::En, &[]).len(), 1);
        assert!(BlamelessRules::from_json("{").is_err());
    }
}
