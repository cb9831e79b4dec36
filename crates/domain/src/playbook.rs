//! Playbooks: Markdown procedures whose checklist items (`- [ ] …`) are the steps, with a short
//! header saying which incidents they are for (reference-taxonomy classes or `class/type`, and
//! a minimum severity level). Applying one to an incident creates a task per step; adherence is
//! read from those tasks. Versions are kept by the store; a new version can name the incident
//! whose lessons it carries.
//!
//! ```text
//! ---
//! slug: phishing
//! lang: en
//! applies-to: fraud/phishing, information-gathering/social-engineering
//! min-level: 1
//! ---
//! # Phishing
//! - [ ] Collect a sample of the message with full headers
//! ```

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::event::Event;
use crate::incident::Incident;
use crate::user::Language;
use crate::work::TaskStatus;

/// A playbook as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlaybookDoc {
    pub slug: String,
    pub lang: Language,
    pub title: String,
    /// `class` or `class/type` of the reference taxonomy; `*` for any.
    pub applies_to: Vec<String>,
    pub min_level: u8,
    pub steps: Vec<String>,
}

fn bad(problem: impl Into<String>) -> DomainError {
    DomainError::InvalidField {
        field: "playbook",
        problem: problem.into(),
    }
}

/// Reads a playbook's header, title and steps; every problem names the line.
pub fn parse_playbook(text: &str) -> Result<PlaybookDoc, DomainError> {
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, l)) if l.trim() == "---" => {}
        _ => {
            return Err(bad(
                "must start with a `---` header (slug, lang, applies-to, min-level)",
            ));
        }
    }
    let (mut slug, mut lang, mut applies, mut min_level) = (None, None, Vec::new(), 0u8);
    let mut closed = false;
    for (n, l) in lines.by_ref() {
        let l = l.trim();
        if l == "---" {
            closed = true;
            break;
        }
        let Some((k, v)) = l.split_once(':') else {
            return Err(bad(format!("line {}: write `key: value`", n + 1)));
        };
        let v = v.trim();
        match k.trim() {
            "slug" => {
                if v.is_empty()
                    || !v
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                {
                    return Err(bad(format!(
                        "line {}: the slug is lower-case letters, digits and dashes",
                        n + 1
                    )));
                }
                slug = Some(v.to_string());
            }
            "lang" => lang = Some(v.parse::<Language>()?),
            "applies-to" => {
                applies = v
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            }
            "min-level" => {
                min_level = v
                    .parse()
                    .ok()
                    .filter(|l| *l <= 5)
                    .ok_or_else(|| bad(format!("line {}: min-level is 0–5", n + 1)))?
            }
            other => return Err(bad(format!("line {}: unknown header `{other}`", n + 1))),
        }
    }
    if !closed {
        return Err(bad("the header is not closed with `---`"));
    }
    let mut title = None;
    let mut steps = Vec::new();
    for (_, l) in lines {
        let t = l.trim();
        if let Some(h) = t.strip_prefix("# ")
            && title.is_none()
        {
            title = Some(h.trim().to_string());
        } else if let Some(step) = t
            .strip_prefix("- [ ] ")
            .or_else(|| t.strip_prefix("- [x] "))
            .or_else(|| t.strip_prefix("* [ ] "))
        {
            let step = step.trim();
            if !step.is_empty() {
                steps.push(step.chars().take(180).collect());
            }
        }
    }
    let slug = slug.ok_or_else(|| bad("the header has no `slug`"))?;
    if steps.is_empty() {
        return Err(bad("no checklist step (`- [ ] …`)"));
    }
    Ok(PlaybookDoc {
        slug,
        lang: lang.ok_or_else(|| bad("the header has no `lang` (en or fr)"))?,
        title: title.ok_or_else(|| bad("no `# Title` line"))?,
        applies_to: applies,
        min_level,
        steps,
    })
}

impl PlaybookDoc {
    /// Whether it is for an incident of this classification and severity level.
    pub fn matches(&self, class: Option<&str>, kind: Option<&str>, level: Option<u8>) -> bool {
        let class_ok = self.applies_to.iter().any(|a| {
            a == "*"
                || match a.split_once('/') {
                    Some((c, t)) => class == Some(c) && kind == Some(t),
                    None => class == Some(a.as_str()),
                }
        });
        class_ok && level.unwrap_or(0) >= self.min_level
    }
}

/// One step of an applied playbook and the task it became.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedStep {
    pub text: String,
    pub task: u64,
}

/// A playbook applied to an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedPlaybook {
    pub slug: String,
    pub version: i64,
    pub title: String,
    pub steps: Vec<AppliedStep>,
    pub applied_by: String,
}

/// How closely an applied playbook was followed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Adherence {
    pub slug: String,
    pub version: i64,
    pub title: String,
    pub total: usize,
    pub done: usize,
    pub skipped: usize,
    pub open: usize,
    /// Done / total: a skipped step counts against adherence.
    pub rate: f64,
    /// Steps done, but only after the incident was recovered (or closed).
    pub late: usize,
    /// Each step with `done`, `late` (done after recovery), `skipped` (task cancelled) or `open`.
    pub steps: Vec<(String, &'static str)>,
}

