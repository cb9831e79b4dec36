//! What a report's templates see: the incident snapshot turned into labelled, formatted values
//! in the reader's language (dates, amounts, durations), section by section.

use std::collections::BTreeMap;

use debrief_domain::effectiveness::Measure;
use debrief_domain::obligation::{Due, Obligation, ObligationState};
use debrief_domain::postmortem::{CostKind, PmList, PmText, RecommendationKind};
use debrief_domain::{Incident, JournalEntry, Language, Milestone, Timestamp};
use serde_json::{Value, json};

/// Everything a report is rendered from.
#[derive(Debug, Clone)]
pub struct Snapshot<'a> {
    pub incident: &'a Incident,
    pub journal: &'a [JournalEntry],
    pub obligations: Vec<Obligation>,
    pub effectiveness: Vec<Measure>,
    pub generated_at: Timestamp,
    /// The zone the document shows its times in (and says so).
    pub zone: debrief_domain::Zone,
}

fn all_labels() -> &'static BTreeMap<String, BTreeMap<String, String>> {
    static ALL: std::sync::OnceLock<BTreeMap<String, BTreeMap<String, String>>> =
        std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        serde_json::from_str(include_str!("../data/labels.json")).unwrap_or_default()
    })
}

/// The labels of a language.
pub fn labels(lang: Language) -> BTreeMap<String, String> {
    all_labels().get(lang.as_str()).cloned().unwrap_or_default()
}

/// One label of a language (`step_early-warning` → "early warning"), if there is one.
pub fn label(lang: Language, key: &str) -> Option<&'static str> {
    all_labels()
        .get(lang.as_str())
        .and_then(|l| l.get(key))
        .map(String::as_str)
}

/// A time as the reader writes it, in the document's zone: `2026-11-20 09:00 UTC`,
/// `2026-11-28 02:14 +01:00` or `28/11/2026 02:14 +01:00`.
pub fn date(t: Timestamp, lang: Language, zone: &debrief_domain::Zone) -> String {
    // `YYYY-MM-DD HH:MM ZONE`, the zone being `UTC` or an offset.
    let s = zone.show(t);
    let (y, m, d, rest) = (&s[0..4], &s[5..7], &s[8..10], &s[11..]);
    match lang {
        Language::Fr => format!("{d}/{m}/{y} {rest}"),
        _ => s.clone(),
    }
}

/// A day as the reader writes it, in the document's zone: `2026-11-20` or `20/11/2026`.
pub fn day(t: Timestamp, lang: Language, zone: &debrief_domain::Zone) -> String {
    let s = zone.show_date(t);
    match lang {
        Language::Fr => format!("{}/{}/{}", &s[8..10], &s[5..7], &s[0..4]),
        _ => s,
    }
}

/// An amount in minor units: `10,500.00 EUR` or `10 500,00 EUR`.
pub fn money(minor: i64, currency: &str, lang: Language) -> String {
    format!(
        "{} {currency}",
        debrief_domain::locale::number(minor as f64 / 100.0, 2, lang)
    )
}

/// Hours with one decimal, as the reader writes them: `6.5 h`, `6,5 h`.
pub fn hours(seconds: f64, lang: Language) -> String {
    format!(
        "{} h",
        debrief_domain::locale::number(seconds / 3600.0, 1, lang)
    )
}

/// A value in the reader's language through its label `{prefix}{value}`
/// (`action_containment` → "confinement"), or the value as is when it has none.
pub fn term(labels: &BTreeMap<String, String>, prefix: &str, value: &str) -> String {
    labels
        .get(&format!("{prefix}{value}"))
        .cloned()
        .unwrap_or_else(|| value.to_string())
}

/// A severity level with its name: `3 (high)`, `3 (élevé)`.
pub fn severity(level: u8, labels: &BTreeMap<String, String>) -> String {
    format!(
        "{level} ({})",
        term(labels, "level_", &level.min(5).to_string())
    )
}

