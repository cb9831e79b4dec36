//! The knowledge base's rules: how alike two incidents are (shared observables, the same class
//! and type, shared ATT&CK techniques, words in common found by full-text search), what a past
//! incident teaches (its outcome and lessons learnt), and the lessons-learnt search across every
//! postmortem.

use crate::text::fold;
use std::collections::BTreeSet;

use serde::Serialize;

use crate::incident::Incident;
use crate::postmortem::PmList;

/// Points per reason (documented in the README): a shared observable (at most four count), the
/// same class, the same type too, a shared ATT&CK technique, and up to this many for text.
pub const OBSERVABLE: f64 = 3.0;
pub const CLASS: f64 = 2.0;
pub const TYPE: f64 = 2.0;
pub const TECHNIQUE: f64 = 3.0;
pub const TEXT: f64 = 4.0;

/// A past incident the store found related to the one at hand, and how.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    pub incident: &'a Incident,
    /// Observable values both incidents recorded.
    pub shared_observables: Vec<String>,
    /// The share (0–1) of the target's significant words the full-text search found in it.
    pub text: f64,
}

/// What a past incident came to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub status: String,
    pub closed_at: Option<String>,
    pub root_causes: Vec<String>,
    /// What went wrong, what went well, and the recommendations made.
    pub lessons: Vec<String>,
}

/// A similar past incident, with its score, why, and what it teaches.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Similar {
    pub number: i64,
    pub title: String,
    pub score: f64,
    /// `observable:VALUE`, `class`, `type`, `technique:T1566`, `text:NN%`.
    pub reasons: Vec<String>,
    pub outcome: Outcome,
}

/// The ATT&CK techniques of an incident's timeline.
pub fn techniques(i: &Incident) -> BTreeSet<String> {
    i.timeline
        .iter()
        .filter_map(|t| t.technique.as_ref().map(|x| x.as_str().to_string()))
        .collect()
}

/// The lessons an incident's postmortem records.
pub fn outcome(i: &Incident) -> Outcome {
    let list = |l: PmList| i.postmortem.lists.get(&l).cloned().unwrap_or_default();
    let mut lessons = list(PmList::WentWrong);
    lessons.extend(list(PmList::WentWell));
    lessons.extend(i.recommendations.iter().map(|r| r.action.clone()));
    Outcome {
        status: i.status.as_str().to_string(),
        closed_at: i
            .milestone(crate::event::Milestone::Closed)
            .map(|t| t.to_string()),
        root_causes: i
            .postmortem
            .root_causes
            .iter()
            .map(|r| r.text.clone())
            .collect(),
        lessons,
    }
}

/// The significant words of an incident for the full-text search: from its title and summary,
/// at least four letters, no common words, at most `max`.
pub fn search_words(i: &Incident, max: usize) -> Vec<String> {
    const COMMON: &[&str] = &[
        "with", "from", "this", "that", "have", "were", "been", "after", "into", "over", "their",
        "they", "some", "dans", "avec", "pour", "sont", "cette", "leur", "plus", "incident",
    ];
    let mut seen = BTreeSet::new();
    format!("{} {}", i.title, i.summary)
        .split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .filter(|w| w.chars().count() >= 4 && !COMMON.contains(&w.as_str()))
        .filter(|w| seen.insert(w.clone()))
        .take(max)
        .collect()
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The candidates ranked by score (highest first, then the most recent); those scoring nothing
/// are left out.
pub fn rank(target: &Incident, candidates: &[Candidate<'_>], limit: usize) -> Vec<Similar> {
    let own = techniques(target);
    let class = target.classification.as_ref();
    let mut out: Vec<Similar> = candidates
        .iter()
        .filter(|c| c.incident.id != target.id)
        .map(|c| {
            let i = c.incident;
            let mut score = 0.0;
            let mut reasons = Vec::new();
            for v in c.shared_observables.iter().take(4) {
                score += OBSERVABLE;
                reasons.push(format!("observable:{v}"));
            }
            if let (Some(a), Some(b)) = (class, i.classification.as_ref())
                && a.class == b.class
            {
                score += CLASS;
                reasons.push("class".into());
                if a.kind == b.kind {
                    score += TYPE;
                    reasons.push("type".into());
                }
            }
            for t in techniques(i).intersection(&own) {
                score += TECHNIQUE;
                reasons.push(format!("technique:{t}"));
            }
            if c.text > 0.0 {
                score += TEXT * c.text.min(1.0);
                reasons.push(format!("text:{:.0}%", c.text.min(1.0) * 100.0));
            }
            Similar {
                number: i.number,
                title: i.title.clone(),
                score: round1(score),
                reasons,
                outcome: outcome(i),
            }
        })
        .filter(|s| s.score > 0.0)
        .collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then(b.number.cmp(&a.number)));
    out.truncate(limit);
    out
}

/// A postmortem passage matching a lessons-learnt search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LessonHit {
    pub number: i64,
    pub title: String,
    /// `went-wrong`, `root-cause`, `recommendation`, `summary`…
    pub section: String,
    pub text: String,
}

