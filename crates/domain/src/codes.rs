//! Every code Debrief stores, sends or keys a label by — enum values, journal event kinds,
//! taxonomy and regime identifiers — and a scan that finds one left raw in text meant for a
//! person, so that tests of the pages, the CLI and the reports can prove none reaches a reader.

use std::collections::BTreeSet;

use crate::enums::Closed;
use crate::user::Language;

fn names<T: Closed>(out: &mut BTreeSet<String>) {
    out.extend(T::ALL.iter().map(|v| v.name().to_string()));
}

/// Every code, as it is written in the API and the journal.
pub fn every() -> &'static BTreeSet<String> {
    static ALL: std::sync::OnceLock<BTreeSet<String>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        use crate::postmortem as pm;
        let mut out = BTreeSet::new();
        names::<crate::status::Status>(&mut out);
        names::<crate::event::Milestone>(&mut out);
        names::<crate::user::Role>(&mut out);
        names::<crate::observable::ObservableKind>(&mut out);
        names::<crate::evidence::CustodyAction>(&mut out);
        names::<crate::timeline::Precision>(&mut out);
        names::<crate::timeline::TimelineSource>(&mut out);
        names::<crate::work::AssetKind>(&mut out);
        names::<crate::work::Criticality>(&mut out);
        names::<crate::work::Compromise>(&mut out);
        names::<crate::work::ActionKind>(&mut out);
        names::<crate::work::TaskStatus>(&mut out);
        names::<crate::work::NoteKind>(&mut out);
        names::<pm::RecommendationKind>(&mut out);
        names::<pm::Quadrant>(&mut out);
        names::<pm::RecommendationStatus>(&mut out);
        names::<pm::DueState>(&mut out);
        names::<pm::PostmortemStatus>(&mut out);
        names::<pm::PmText>(&mut out);
        names::<pm::PmList>(&mut out);
        names::<pm::CauseCategory>(&mut out);
        names::<pm::CostKind>(&mut out);
        names::<pm::ReadinessItem>(&mut out);
        names::<crate::triage::Tlp>(&mut out);
        names::<crate::triage::Pap>(&mut out);
        names::<crate::triage::FunctionalImpact>(&mut out);
        names::<crate::triage::InformationImpact>(&mut out);
        names::<crate::triage::Recoverability>(&mut out);
        names::<crate::triage::IncidentRole>(&mut out);
        out.extend(crate::alert::AlertStatus::ALL.map(|s| s.as_str().to_string()));
        out.extend(crate::alert::DismissReason::ALL.map(|s| s.as_str().to_string()));
        out.extend(crate::event::Field::ALL.map(|s| s.as_str().to_string()));
        out.extend(
            ["pending", "due-soon", "overdue", "met", "met-late"]
                .into_iter()
                .map(String::from),
        );
        out.extend(crate::event::Event::KINDS.iter().map(|k| k.to_string()));
        out.extend(
            crate::timeline::TACTICS
                .iter()
                .map(|(_, name)| name.to_string()),
        );
        for class in crate::taxonomy::classes() {
            out.insert(class.id.clone());
            out.extend(class.types.iter().map(|t| t.id.clone()));
        }
        for regime in &crate::obligation::Regimes::builtin().regimes {
            out.insert(regime.id.clone());
            out.extend(regime.steps.iter().map(|s| s.id.clone()));
        }
        out
    })
}

/// Codes that are also ordinary words of the language, or that a reader writes the same way:
/// finding one of them in text proves nothing.
fn is_a_word(code: &str, lang: Language) -> bool {
    const BOTH: &str = "application communication direct note process url mutex other detect \
        technique transport final notification participants playbooks";
    const EN: &str = "new open closed done cancelled low medium high critical none host account \
        domain email filename hostname unknown suspected confirmed cleared containment \
        eradication recovery analysis interview prevent mitigate training tooling draft review \
        approved published summary timeline impact indirect recovered red amber green clear \
        started detected declared contained eradicated resolved acknowledged aware collected \
        transferred examined returned destroyed stored exact approximate day lead member \
        observer admin manager handler viewer reporter pending overdue met late people \
        technology external partner vendor merged dismissed promoted duplicate benign title \
        severity owner minute hour analyst system manual alert tool execution persistence \
        discovery collection exfiltration reconnaissance legal report detection lucky initial \
        intermediate resolution communications scribe verified costs backups response \
        recommendations";
    const FR: &str = "contact date minute code incident information impact exfiltration \
        reconnaissance collection interne portail exact initial final";
    let listed = |words: &str| words.split_whitespace().any(|w| w == code);
    listed(BOTH)
        || match lang {
            Language::En => listed(EN),
            Language::Fr => listed(FR),
        }
}

/// The codes found raw in `text`, a page or document as `lang`'s reader sees it: a code with a
/// separator (`in-progress`, `incident.opened`, `amber+strict`, `data_store`) anywhere, and a
/// plain-word code where it is not a word of `lang` (`contained` in French text). `allowed`
/// lists words the reader's own data may contain (names, free text typed by people).
pub fn raw_in(text: &str, lang: Language, allowed: &BTreeSet<String>) -> Vec<String> {
    let codes = every();
    let mut found = BTreeSet::new();
    for token in text.split(|c: char| !(c.is_alphanumeric() || "-_.+".contains(c))) {
        let token = token.trim_matches(|c: char| ".-+_".contains(c));
        if token.is_empty() || !codes.contains(token) || allowed.contains(token) {
            continue;
        }
        let coded = token.contains(['-', '_', '.', '+']);
        if coded || !is_a_word(token, lang) {
            found.insert(token.to_string());
        }
    }
    found.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_codes_not_words() {
        let none = BTreeSet::new();
        assert_eq!(
            raw_in(
                "Statut : in-progress, TLP amber+strict.",
                Language::Fr,
                &none
            ),
            ["amber+strict", "in-progress"]
        );
        assert_eq!(
            raw_in("Observable ipv4 : 10.0.0.1", Language::Fr, &none),
            ["ipv4"]
        );
        assert!(raw_in("The incident is open and contained.", Language::En, &none).is_empty());
        assert_eq!(
            raw_in("L'incident est contained.", Language::Fr, &none),
            ["contained"]
        );
        assert!(every().contains("incident.opened") && every().contains("malicious-code"));
    }
}