impl Incident {
    /// The events that apply a playbook: a task per step, then the record of what was applied.
    pub fn apply_playbook(
        &self,
        doc: &PlaybookDoc,
        version: i64,
    ) -> Result<Vec<Event>, DomainError> {
        if self
            .playbooks
            .iter()
            .any(|p| p.slug == doc.slug && p.version == version)
        {
            return Err(DomainError::Unchanged(format!(
                "{} v{version} is already applied to #{}",
                doc.slug, self.number
            )));
        }
        let first = self.tasks.iter().map(|t| t.id).max().unwrap_or(0) + 1;
        let mut events = Vec::new();
        let mut steps = Vec::new();
        for (i, text) in doc.steps.iter().enumerate() {
            let id = first + i as u64;
            let title: String = format!("[{}] {text}", doc.slug).chars().take(200).collect();
            events.push(Event::TaskAdded {
                id,
                title,
                owner: None,
                due: None,
            });
            steps.push(AppliedStep {
                text: text.clone(),
                task: id,
            });
        }
        events.push(Event::PlaybookApplied {
            slug: doc.slug.clone(),
            version,
            title: doc.title.clone(),
            steps,
        });
        Ok(events)
    }

    /// Adherence to every playbook applied, from the state of its tasks. A step done after the
    /// incident was recovered (or closed) counts as done, and late.
    pub fn adherence(&self) -> Vec<Adherence> {
        let end = self
            .milestone(crate::event::Milestone::Recovered)
            .or(self.milestone(crate::event::Milestone::Closed));
        self.playbooks
            .iter()
            .map(|p| {
                let steps: Vec<(String, &'static str)> = p
                    .steps
                    .iter()
                    .map(|s| {
                        let task = self.tasks.iter().find(|t| t.id == s.task);
                        let state = match task.map(|t| (t.status, t.done_at)) {
                            Some((TaskStatus::Done, Some(at))) if end.is_some_and(|e| at > e) => {
                                "late"
                            }
                            Some((TaskStatus::Done, _)) => "done",
                            Some((TaskStatus::Cancelled, _)) => "skipped",
                            _ => "open",
                        };
                        (s.text.clone(), state)
                    })
                    .collect();
                let count = |w: &str| steps.iter().filter(|(_, s)| *s == w).count();
                let total = steps.len();
                let done = count("done") + count("late");
                Adherence {
                    slug: p.slug.clone(),
                    version: p.version,
                    title: p.title.clone(),
                    total,
                    done,
                    late: count("late"),
                    skipped: count("skipped"),
                    open: count("open"),
                    rate: if total == 0 {
                        0.0
                    } else {
                        done as f64 / total as f64
                    },
                    steps,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PHISHING: &str = "---\nslug: phishing\nlang: en\napplies-to: fraud/phishing, information-gathering/social-engineering\nmin-level: 1\n---\n# Phishing\n\nIntro text.\n\n- [ ] Collect the message with headers\n- [ ] Block the sender domain\n- [ ] Reset exposed passwords\n";

    #[test]
    fn a_playbook_is_read_and_matched() {
        let d = parse_playbook(PHISHING).unwrap();
        assert_eq!(
            (d.slug.as_str(), d.title.as_str(), d.steps.len()),
            ("phishing", "Phishing", 3)
        );
        assert!(d.matches(Some("fraud"), Some("phishing"), Some(2)));
        assert!(!d.matches(Some("fraud"), Some("masquerade"), Some(2)));
        assert!(
            !d.matches(Some("fraud"), Some("phishing"), Some(0)),
            "below min-level"
        );
        for (bad, says) in [
            ("# no header", "header"),
            ("---\nslug: Bad Slug\n---", "slug"),
            ("---\nslug: a\nlang: de\n---\n# T\n- [ ] s", "language"),
            ("---\nslug: a\nlang: en\n---\n# T\nno steps", "checklist"),
            ("---\nslug: a\nlang: en\nowner: x\n---", "unknown header"),
        ] {
            let e = parse_playbook(bad).unwrap_err().to_string();
            assert!(e.to_lowercase().contains(says), "{bad:?} → {e}");
        }
    }

    #[test]
    fn applying_creates_tasks_and_adherence_follows_them() {
        use crate::testkit::Journal;
        let mut j = Journal::new();
        let e = j.state().add_task("Call the bank", None, None).unwrap();
        j.push(e);
        let d = parse_playbook(PHISHING).unwrap();
        for e in j.state().apply_playbook(&d, 1).unwrap() {
            j.push(e);
        }
        assert!(j.state().apply_playbook(&d, 1).is_err(), "once per version");
        let s = j.state();
        assert_eq!(s.tasks.len(), 4);
        assert_eq!(s.playbooks[0].steps[0].task, 2, "after the existing task");
        let e = s
            .update_task(2, Some(TaskStatus::Done), None, None, None)
            .unwrap();
        j.push(e);
        let e = j
            .state()
            .update_task(3, Some(TaskStatus::Cancelled), None, None, None)
            .unwrap();
        j.push(e);
        let a = &j.state().adherence()[0];
        assert_eq!((a.total, a.done, a.skipped, a.open), (3, 1, 1, 1));
        assert_eq!(a.late, 0);
        assert!((a.rate - 1.0 / 3.0).abs() < 1e-9);
        assert_eq!(
            a.steps[1],
            ("Block the sender domain".to_string(), "skipped")
        );
    }
}