/// `26 h 00 min`, `40 min`, `3 d 4 h` (`j` in French).
pub fn span(seconds: i64, lang: Language) -> String {
    let s = seconds.max(0);
    let day = if lang == Language::Fr { "j" } else { "d" };
    match s {
        0..=3599 => format!("{} min", s / 60),
        3600..=172_799 => format!("{} h {:02} min", s / 3600, (s % 3600) / 60),
        _ => format!("{} {day} {} h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// An open item of the review as a reader is told it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GapSaid {
    /// The question the record cannot answer yet.
    pub question: String,
    /// What to fill in.
    pub fill: String,
    /// What precisely is missing: key dates and regulators' items by their names, open steps
    /// counted, questions and causes as written.
    pub missing: Vec<String>,
}

/// An open item of the review in `lang`: the one wording of the pages, the API and the reports.
pub fn gap_said(g: &debrief_domain::postmortem::Gap, lang: Language) -> GapSaid {
    let l = labels(lang);
    let lab = |k: &str| l.get(k).cloned().unwrap_or_else(|| k.to_string());
    GapSaid {
        question: lab(&format!("ready_{}", g.item)),
        fill: lab(&format!("ready_{}_fill", g.item)),
        missing: g
            .missing
            .iter()
            .map(|m| match g.item {
                debrief_domain::postmortem::ReadinessItem::Playbooks => {
                    lab("steps_not_done_count").replace("{n}", m)
                }
                _ => lab(m),
            })
            .collect(),
    }
}

/// The template context of a snapshot in a language.
pub fn context(snap: &Snapshot<'_>, lang: Language) -> Value {
    let i = snap.incident;
    let l = labels(lang);
    let lab = |k: &str| l.get(k).cloned().unwrap_or_else(|| k.to_string());
    let tr = |prefix: &str, v: &str| term(&l, prefix, v);
    let d = |t: Timestamp| date(t, lang, &snap.zone);
    // A due date is a day: the hour it was typed at means nothing to the reader.
    let due = |t: Timestamp| day(t, lang, &snap.zone);
    let pm = &i.postmortem;
    let text = |t: PmText| pm.texts.get(&t).cloned().unwrap_or_default();
    let list = |x: PmList| pm.lists.get(&x).cloned().unwrap_or_default();
    let key_dates: Vec<Value> = Milestone::ALL
        .iter()
        .filter_map(|m| {
            i.milestone(*m)
                .map(|t| json!({"name": lab(m.as_str()), "at": d(t)}))
        })
        .collect();
    let mut net: BTreeMap<String, i64> = BTreeMap::new();
    let costs: Vec<Value> = pm
        .impact
        .costs
        .iter()
        .map(|c| {
            let signed = if c.kind == CostKind::Recovered {
                -c.amount_minor
            } else {
                c.amount_minor
            };
            *net.entry(c.currency.clone()).or_default() += signed;
            json!({"kind": lab(c.kind.as_str()), "amount": money(c.amount_minor, &c.currency, lang), "description": c.description})
        })
        .collect();
    let net: Vec<String> = net.iter().map(|(cur, v)| money(*v, cur, lang)).collect();
    let measures: Vec<Value> = snap
        .effectiveness
        .iter()
        .map(|m| {
            json!({
                "name": lab(m.name),
                "measured": m.seconds.map(|s| span(s, lang)).unwrap_or_else(|| format!("{} ({})", lab("missing"), m.missing.iter().map(|k| lab(k)).collect::<Vec<_>>().join(", "))),
                "target": m.target_seconds.map(|s| span(s, lang)).unwrap_or_else(|| "—".into()),
                "met": match m.met { Some(true) => lab("yes"), Some(false) => lab("no"), None => "—".into() },
            })
        })
        .collect();
    // Each playbook: steps done (on time or late), skipped and open, and the steps not done on time.
    let playbooks: Vec<Value> = i
        .adherence()
        .iter()
        .map(|a| {
            json!({
                "title": a.title, "version": a.version, "done": a.done, "total": a.total,
                "late": a.late, "skipped": a.skipped, "open": a.open,
                "not_on_time": a.steps.iter().filter(|(_, s)| *s != "done")
                    .map(|(text, s)| json!({"text": text, "state": lab(&format!("step_state_{s}"))}))
                    .collect::<Vec<_>>(),
            })
        })
        .collect();
    // The executive summary: the postmortem's, or the first alert's text, said to be that.
    let summary = text(PmText::Summary);
    let executive = if summary.trim().is_empty() {
        json!({"text": i.summary, "from_alert": true})
    } else {
        json!({"text": summary, "from_alert": false})
    };
    // The recommendations that matter most: still to do, highest priority first.
    let mut top: Vec<&debrief_domain::postmortem::Recommendation> = i
        .recommendations
        .iter()
        .filter(|r| {
            !matches!(
                r.status,
                debrief_domain::postmortem::RecommendationStatus::Rejected
            )
        })
        .collect();
    top.sort_by_key(|r| (std::cmp::Reverse(r.priority.score()), r.due));
    let top: Vec<Value> = top
        .iter()
        .take(3)
        .map(|r| json!({"action": r.action, "owner": r.owner, "due": day(r.due, lang, &snap.zone)}))
        .collect();
    // Measurable results: actions by kind, time per phase.
    let by_kind: Vec<Value> = debrief_domain::work::ActionKind::ALL
        .iter()
        .map(|k| (k, i.actions.iter().filter(|a| a.kind == *k).count()))
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| json!({"kind": tr("action_", k.as_str()), "count": n}))
        .collect();
    let per_phase: Vec<Value> = phases(i)
        .iter()
        .map(|(key, _, len)| json!({"phase": lab(key), "length": span(*len, lang)}))
        .collect();
    // What the record cannot answer yet (whatever the installation requires for approval).
    let open_items: Vec<GapSaid> = i
        .readiness(&debrief_domain::postmortem::ReviewPolicy::none())
        .iter()
        .map(|g| gap_said(g, lang))
        .collect();
    let obligations: Vec<Value> = snap
        .obligations
        .iter()
        .map(|o| {
            json!({
                "name": if lang == Language::Fr { &o.name.fr } else { &o.name.en },
                "step": tr("step_", &o.step),
                "due": match o.due { Due::At { at } => d(at), _ => "—".into() },
                "state": tr("state_", &state_id(o.state)),
                "late_reason": o.late_reason,
            })
        })
        .collect();
    // Labour per person (hours, one decimal, in the reader's notation) and what is to acquire.
    let mut labour: BTreeMap<&str, u64> = BTreeMap::new();
    for t in &i.time {
        *labour.entry(t.user.as_str()).or_default() += u64::from(t.minutes);
    }
    let hours = |minutes: u64| hours(minutes as f64 * 60.0, lang);
    // Hours per person and phase: each entry in the phase of the day it was logged for.
    let by_phase = labour_by_phase(i);
    let per_person_phase: Vec<Value> = by_phase
        .iter()
        .map(|(who, m)| {
            json!({"who": who, "phases": m.iter().map(|m| if *m == 0 { "—".to_string() } else { hours(*m) }).collect::<Vec<_>>(),
                "total": hours(m.iter().sum())})
        })
        .collect();
    let resources = json!({
        "labour": labour.iter().map(|(who, m)| json!({"who": who, "hours": hours(*m)})).collect::<Vec<_>>(),
        "total": hours(labour.values().sum()),
        "by_phase": per_person_phase,
        "phase_names": LABOUR_PHASES.iter().map(|k| lab(k)).collect::<Vec<_>>(),
        "needed": i.recommendations.iter()
            .filter(|r| matches!(r.kind, RecommendationKind::Tooling | RecommendationKind::Training))
            .map(|r| json!({"action": r.action, "kind": tr("kind_", r.kind.as_str()), "owner": r.owner, "due": due(r.due), "status": tr("rec_", r.status.as_str())}))
            .collect::<Vec<_>>(),
    });
    // The review meeting and the participants' input (anonymous ones without a name).
    let meeting = pm.held.as_ref().map(|h| {
        json!({
            "at": d(h.at), "attendees": h.attendees.join(", "), "absent": h.absent.join(", "),
            "decisions": h.decisions, "recorded_by": h.recorded_by,
        })
    });
    let inputs: Vec<Value> = pm
        .inputs
        .iter()
        .map(|x| {
            let answers: Vec<Value> = x
                .answers
                .iter()
                .map(|(q, a)| json!({"question": tr("q_", q.as_str()), "answer": a}))
                .collect();
            json!({
                "by": x.by.clone().unwrap_or_else(|| lab("anonymous")), "at": d(x.at),
                "answers": answers,
            })
        })
        .collect();
    json!({
        "lang": lang.as_str(),
        "executive": executive,
        "top_recommendations": top,
        "measurable": {"by_kind": by_kind, "per_phase": per_phase},
        "open_items": open_items,
        "l": l,
        "resources": resources,
        "generated": d(snap.generated_at),
        "zone": snap.zone.name(),
        "incident": {
            "number": i.number,
            "title": i.title,
            "summary": i.summary,
            "status": lab(&format!("status_{}", i.status.as_str())),
            "tlp": i.tlp.as_str().to_uppercase(),
            // With the sub-types teams name (ransomware, BEC, insider) after the RSIT pair.
            "classification": i.classification.as_ref().map(|c| {
                let (class, kind) = c.labels(lang);
                let subs: Vec<String> = debrief_domain::taxonomy::subtypes_of(&i.tags)
                    .iter()
                    .map(|s| s.name(lang))
                    .collect();
                if subs.is_empty() {
                    format!("{class} / {kind}")
                } else {
                    format!("{class} / {kind} — {}", subs.join(", "))
                }
            }),
            "severity": i.severity.as_ref().map(|s| severity(s.level, &l)),
            "key_dates": key_dates,
            "scope": {
                "business_units": i.scope.business_units,
                "sites": i.scope.sites,
                "systems": i.scope.systems,
            },
            "assets": i.assets.iter().map(|a| json!({"name": a.name, "kind": a.kind, "compromise": tr("compromise_", a.compromise.as_str())})).collect::<Vec<_>>(),
        },
        "impact": {
            "downtime": pm.impact.downtime_minutes.map(|m| span(i64::try_from(m).unwrap_or(0) * 60, lang)),
            // Counts as the reader writes them: `12,000`, `12 000`.
            "users": pm.impact.users_affected.map(|n| debrief_domain::locale::number(n as f64, 0, lang)),
            "records": pm.impact.records.iter().map(|r| json!({"category": r.category, "count": debrief_domain::locale::number(r.count as f64, 0, lang)})).collect::<Vec<_>>(),
            "costs": costs,
            "net": net,
            // The backup and recovery evaluation, and what the postmortem says of the recovery.
            "backups": match pm.impact.backups_worked {
                Some(true) => lab("backups_worked"),
                Some(false) => lab("backups_failed"),
                None => lab("backups_unknown"),
            },
            "recovery": pm.texts.get(&debrief_domain::postmortem::PmText::Recovery).cloned().unwrap_or_default(),
        },
        "timeline": i.timeline.iter().map(|t| json!({
            "at": d(t.occurred_at),
            "technique": t.technique.as_ref().map(|x| x.as_str().to_string()),
            "description": t.description,
        })).collect::<Vec<_>>(),
        "measures": measures,
        "playbooks": playbooks,
        "info_requests": i.info_requests.iter().map(|r| json!({
            "to": r.to, "question": r.question, "asked": d(r.asked_at),
            "answered": r.answered_at.map(d), "answer": r.answer,
            "after": r.answered_at.map(|a| span(a.seconds_since(r.asked_at), lang)),
        })).collect::<Vec<_>>(),
        "actions": i.actions.iter().map(|a| json!({
            "at": d(a.at), "kind": tr("action_", a.kind.as_str()), "description": a.description, "by": a.by, "outcome": a.outcome,
        })).collect::<Vec<_>>(),
        "root_causes": pm.root_causes.iter().map(|r| json!({
            "category": tr("cause_", r.category.as_str()), "text": r.text, "whys": r.whys,
            "preventable": r.preventable.map(|p| if p { lab("yes") } else { lab("no") }),
            "prevention": r.prevention,
        })).collect::<Vec<_>>(),
        "recommendations": i.recommendations.iter().map(|r| json!({
            "action": r.action, "kind": tr("kind_", r.kind.as_str()), "owner": r.owner, "due": due(r.due), "status": tr("rec_", r.status.as_str()),
        })).collect::<Vec<_>>(),
        "notifications": i.notifications.iter().map(|n| json!({
            "at": d(n.delivered_at.unwrap_or(n.sent_at)),
            "recipients": n.recipients.join(", "),
            "channel": tr("channel_", &n.channel),
            "summary": n.summary,
            "obligation": n.regime.as_ref().map(|r| {
                // The regime's name where the incident has its obligations, else its id.
                let name = snap.obligations.iter().find(|o| &o.regime == r).map_or_else(
                    || r.clone(),
                    |o| if lang == Language::Fr { o.name.fr.clone() } else { o.name.en.clone() },
                );
                format!("{name} — {}", tr("step_", n.step.as_deref().unwrap_or_default()))
            }),
            "delivered": if n.delivered() { lab("delivered") } else { lab("not_delivered") },
        })).collect::<Vec<_>>(),
        "obligations": obligations,
        "evidence": i.evidence.iter().map(|e| json!({
            "name": e.name, "sha256": e.sha256, "size": e.size,
            "collected": format!("{} · {} · {}", d(e.collected_at), e.collected_by, e.collected_from),
            "custody": e.custody.iter().map(|c| {
                let link = format!("{} · {} · {} → {}", d(c.at), tr("custody_", c.action.as_str()), c.from, c.to);
                if c.location.is_empty() { link } else { format!("{link} · {}", c.location) }
            }).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "postmortem": {
            "summary": text(PmText::Summary),
            "trigger": text(PmText::Trigger),
            "detection": text(PmText::Detection),
            "resolution": text(PmText::Resolution),
            "recovery": text(PmText::Recovery),
            "reputation": text(PmText::Reputation),
            "went_well": list(PmList::WentWell),
            "went_wrong": list(PmList::WentWrong),
            "lucky": list(PmList::Lucky),
            "contributing_factors": list(PmList::ContributingFactors),
            "participants": pm.participants(),
            "status": pm.status.map(|s| tr("pm_", s.as_str())),
            "approved_by": pm.approved_by,
            "approved_version": pm.approved_version,
            "meeting": meeting,
            "meeting_planned": pm.review_at.map(d),
            "inputs": inputs,
        },
        "journal": snap.journal.iter().map(|e| {
            let said = crate::journal::describe(lang, &snap.zone, e);
            json!({
                "seq": e.seq, "at": d(e.recorded_at), "kind": e.kind,
                "actor": if e.author_hidden() { lab("anonymous") } else { e.actor.to_string() },
                "what": said.what, "why": said.why, "hash": e.hash.to_hex(),
            })
        }).collect::<Vec<_>>(),
        "head": snap.journal.last().map(|e| e.hash.to_hex()),
        "phases": phases(i),
    })
}

/// An obligation state's id (`met-late`), as in the API.
pub fn state_id(state: ObligationState) -> String {
    serde_json::to_value(state)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The columns of the hours per person and phase.
const LABOUR_PHASES: [&str; 3] = [
    "labour_until_containment",
    "labour_until_recovery",
    "labour_after_recovery",
];

/// Minutes logged per person in each of `LABOUR_PHASES`: an entry belongs to the phase of the
/// day it was logged for (until containment, until recovery, after recovery); a key timestamp
/// not set yet leaves the phase open.
pub(crate) fn labour_by_phase(i: &Incident) -> BTreeMap<String, [u64; 3]> {
    let contained = i.milestone(Milestone::Contained);
    let recovered = i.milestone(Milestone::Recovered);
    let mut out: BTreeMap<String, [u64; 3]> = BTreeMap::new();
    for t in &i.time {
        let phase = if contained.is_none_or(|c| t.day < c) {
            0
        } else if recovered.is_none_or(|r| t.day < r) {
            1
        } else {
            2
        };
        out.entry(t.user.clone()).or_default()[phase] += u64::from(t.minutes);
    }
    out
}

/// The incident's phases (start, length in seconds) from its key timestamps, for the chart.
pub(crate) fn phases(i: &Incident) -> Vec<(String, i64, i64)> {
    let at = |m| i.milestone(m);
    let mut out = Vec::new();
    let origin = at(Milestone::Started).or(at(Milestone::Detected));
    let Some(origin) = origin else { return out };
    let mut add = |key: &str, a: Option<Timestamp>, b: Option<Timestamp>| {
        if let (Some(a), Some(b)) = (a, b)
            && b >= a
        {
            out.push((key.to_string(), a.seconds_since(origin), b.seconds_since(a)));
        }
    };
    add(
        "phase_undetected",
        at(Milestone::Started),
        at(Milestone::Detected),
    );
    add(
        "phase_containment",
        at(Milestone::Detected),
        at(Milestone::Contained),
    );
    add(
        "phase_recovery",
        at(Milestone::Contained),
        at(Milestone::Recovered),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_dates_follow_the_language() {
        let t = Timestamp::parse("2026-11-20T09:05:00Z").unwrap();
        let utc = debrief_domain::Zone::utc();
        assert_eq!(date(t, Language::En, &utc), "2026-11-20 09:05 UTC");
        assert_eq!(date(t, Language::Fr, &utc), "20/11/2026 09:05 UTC");
        let paris = debrief_domain::Zone::parse("Europe/Paris").unwrap();
        assert_eq!(date(t, Language::En, &paris), "2026-11-20 10:05 +01:00");
        assert_eq!(date(t, Language::Fr, &paris), "20/11/2026 10:05 +01:00");
        assert_eq!(money(1_050_000, "EUR", Language::En), "10,500.00 EUR");
        assert_eq!(
            money(1_050_000, "EUR", Language::Fr),
            "10\u{202f}500,00 EUR"
        );
        assert_eq!(money(-5, "USD", Language::En), "-0.05 USD");
        assert_eq!(span(26 * 3600, Language::En), "26 h 00 min");
        assert_eq!(span(3 * 86_400 + 4 * 3600, Language::Fr), "3 j 4 h");
        assert_eq!(
            labels(Language::Fr)["journal"],
            "Annexe : le journal de l’incident"
        );
    }

    #[test]
    fn every_label_is_in_both_languages_and_every_value_has_one() {
        use debrief_domain::evidence::CustodyAction;
        use debrief_domain::postmortem::{CauseCategory, PostmortemStatus, RecommendationStatus};
        use debrief_domain::work::{ActionKind, Compromise};
        let (en, fr) = (labels(Language::En), labels(Language::Fr));
        assert_eq!(en.keys().collect::<Vec<_>>(), fr.keys().collect::<Vec<_>>());
        let mut wanted: Vec<String> = Vec::new();
        wanted.extend(
            ActionKind::ALL
                .iter()
                .map(|v| format!("action_{}", v.as_str())),
        );
        wanted.extend(
            CustodyAction::ALL
                .iter()
                .map(|v| format!("custody_{}", v.as_str())),
        );
        wanted.extend(
            CauseCategory::ALL
                .iter()
                .map(|v| format!("cause_{}", v.as_str())),
        );
        wanted.extend(
            RecommendationStatus::ALL
                .iter()
                .map(|v| format!("rec_{}", v.as_str())),
        );
        wanted.extend(
            RecommendationKind::ALL
                .iter()
                .map(|v| format!("kind_{}", v.as_str())),
        );
        wanted.extend(
            PostmortemStatus::ALL
                .iter()
                .map(|v| format!("pm_{}", v.as_str())),
        );
        wanted.extend(
            Compromise::ALL
                .iter()
                .map(|v| format!("compromise_{}", v.as_str())),
        );
        wanted.extend((0..=5).map(|n| format!("level_{n}")));
        for item in debrief_domain::postmortem::ReadinessItem::ALL {
            wanted.push(format!("ready_{item}"));
            wanted.push(format!("ready_{item}_fill"));
        }
        wanted.extend(
            debrief_domain::obligation::CHANNELS
                .iter()
                .map(|c| format!("channel_{c}")),
        );
        for r in &debrief_domain::obligation::Regimes::builtin().regimes {
            wanted.extend(r.steps.iter().map(|s| format!("step_{}", s.id)));
        }
        for state in ["pending", "due-soon", "overdue", "met", "met-late"] {
            wanted.push(format!("state_{state}"));
        }
        let missing: Vec<&String> = wanted.iter().filter(|k| !en.contains_key(*k)).collect();
        assert!(missing.is_empty(), "no label for {missing:?}");
    }
}
