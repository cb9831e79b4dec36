//! OWASP SAMM's Incident Management practice (O-IM) as Debrief uses it: the model's questions
//! (read from the SAMM data by the server), the answer Debrief suggests for each from evidence
//! in its own records, the confirmed answers and the scores they give, over time.
//!
//! Scoring follows SAMM: each answer has a value (0, 0.25, 0.5 or 1); a stream's score is the sum
//! of its three levels' values (0–3); the practice's score is the mean of its two streams.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// One possible answer of a question's answer set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    pub text: String,
    pub value: f64,
}

/// A SAMM question, with what it measures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    pub id: String,
    /// `A` (detection) or `B` (response).
    pub stream: String,
    pub stream_name: String,
    /// Maturity level, 1–3.
    pub level: u8,
    pub activity: String,
    pub activity_summary: String,
    pub text: String,
    /// The quality criteria a "yes" must meet.
    pub quality: Vec<String>,
    pub answers: Vec<Answer>,
}

/// The practice's model: its streams' questions, ordered by stream then level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub practice: String,
    pub questions: Vec<Question>,
}

/// What Debrief's records say about the program, the basis of the suggestions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProgramFacts {
    /// Sigma rules the server evaluates.
    pub rules_active: usize,
    /// Distinct Sigma rules whose detections reached the server as alerts in the last 90 days
    /// (hunts sent to it, the watch folder, posted events).
    pub rules_hit_90_days: usize,
    /// Alerts received in the last 90 days (from detections, integrations and people).
    pub alerts_90_days: usize,
    /// Distinct weeks with alerts in the last 90 days (of 13).
    pub alert_weeks_90_days: usize,
    pub incidents: usize,
    pub acknowledged: usize,
    pub classified: usize,
    pub with_playbook: usize,
    /// Classes incidents fell in, and those with a playbook.
    pub classes_seen: usize,
    pub classes_with_playbook: usize,
    pub high_severity: usize,
    pub high_severity_with_root_cause: usize,
    pub with_root_cause: usize,
    /// Closed incidents, and those whose postmortem was approved or published.
    pub closed: usize,
    pub reviewed: usize,
    /// Playbooks revised after their first version.
    pub playbooks_revised: usize,
    pub managers: usize,
    pub handlers: usize,
    /// Directory entries for legal and for regulators or CSIRTs.
    pub legal_contacts: usize,
    pub regulator_contacts: usize,
}

/// One piece of evidence: a message key and its figures (the page words it in the reader's
/// language).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    pub key: String,
    pub figures: BTreeMap<String, String>,
}

/// The answer Debrief suggests and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    /// Index in the question's answers.
    pub answer: usize,
    /// The share (0–1) the evidence supports.
    pub ratio: f64,
    pub evidence: Vec<Evidence>,
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        (part as f64 / whole as f64).min(1.0)
    }
}

fn pct(r: f64) -> String {
    format!("{:.0}", r * 100.0)
}

fn ev(key: &str, figures: &[(&str, String)]) -> Evidence {
    Evidence {
        key: key.to_string(),
        figures: figures
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    }
}

/// The answer whose value is nearest to `r` (the lower one on a tie).
pub fn nearest(answers: &[Answer], r: f64) -> usize {
    let mut best = 0;
    for (i, a) in answers.iter().enumerate() {
        if (a.value - r).abs() < (answers[best].value - r).abs() - 1e-9 {
            best = i;
        }
    }
    best
}