/// Every postmortem passage (texts, lists, root causes and their whys, recommendations) that
/// holds all the words of `query` (case and French accents ignored), newest incidents first.
pub fn search_lessons(incidents: &[Incident], query: &str) -> Vec<LessonHit> {
    let words: Vec<String> = fold(query).split_whitespace().map(str::to_string).collect();
    if words.is_empty() {
        return vec![];
    }
    let mut out = Vec::new();
    let mut sorted: Vec<&Incident> = incidents.iter().collect();
    sorted.sort_by_key(|i| std::cmp::Reverse(i.number));
    for i in sorted {
        let pm = &i.postmortem;
        let mut passages: Vec<(String, String)> = Vec::new();
        for (k, v) in &pm.texts {
            passages.push((k.as_str().to_string(), v.clone()));
        }
        for (k, items) in &pm.lists {
            if matches!(k, PmList::Participants) {
                continue;
            }
            for v in items {
                passages.push((k.as_str().to_string(), v.clone()));
            }
        }
        for r in &pm.root_causes {
            passages.push(("root-cause".into(), r.text.clone()));
            for w in &r.whys {
                passages.push(("root-cause".into(), w.clone()));
            }
            if !r.prevention.is_empty() {
                passages.push(("prevention".into(), r.prevention.clone()));
            }
        }
        for r in &i.recommendations {
            passages.push(("recommendation".into(), r.action.clone()));
        }
        for (section, text) in passages {
            let f = fold(&text);
            if words.iter().all(|w| f.contains(w.as_str())) {
                out.push(LessonHit {
                    number: i.number,
                    title: i.title.clone(),
                    section,
                    text,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::NewTimelineEntry;
    use crate::testkit::Journal;
    use crate::time::Timestamp;
    use crate::timeline::{Precision, TimelineSource};

    fn incident(
        title: &str,
        summary: &str,
        class: Option<(&str, &str)>,
        technique: Option<&str>,
    ) -> Incident {
        let mut j = Journal::new();
        j.push(
            j.state()
                .change_field(crate::event::Field::Title, title, "")
                .unwrap(),
        );
        if !summary.is_empty() {
            j.push(
                j.state()
                    .change_field(crate::event::Field::Summary, summary, "")
                    .unwrap(),
            );
        }
        if let Some((c, k)) = class {
            j.push(j.state().classify(c, k, "").unwrap());
        }
        if let Some(t) = technique {
            let e = j
                .state()
                .add_timeline(&NewTimelineEntry {
                    occurred_at: Timestamp::parse("2026-05-01T10:00:00Z").unwrap(),
                    precision: Precision::Minute,
                    description: "Initial access".into(),
                    source: TimelineSource::Log,
                    technique: Some(t.to_string()),
                    tactic: None,
                    observables: vec![],
                    assets: vec![],
                })
                .unwrap();
            j.push(e);
        }
        j.state()
    }

    /// A labelled set: for a phishing incident, the one sharing its domain, type and technique
    /// ranks first, then the same type, then the one only alike in words; the DDoS not at all.
    #[test]
    fn ranking_follows_the_labels() {
        let mut target = incident(
            "Phishing wave: credential theft",
            "Finance staff entered passwords on a fake portal",
            Some(("fraud", "phishing")),
            Some("T1566"),
        );
        target.number = 10;
        let mut a = incident(
            "Fake invoice mails",
            "",
            Some(("fraud", "phishing")),
            Some("T1566.001"),
        );
        a.number = 1;
        let mut b = incident("Spoofed CEO mail", "", Some(("fraud", "phishing")), None);
        b.number = 2;
        let mut c = incident(
            "Credential theft via fake portal",
            "",
            Some(("intrusions", "unprivileged-account-compromise")),
            None,
        );
        c.number = 3;
        let mut d = incident(
            "DDoS on the web shop",
            "",
            Some(("availability", "ddos")),
            None,
        );
        d.number = 4;
        let cands = vec![
            Candidate {
                incident: &d,
                shared_observables: vec![],
                text: 0.0,
            },
            Candidate {
                incident: &c,
                shared_observables: vec![],
                text: 0.75,
            },
            Candidate {
                incident: &b,
                shared_observables: vec![],
                text: 0.0,
            },
            Candidate {
                incident: &a,
                shared_observables: vec!["evil.example".into()],
                text: 0.0,
            },
            Candidate {
                incident: &target,
                shared_observables: vec![],
                text: 1.0,
            },
        ];
        let ranked = rank(&target, &cands, 10);
        let order: Vec<i64> = ranked.iter().map(|s| s.number).collect();
        assert_eq!(order, [1, 2, 3], "{ranked:?}");
        // 3 (observable) + 2 (class) + 2 (type); T1566.001 is not T1566.
        assert_eq!(ranked[0].score, 7.0);
        assert_eq!(
            ranked[0].reasons,
            ["observable:evil.example", "class", "type"]
        );
        assert_eq!(ranked[1].score, 4.0);
        assert_eq!(
            (ranked[2].score, ranked[2].reasons[0].as_str()),
            (3.0, "text:75%")
        );
        assert_eq!(
            search_words(&target, 5),
            ["phishing", "wave", "credential", "theft", "finance"]
        );
    }

    #[test]
    fn lessons_are_found_across_postmortems_ignoring_case_and_accents() {
        let mut j = Journal::new();
        let e = j
            .state()
            .set_postmortem_list(
                PmList::WentWrong,
                &["Le MFA n'était pas activé sur le VPN".into()],
            )
            .unwrap();
        j.push(e);
        let i = j.state();
        let hits = search_lessons(std::slice::from_ref(&i), "mfa etait");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].section, "went-wrong");
        assert!(search_lessons(std::slice::from_ref(&i), "firewall").is_empty());
        assert!(search_lessons(std::slice::from_ref(&i), "  ").is_empty());
    }
}
