//! Precision and recall of the blameless check on a hand-labelled corpus of postmortem
//! sentences, per language (`tests/data/blameless-corpus.json`); the README reports the figures.
//! `cargo test -p debrief-domain --test blameless_corpus -- --nocapture` prints them and every
//! sentence the check gets wrong.

use debrief_domain::Language;
use debrief_domain::blameless::BlamelessRules;

#[derive(serde::Deserialize)]
struct Labelled {
    blameful: Vec<String>,
    blameless: Vec<String>,
}

#[derive(serde::Deserialize)]
struct Corpus {
    en: Labelled,
    fr: Labelled,
}

/// (precision, recall, misses, false alarms) of the check on one language's sentences.
fn measure(lang: Language, set: &Labelled) -> (f64, f64, Vec<String>, Vec<String>) {
    let rules = BlamelessRules::builtin();
    let flagged = |s: &str| !rules.check(s, lang, &[]).is_empty();
    let misses: Vec<String> = set
        .blameful
        .iter()
        .filter(|s| !flagged(s))
        .cloned()
        .collect();
    let alarms: Vec<String> = set
        .blameless
        .iter()
        .filter(|s| flagged(s))
        .cloned()
        .collect();
    let caught = (set.blameful.len() - misses.len()) as f64;
    let precision = caught / (caught + alarms.len() as f64);
    let recall = caught / set.blameful.len() as f64;
    (precision, recall, misses, alarms)
}

#[test]
fn precision_and_recall_on_the_labelled_corpus() {
    let corpus: Corpus =
        serde_json::from_str(include_str!("data/blameless-corpus.json")).expect("the corpus");
    for (lang, set) in [(Language::En, &corpus.en), (Language::Fr, &corpus.fr)] {
        assert!(
            set.blameful.len() + set.blameless.len() >= 100,
            "at least 100 sentences per language"
        );
        let (precision, recall, misses, alarms) = measure(lang, set);
        println!(
            "{lang:?}: {} blameful, {} blameless sentences — precision {precision:.3}, recall {recall:.3}",
            set.blameful.len(),
            set.blameless.len()
        );
        for m in &misses {
            println!("  missed: {m}");
        }
        for a in &alarms {
            println!("  false alarm: {a}");
        }
        assert!(precision >= 0.95, "{lang:?}: precision {precision:.3}");
        assert!(recall >= 0.85, "{lang:?}: recall {recall:.3}");
    }
}