/// Debrief's suggestion for a question, from the program's facts.
pub fn suggest(q: &Question, f: &ProgramFacts) -> Suggestion {
    let (r, evidence) = match (q.stream.as_str(), q.level) {
        // Analysing log data for incidents periodically: rules running and alerts in most weeks.
        ("A", 1) => {
            let weeks = ratio(f.alert_weeks_90_days, 13);
            let rules = f.rules_active > 0 || f.rules_hit_90_days > 0;
            let r = if !rules && f.alerts_90_days == 0 {
                0.0
            } else {
                weeks.max(if rules { 0.25 } else { 0.0 })
            };
            (
                r,
                vec![
                    ev("samm-ev-rules", &[("n", f.rules_active.to_string())]),
                    ev(
                        "samm-ev-rules-hit",
                        &[("n", f.rules_hit_90_days.to_string())],
                    ),
                    ev(
                        "samm-ev-alerts",
                        &[
                            ("n", f.alerts_90_days.to_string()),
                            ("weeks", f.alert_weeks_90_days.to_string()),
                        ],
                    ),
                ],
            )
        }
        // Responding to detected incidents: incidents acknowledged.
        ("B", 1) => (
            ratio(f.acknowledged, f.incidents),
            vec![ev(
                "samm-ev-acknowledged",
                &[
                    ("n", f.acknowledged.to_string()),
                    ("total", f.incidents.to_string()),
                    ("pct", pct(ratio(f.acknowledged, f.incidents))),
                ],
            )],
        ),
        // A documented detection process: the agreed taxonomy used on the incidents.
        ("A", 2) => (
            ratio(f.classified, f.incidents),
            vec![ev(
                "samm-ev-classified",
                &[
                    ("n", f.classified.to_string()),
                    ("total", f.incidents.to_string()),
                    ("pct", pct(ratio(f.classified, f.incidents))),
                ],
            )],
        ),
        // A repeatable handling process per incident type: playbooks for the classes seen.
        ("B", 2) => (
            ratio(f.classes_with_playbook, f.classes_seen),
            vec![
                ev(
                    "samm-ev-playbook-classes",
                    &[
                        ("n", f.classes_with_playbook.to_string()),
                        ("total", f.classes_seen.to_string()),
                    ],
                ),
                ev(
                    "samm-ev-playbook-incidents",
                    &[
                        ("n", f.with_playbook.to_string()),
                        ("total", f.incidents.to_string()),
                    ],
                ),
            ],
        ),
        // Reviewing and updating detection regularly: postmortems reviewed, playbooks revised.
        ("A", 3) => {
            let r = ratio(f.reviewed, f.closed);
            let r = if f.playbooks_revised > 0 {
                r.max(0.25)
            } else {
                r
            };
            (
                r,
                vec![
                    ev(
                        "samm-ev-reviewed",
                        &[
                            ("n", f.reviewed.to_string()),
                            ("total", f.closed.to_string()),
                        ],
                    ),
                    ev(
                        "samm-ev-playbooks-revised",
                        &[("n", f.playbooks_revised.to_string())],
                    ),
                ],
            )
        }
        // A dedicated team: roles defined and root causes analysed for every incident.
        ("B", 3) => {
            let team = f.managers > 0 && f.handlers > 1;
            let rca = ratio(f.with_root_cause, f.incidents);
            let r = if team { rca } else { rca.min(0.25) };
            (
                r,
                vec![
                    ev(
                        "samm-ev-roles",
                        &[
                            ("managers", f.managers.to_string()),
                            ("handlers", f.handlers.to_string()),
                        ],
                    ),
                    ev(
                        "samm-ev-root-causes",
                        &[
                            ("n", f.with_root_cause.to_string()),
                            ("total", f.incidents.to_string()),
                            ("high", f.high_severity_with_root_cause.to_string()),
                            ("high_total", f.high_severity.to_string()),
                        ],
                    ),
                    ev(
                        "samm-ev-contacts",
                        &[
                            ("legal", f.legal_contacts.to_string()),
                            ("regulators", f.regulator_contacts.to_string()),
                        ],
                    ),
                ],
            )
        }
        _ => (0.0, vec![]),
    };
    Suggestion {
        answer: nearest(&q.answers, r),
        ratio: r,
        evidence,
    }
}

/// A confirmed answer, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Confirmed {
    pub question: String,
    pub answer: usize,
    pub value: f64,
    #[serde(default)]
    pub note: String,
    pub by: String,
    pub at: Timestamp,
}

/// Scores per stream (0–3) and for the practice (their mean).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scores {
    pub streams: BTreeMap<String, f64>,
    pub practice: f64,
    /// Questions not answered yet (they count as 0).
    pub unanswered: usize,
}

/// The scores the latest answer to each question gives.
pub fn scores(model: &Model, answers: &[Confirmed]) -> Scores {
    let mut latest: BTreeMap<&str, f64> = BTreeMap::new();
    for a in answers {
        latest.insert(a.question.as_str(), a.value);
    }
    let mut streams: BTreeMap<String, f64> = BTreeMap::new();
    let mut unanswered = 0;
    for q in &model.questions {
        let v = match latest.get(q.id.as_str()) {
            Some(v) => *v,
            None => {
                unanswered += 1;
                0.0
            }
        };
        *streams.entry(q.stream.clone()).or_default() += v;
    }
    let practice = if streams.is_empty() {
        0.0
    } else {
        streams.values().sum::<f64>() / streams.len() as f64
    };
    Scores {
        streams,
        practice: (practice * 1000.0).round() / 1000.0,
        unanswered,
    }
}

