//! OWASP SAMM's Incident Management practice: the model read from SAMM's own data (the
//! `model/` folder of owaspsamm/core — streams, activities, questions, answer sets; CC BY-SA,
//! not shipped in the binary), and the program facts gathered from the store that Debrief's
//! suggestions rest on.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use debrief_domain::samm::{Answer, Model, ProgramFacts, Question};
use debrief_domain::{Role, Timestamp};
use serde::Deserialize;

use crate::AppState;
use crate::error::ApiResult;

#[derive(Deserialize)]
struct Doc {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    letter: Option<String>,
    #[serde(default)]
    stream: Option<String>,
    #[serde(default)]
    level: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(rename = "shortDescription", default)]
    short: Option<String>,
    #[serde(default)]
    activity: Option<String>,
    #[serde(rename = "answerSet", default)]
    answer_set: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    quality: Vec<String>,
    #[serde(default)]
    values: Vec<AnswerDoc>,
    #[serde(rename = "maturityLevel", default)]
    maturity_level: Option<String>,
}

#[derive(Deserialize)]
struct AnswerDoc {
    text: String,
    value: f64,
}

fn read_dir(dir: &Path) -> Result<Vec<(String, Doc)>, String> {
    let mut out = Vec::new();
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for e in entries.flatten() {
        let path = e.path();
        if path.extension().and_then(|x| x.to_str()) != Some("yml") {
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let doc: Doc = yaml_serde::from_str(&text)
            .map_err(|e| format!("{}: not a SAMM document: {e}", path.display()))?;
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("")
            .to_string();
        out.push((stem, doc));
    }
    Ok(out)
}

/// Reads the Incident Management practice (`O-IM-*`) from a SAMM `model/` folder.
pub fn load(model: &Path) -> Result<Model, String> {
    let streams: BTreeMap<String, (String, String)> = read_dir(&model.join("streams"))?
        .into_iter()
        .filter(|(stem, _)| stem.starts_with("O-IM-"))
        .map(|(_, d)| {
            (
                d.id,
                (d.letter.unwrap_or_default(), d.name.unwrap_or_default()),
            )
        })
        .collect();
    // Practice level id → 1, 2, 3 (from the file name O-IM-N).
    let levels: BTreeMap<String, u8> = read_dir(&model.join("practice_levels"))?
        .into_iter()
        .filter_map(|(stem, d)| {
            let n = stem.strip_prefix("O-IM-")?.parse().ok()?;
            let _ = d.maturity_level;
            Some((d.id, n))
        })
        .collect();
    let activities: BTreeMap<String, Doc> = read_dir(&model.join("activities"))?
        .into_iter()
        .filter(|(stem, _)| stem.starts_with("O-IM-"))
        .map(|(_, d)| (d.id.clone(), d))
        .collect();
    let answer_sets: BTreeMap<String, Vec<Answer>> = read_dir(&model.join("answer_sets"))?
        .into_iter()
        .map(|(_, d)| {
            (
                d.id,
                d.values
                    .into_iter()
                    .map(|v| Answer {
                        text: v.text,
                        value: v.value,
                    })
                    .collect(),
            )
        })
        .collect();
    let mut questions = Vec::new();
    for (stem, q) in read_dir(&model.join("questions"))? {
        if !stem.starts_with("O-IM-") {
            continue;
        }
        let missing = |what: &str| format!("question {stem}: its {what} is not in the model");
        let activity = activities
            .get(q.activity.as_deref().unwrap_or(""))
            .ok_or_else(|| missing("activity"))?;
        let (letter, stream_name) = streams
            .get(activity.stream.as_deref().unwrap_or(""))
            .cloned()
            .ok_or_else(|| missing("stream"))?;
        let level = *levels
            .get(activity.level.as_deref().unwrap_or(""))
            .ok_or_else(|| missing("level"))?;
        let answers = answer_sets
            .get(q.answer_set.as_deref().unwrap_or(""))
            .cloned()
            .ok_or_else(|| missing("answer set"))?;
        questions.push(Question {
            id: q.id,
            stream: letter,
            stream_name,
            level,
            activity: activity.title.clone().unwrap_or_default(),
            activity_summary: activity.short.clone().unwrap_or_default(),
            text: q.text.unwrap_or_default(),
            quality: q.quality,
            answers,
        });
    }
    if questions.is_empty() {
        return Err(format!(
            "{} holds no Incident Management (O-IM) questions",
            model.display()
        ));
    }
    questions.sort_by(|a, b| (&a.stream, a.level).cmp(&(&b.stream, b.level)));
    Ok(Model {
        practice: "Incident Management".into(),
        questions,
    })
}

/// What the store says about the program, for the suggestions.
pub async fn program_facts(
    state: &AppState,
    caller: &debrief_app::Caller,
) -> ApiResult<ProgramFacts> {
    let now = Timestamp::now();
    let since = now.plus_seconds(-90 * 86_400);
    let facts = state.app.facts(caller).await?;
    let mut f = ProgramFacts {
        rules_active: state.detector.as_ref().map_or(0, |d| d.rules()),
        incidents: facts.len(),
        ..ProgramFacts::default()
    };
    let mut classes_seen = BTreeSet::new();
    for x in facts.iter() {
        if x.times.contains_key("acknowledged_at") {
            f.acknowledged += 1;
        }
        if let Some(c) = &x.class {
            f.classified += 1;
            classes_seen.insert(c.clone());
        }
        if x.playbooks > 0 {
            f.with_playbook += 1;
        }
        if x.root_causes > 0 {
            f.with_root_cause += 1;
        }
        if x.level.is_some_and(|l| l >= 3) {
            f.high_severity += 1;
            if x.root_causes > 0 {
                f.high_severity_with_root_cause += 1;
            }
        }
        if x.status == "closed" {
            f.closed += 1;
            if matches!(x.postmortem.as_deref(), Some("approved" | "published")) {
                f.reviewed += 1;
            }
        }
    }
    let mut covered = BTreeSet::new();
    for p in state.app.playbooks(caller).await? {
        if p.version > 1 {
            f.playbooks_revised += 1;
        }
        if let Ok(doc) = debrief_domain::playbook::parse_playbook(&p.body) {
            for a in doc.applies_to {
                covered.insert(a.split('/').next().unwrap_or("").to_string());
            }
        }
    }
    f.classes_seen = classes_seen.len();
    f.classes_with_playbook = classes_seen
        .iter()
        .filter(|c| covered.contains(*c) || covered.contains("*"))
        .count();
    // Alerts of the last 90 days, newest first, a page at a time (at most 20,000 looked at).
    let mut weeks = BTreeSet::new();
    let mut rules_hit = BTreeSet::new();
    'pages: for page in 0..40u32 {
        let alerts = state
            .app
            .alerts(
                caller,
                &debrief_store::alerts::AlertQuery {
                    statuses: vec![],
                    min_severity: None,
                    limit: 500,
                    offset: page * 500,
                    ..Default::default()
                },
            )
            .await?;
        let done = alerts.len() < 500;
        for a in alerts {
            if a.last_seen < since {
                break 'pages;
            }
            f.alerts_90_days += 1;
            weeks.insert(a.last_seen.seconds_since(since) / (7 * 86_400));
            // A Sigma detection's reference starts with its rule's id (detect::alert).
            if a.key.kind == "sigma"
                && let Some((rule, _)) = a.key.source_ref.split_once(':')
            {
                rules_hit.insert(rule.to_string());
            }
        }
        if done {
            break;
        }
    }
    f.alert_weeks_90_days = weeks.len().min(13);
    f.rules_hit_90_days = rules_hit.len();
    for u in state.store.list_users().await? {
        match (u.role, u.disabled) {
            (Role::Manager, false) => f.managers += 1,
            (Role::Handler, false) => f.handlers += 1,
            _ => {}
        }
    }
    for s in state.store.list_stakeholders().await? {
        use debrief_domain::stakeholder::StakeholderCategory as C;
        match s.category {
            C::Legal => f.legal_contacts += 1,
            C::Regulator | C::Csirt => f.regulator_contacts += 1,
            _ => {}
        }
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_shared_samm_model_loads() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/samm/model");
        if !dir.exists() {
            assert!(
                std::env::var("DEBRIEF_REQUIRE_SHARED").is_err(),
                "DEBRIEF_REQUIRE_SHARED is set but {} is missing",
                dir.display()
            );
            eprintln!("SAMM TEST NOT RUN: {} not found", dir.display());
            return;
        }
        let m = super::load(&dir).unwrap();
        assert_eq!(m.questions.len(), 6);
        let first = &m.questions[0];
        assert_eq!((first.stream.as_str(), first.level), ("A", 1));
        assert_eq!(first.stream_name, "Incident Detection");
        assert_eq!(
            first.text,
            "Do you analyze log data for security incidents periodically?"
        );
        assert_eq!(first.answers.len(), 4);
        assert_eq!(first.answers[3].value, 1.0);
        assert_eq!(
            m.questions[5].text,
            "Do you have a dedicated incident response team available?"
        );
    }
}