/// The practice's score after each confirmed answer, in time order.
pub fn history(model: &Model, answers: &[Confirmed]) -> Vec<(Timestamp, Scores)> {
    let mut sorted: Vec<&Confirmed> = answers.iter().collect();
    sorted.sort_by_key(|a| a.at);
    (1..=sorted.len())
        .map(|n| {
            let upto: Vec<Confirmed> = sorted[..n].iter().map(|a| (*a).clone()).collect();
            (sorted[n - 1].at, scores(model, &upto))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers() -> Vec<Answer> {
        [0.0, 0.25, 0.5, 1.0]
            .iter()
            .map(|v| Answer {
                text: format!("{v}"),
                value: *v,
            })
            .collect()
    }

    fn model() -> Model {
        let mut questions = Vec::new();
        for stream in ["A", "B"] {
            for level in 1..=3 {
                questions.push(Question {
                    id: format!("{stream}{level}"),
                    stream: stream.into(),
                    stream_name: String::new(),
                    level,
                    activity: String::new(),
                    activity_summary: String::new(),
                    text: String::new(),
                    quality: vec![],
                    answers: answers(),
                });
            }
        }
        Model {
            practice: "Incident Management".into(),
            questions,
        }
    }

    #[test]
    fn suggestions_follow_the_evidence() {
        let m = model();
        let q = |id: &str| m.questions.iter().find(|q| q.id == id).unwrap().clone();
        let facts = ProgramFacts {
            rules_active: 2400,
            alerts_90_days: 500,
            alert_weeks_90_days: 13,
            incidents: 10,
            acknowledged: 10,
            classified: 6,
            classes_seen: 4,
            classes_with_playbook: 1,
            with_playbook: 3,
            managers: 1,
            handlers: 3,
            with_root_cause: 2,
            ..ProgramFacts::default()
        };
        // Rules and alerts every week: "most or all".
        assert_eq!(suggest(&q("A1"), &facts).answer, 3);
        assert_eq!(suggest(&q("B1"), &facts).answer, 3);
        // 60 % classified → nearest 0.5.
        assert_eq!(suggest(&q("A2"), &facts).answer, 2);
        // A playbook for 1 of 4 classes → 0.25.
        assert_eq!(suggest(&q("B2"), &facts).answer, 1);
        // Nothing reviewed, nothing revised → no.
        assert_eq!(suggest(&q("A3"), &facts).answer, 0);
        // A team, root causes for 2 of 10 → 0.25.
        let s = suggest(&q("B3"), &facts);
        assert_eq!(s.answer, 1);
        assert_eq!(s.evidence[0].figures["handlers"], "3");
        // No rules in the server, but a hunt sent 468 alerts of 12 rules in one week: at least
        // "some", not "no".
        let hunted = ProgramFacts {
            rules_hit_90_days: 12,
            alerts_90_days: 468,
            alert_weeks_90_days: 1,
            ..ProgramFacts::default()
        };
        let s = suggest(&q("A1"), &hunted);
        assert_eq!(s.answer, 1);
        assert_eq!(s.evidence[1].figures["n"], "12");
        // An empty installation: all "no".
        let empty = ProgramFacts::default();
        assert!(m.questions.iter().all(|x| suggest(x, &empty).answer == 0));
    }

    #[test]
    fn scores_sum_levels_per_stream_and_average_streams() {
        let m = model();
        let at = |s: &str| Timestamp::parse(s).unwrap();
        let confirm = |q: &str, v: f64, t: &str| Confirmed {
            question: q.into(),
            answer: 0,
            value: v,
            note: String::new(),
            by: "maria".into(),
            at: at(t),
        };
        let answers = vec![
            confirm("A1", 1.0, "2026-01-10T00:00:00Z"),
            confirm("A2", 0.5, "2026-01-10T00:00:00Z"),
            confirm("B1", 0.25, "2026-01-10T00:00:00Z"),
            // Re-assessed later: the latest counts.
            confirm("B1", 1.0, "2026-06-10T00:00:00Z"),
        ];
        let s = scores(&m, &answers);
        assert_eq!(s.streams["A"], 1.5);
        assert_eq!(s.streams["B"], 1.0);
        assert_eq!(s.practice, 1.25);
        assert_eq!(s.unanswered, 3);
        let h = history(&m, &answers);
        assert_eq!(h.len(), 4);
        assert_eq!(h[2].1.practice, 0.875);
        assert_eq!(h[3].1.practice, 1.25);
        assert_eq!(nearest(&answers_list(), 0.3), 1);
        assert_eq!(nearest(&answers_list(), 0.8), 3);
        assert_eq!(nearest(&answers_list(), 0.75), 2);
    }

    fn answers_list() -> Vec<Answer> {
        answers()
    }
}
