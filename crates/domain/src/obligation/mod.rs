//! Regulatory notification clocks: the regimes are data (`data/regimes.json`, extendable), and
//! this module computes, for one incident, which apply (from its flags), when each step is due
//! (from the right start — awareness, classification as major, the materiality determination,
//! or an earlier step's submission — in hours, calendar days, months, or business days in a
//! time zone with its holidays), and where each stands (pending, due soon, overdue, met, met late).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use jiff::ToSpan;
use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::time::Timestamp;

mod facts;
mod incident;
pub use facts::RegulatoryFacts;
pub use incident::{CHANNELS, FLAGS, NotificationRecord, Obligation};

/// A text in English and French.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bilingual {
    pub en: String,
    pub fr: String,
}

impl Bilingual {
    /// The text in `lang`.
    pub fn get(&self, lang: crate::user::Language) -> &str {
        match lang {
            crate::user::Language::En => &self.en,
            crate::user::Language::Fr => &self.fr,
        }
    }
}

/// When a step's clock starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockStart {
    Aware,
    ClassifiedMajor,
    MaterialityDetermined,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bound {
    pub start: String,
    #[serde(default)]
    pub hours: Option<i64>,
}

/// One step of a regime and its deadline rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub id: String,
    /// `aware`, `classified_major`, `materiality_determined`, or `after:STEP`.
    pub start: String,
    #[serde(default)]
    pub hours: Option<i64>,
    #[serde(default)]
    pub days: Option<i64>,
    #[serde(default)]
    pub months: Option<i64>,
    #[serde(default)]
    pub business_days: Option<i64>,
    /// The zone business days and months are counted in (UTC when absent).
    #[serde(default)]
    pub time_zone: Option<String>,
    /// For business days: the deadline's local time on the last day (`17:30`; end of day when absent).
    #[serde(default)]
    pub end_of_day: Option<String>,
    /// For business days: the holiday calendar skipped.
    #[serde(default)]
    pub holidays: Option<String>,
    /// An earlier limit from another start (DORA: 4 h after classification, but at most 24 h
    /// after awareness).
    #[serde(default)]
    pub no_later_than: Option<Bound>,
    /// No fixed deadline: "without undue delay".
    #[serde(default)]
    pub without_undue_delay: bool,
    /// The draft document the reports render for this step (`gdpr-33`, `nis2-early-warning`…).
    #[serde(default)]
    pub draft: Option<String>,
}

/// A regulatory regime.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Regime {
    pub id: String,
    pub name: Bilingual,
    pub recipient: Bilingual,
    /// The incident flags that make it apply (all of them).
    pub applies_when: Vec<String>,
    pub steps: Vec<Step>,
}

/// The table of regimes and holiday calendars.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Regimes {
    pub regimes: Vec<Regime>,
    #[serde(default)]
    pub holidays: BTreeMap<String, Vec<String>>,
}

impl Regimes {
    /// The table shipped with Debrief.
    pub fn builtin() -> &'static Regimes {
        static R: OnceLock<Regimes> = OnceLock::new();
        R.get_or_init(|| {
            Regimes::from_json(include_str!("../../data/regimes.json")).unwrap_or_default()
        })
    }

    /// Reads a table (the shipped one, or an administrator's extension of it).
    pub fn from_json(text: &str) -> Result<Regimes, DomainError> {
        let mut raw: serde_json::Value =
            serde_json::from_str(text).map_err(|e| DomainError::InvalidField {
                field: "regimes",
                problem: e.to_string(),
            })?;
        if let Some(o) = raw.as_object_mut() {
            o.remove("_comment");
        }
        let r: Regimes = serde_json::from_value(raw).map_err(|e| DomainError::InvalidField {
            field: "regimes",
            problem: e.to_string(),
        })?;
        for reg in &r.regimes {
            for s in &reg.steps {
                let rules = [s.hours, s.days, s.months, s.business_days]
                    .iter()
                    .filter(|x| x.is_some())
                    .count();
                if rules != 1 && !s.without_undue_delay {
                    return Err(DomainError::InvalidField {
                        field: "regimes",
                        problem: format!(
                            "{} {}: give exactly one of hours, days, months, business_days (or without_undue_delay)",
                            reg.id, s.id
                        ),
                    });
                }
            }
        }
        Ok(r)
    }

    /// This table with an administrator's additions: a regime with a new id is added, one with
    /// an existing id replaces it; holiday calendars likewise.
    pub fn extended_with(&self, more: Regimes) -> Regimes {
        let mut out = self.clone();
        for r in more.regimes {
            match out.regimes.iter_mut().find(|x| x.id == r.id) {
                Some(x) => *x = r,
                None => out.regimes.push(r),
            }
        }
        out.holidays.extend(more.holidays);
        out
    }

    pub fn get(&self, id: &str) -> Option<&Regime> {
        self.regimes.iter().find(|r| r.id == id)
    }

    /// The regimes whose conditions the incident's flags meet.
    pub fn applicable(&self, flags: &BTreeSet<String>) -> Vec<&Regime> {
        self.regimes
            .iter()
            .filter(|r| r.applies_when.iter().all(|f| flags.contains(f)))
            .collect()
    }
}

/// The times a regime's clocks start from, and the steps already submitted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Clocks {
    pub starts: BTreeMap<ClockStart, Timestamp>,
    /// Step id → when it was submitted.
    pub submitted: BTreeMap<String, Timestamp>,
}

/// When a step is due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Due {
    At {
        at: Timestamp,
    },
    /// No fixed deadline ("without undue delay").
    WithoutUndueDelay,
    /// The clock has not started: this start time is not known yet.
    NotStarted {
        waiting_for: String,
    },
}

fn err(problem: String) -> DomainError {
    DomainError::InvalidField {
        field: "deadline",
        problem,
    }
}

fn start_of(
    regime: &Regime,
    start: &str,
    clocks: &Clocks,
    holidays: &BTreeMap<String, Vec<String>>,
) -> Result<Result<Timestamp, String>, DomainError> {
    if let Some(step) = start.strip_prefix("after:") {
        if let Some(t) = clocks.submitted.get(step) {
            return Ok(Ok(*t));
        }
        let prior = regime
            .steps
            .iter()
            .find(|s| s.id == step)
            .ok_or_else(|| err(format!("{}: no step `{step}`", regime.id)))?;
        return Ok(match due_inner(regime, prior, clocks, holidays)? {
            Due::At { at } => Ok(at),
            Due::NotStarted { waiting_for } => Err(waiting_for),
            Due::WithoutUndueDelay => Err(step.to_string()),
        });
    }
    let which: ClockStart = serde_json::from_value(serde_json::Value::String(start.into()))
        .map_err(|_| err(format!("{}: unknown start `{start}`", regime.id)))?;
    Ok(clocks
        .starts
        .get(&which)
        .copied()
        .ok_or_else(|| start.to_string()))
}

fn zone(name: Option<&str>) -> Result<jiff::tz::TimeZone, DomainError> {
    match name {
        None => Ok(jiff::tz::TimeZone::UTC),
        Some(n) => jiff::tz::TimeZone::get(n).map_err(|e| err(format!("time zone `{n}`: {e}"))),
    }
}

fn add(
    step: &Step,
    from: Timestamp,
    holidays: &BTreeMap<String, Vec<String>>,
) -> Result<Timestamp, DomainError> {
    let tz = zone(step.time_zone.as_deref())?;
    let z = from.as_jiff().to_zoned_datetime(tz.clone());
    let bad = |e: jiff::Error| err(e.to_string());
    let out = if let Some(h) = step.hours {
        z.checked_add(h.hours()).map_err(bad)?
    } else if let Some(d) = step.days {
        z.checked_add(d.days()).map_err(bad)?
    } else if let Some(m) = step.months {
        z.checked_add(m.months()).map_err(bad)?
    } else if let Some(n) = step.business_days {
        let closed: BTreeSet<&str> = step
            .holidays
            .as_deref()
            .and_then(|h| holidays.get(h))
            .map(|v| v.iter().map(String::as_str).collect())
            .unwrap_or_default();
        let mut date = z.date();
        let mut left = n;
        while left > 0 {
            date = date.checked_add(1.day()).map_err(bad)?;
            let weekend = matches!(
                date.weekday(),
                jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday
            );
            if !weekend && !closed.contains(date.to_string().as_str()) {
                left -= 1;
            }
        }
        let (h, m) = match step.end_of_day.as_deref() {
            Some(t) => {
                let (h, m) = t.split_once(':').unwrap_or((t, "0"));
                (h.parse::<i8>().unwrap_or(23), m.parse::<i8>().unwrap_or(59))
            }
            None => (23, 59),
        };
        date.at(h, m, 0, 0).to_zoned_datetime(tz).map_err(bad)?
    } else {
        return Err(err(format!("step {} has no duration", step.id)));
    };
    Timestamp::from_micros(out.timestamp().as_microsecond()).map_err(|e| err(e.to_string()))
}

fn due_inner(
    regime: &Regime,
    step: &Step,
    clocks: &Clocks,
    holidays: &BTreeMap<String, Vec<String>>,
) -> Result<Due, DomainError> {
    if step.without_undue_delay {
        return Ok(Due::WithoutUndueDelay);
    }
    let from = match start_of(regime, &step.start, clocks, holidays)? {
        Ok(t) => t,
        Err(waiting_for) => return Ok(Due::NotStarted { waiting_for }),
    };
    let mut at = add(step, from, holidays)?;
    if let Some(b) = &step.no_later_than
        && let Ok(other) = start_of(regime, &b.start, clocks, holidays)?
        && let Some(h) = b.hours
    {
        let limit = Timestamp::from_micros(other.as_micros() + h * 3_600_000_000)
            .map_err(|e| err(e.to_string()))?;
        at = at.min(limit);
    }
    Ok(Due::At { at })
}

impl Regimes {
    /// When a step of a regime is due, given the incident's clocks.
    pub fn due(&self, regime: &str, step: &str, clocks: &Clocks) -> Result<Due, DomainError> {
        let r = self
            .get(regime)
            .ok_or_else(|| err(format!("no regime `{regime}`")))?;
        let s = r
            .steps
            .iter()
            .find(|s| s.id == step)
            .ok_or_else(|| err(format!("{regime} has no step `{step}`")))?;
        due_inner(r, s, clocks, &self.holidays)
    }
}

/// Where an obligation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ObligationState {
    Pending,
    DueSoon,
    Overdue,
    Met,
    MetLate,
}

/// The state at `now`: due soon within 24 hours (or the last quarter of a shorter window).
pub fn state(
    due: &Due,
    started: Option<Timestamp>,
    submitted: Option<Timestamp>,
    now: Timestamp,
) -> ObligationState {
    match (due, submitted) {
        (Due::At { at }, Some(s)) if s > *at => ObligationState::MetLate,
        (_, Some(_)) => ObligationState::Met,
        (Due::At { at }, None) => {
            let left = at.seconds_since(now);
            let window = started.map_or(86_400, |s| at.seconds_since(s));
            let soon = (window / 4).clamp(0, 86_400);
            if left < 0 {
                ObligationState::Overdue
            } else if left <= soon {
                ObligationState::DueSoon
            } else {
                ObligationState::Pending
            }
        }
        _ => ObligationState::Pending,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paris(s: &str) -> Timestamp {
        let z = s
            .parse::<jiff::civil::DateTime>()
            .unwrap()
            .in_tz("Europe/Paris")
            .unwrap();
        Timestamp::from_micros(z.timestamp().as_microsecond()).unwrap()
    }

    fn new_york(s: &str) -> Timestamp {
        let z = s
            .parse::<jiff::civil::DateTime>()
            .unwrap()
            .in_tz("America/New_York")
            .unwrap();
        Timestamp::from_micros(z.timestamp().as_microsecond()).unwrap()
    }

    fn at(d: Due) -> Timestamp {
        match d {
            Due::At { at } => at,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn nis2_clocks_from_awareness_friday_afternoon_in_paris() {
        let r = Regimes::builtin();
        assert_eq!(r.regimes.len(), 7);
        let mut c = Clocks::default();
        c.starts
            .insert(ClockStart::Aware, paris("2026-11-20T16:00"));
        // Friday 16:00 Paris → early warning Saturday 16:00 Paris, notification Monday 16:00.
        assert_eq!(
            at(r.due("nis2", "early-warning", &c).unwrap()),
            paris("2026-11-21T16:00")
        );
        assert_eq!(
            at(r.due("nis2", "notification", &c).unwrap()),
            paris("2026-11-23T16:00")
        );
        // The final report: a month after the notification's deadline until it is submitted,
        // then a month after its submission.
        assert_eq!(
            at(r.due("nis2", "final-report", &c).unwrap()),
            paris("2026-12-23T16:00")
        );
        c.submitted
            .insert("notification".into(), paris("2026-11-22T10:00"));
        assert_eq!(
            at(r.due("nis2", "final-report", &c).unwrap()),
            paris("2026-12-22T10:00")
        );
        // Across the change to summer time, 24 hours are 24 hours (not the same wall-clock time).
        let mut spring = Clocks::default();
        spring
            .starts
            .insert(ClockStart::Aware, paris("2027-03-27T12:00"));
        assert_eq!(
            at(r.due("nis2", "early-warning", &spring).unwrap()),
            paris("2027-03-28T13:00")
        );
    }

    #[test]
    fn sec_8k_counts_us_business_days_after_the_determination() {
        let r = Regimes::builtin();
        let mut c = Clocks::default();
        // Determined material on Wednesday 2 December 2026 at 15:00 in New York: Thursday,
        // Friday, Monday, Tuesday → due Tuesday 8 December, 17:30 New York time.
        c.starts.insert(
            ClockStart::MaterialityDetermined,
            new_york("2026-12-02T15:00"),
        );
        assert_eq!(
            at(r.due("sec-8k", "form-8k", &c).unwrap()),
            new_york("2026-12-08T17:30")
        );
        // The Wednesday before Thanksgiving: Thanksgiving (26 Nov) is not a business day.
        c.starts.insert(
            ClockStart::MaterialityDetermined,
            new_york("2026-11-25T09:00"),
        );
        assert_eq!(
            at(r.due("sec-8k", "form-8k", &c).unwrap()),
            new_york("2026-12-02T17:30")
        );
        // Late on Wednesday in New York is already Thursday in UTC; the count is in New York.
        c.starts.insert(
            ClockStart::MaterialityDetermined,
            new_york("2026-12-02T22:00"),
        );
        assert_eq!(
            at(r.due("sec-8k", "form-8k", &c).unwrap()),
            new_york("2026-12-08T17:30")
        );
    }

    #[test]
    fn dora_initial_report_takes_the_earlier_limit_and_waits_for_its_start() {
        let r = Regimes::builtin();
        let mut c = Clocks::default();
        c.starts
            .insert(ClockStart::Aware, paris("2026-11-20T08:00"));
        assert_eq!(
            r.due("dora", "initial", &c).unwrap(),
            Due::NotStarted {
                waiting_for: "classified_major".into()
            }
        );
        // Classified major at 22:00: 4 h would be 02:00, but 24 h after awareness is 08:00 — 02:00.
        c.starts
            .insert(ClockStart::ClassifiedMajor, paris("2026-11-20T22:00"));
        assert_eq!(
            at(r.due("dora", "initial", &c).unwrap()),
            paris("2026-11-21T02:00")
        );
        // Classified major on the next day at 06:00: 10:00 would pass the 24-hour limit of 08:00.
        c.starts
            .insert(ClockStart::ClassifiedMajor, paris("2026-11-21T06:00"));
        assert_eq!(
            at(r.due("dora", "initial", &c).unwrap()),
            paris("2026-11-21T08:00")
        );
    }

    #[test]
    fn an_incident_owes_what_its_flags_say_and_discharges_it_by_notifying() {
        use crate::event::Milestone;
        use crate::testkit::Journal;
        let r = Regimes::builtin();
        let mut j = Journal::new();
        let aware = paris("2026-11-20T16:00");
        let e = j
            .state()
            .set_milestone(
                Milestone::Aware,
                aware,
                "DPO e-mail",
                "",
                paris("2026-11-30T00:00"),
            )
            .unwrap();
        j.push(e);
        assert!(j.state().set_flags(&["telepathy".into()], "").is_err());
        let e = j
            .state()
            .set_flags(
                &["personal-data".into(), "significant".into()],
                "customer data on the share",
            )
            .unwrap();
        j.push(e);
        let now = paris("2026-11-21T10:00");
        let obs = j.state().obligations(r, now);
        let names: Vec<String> = obs
            .iter()
            .map(|o| format!("{}/{}", o.regime, o.step))
            .collect();
        assert_eq!(
            names,
            [
                "gdpr-33/notification",
                "nis2/early-warning",
                "nis2/notification",
                "nis2/final-report"
            ]
        );
        assert_eq!(obs[1].state, ObligationState::DueSoon, "6 hours left of 24");
        // The NIS2 early warning sent late: a reason is required, then it is met late.
        let late = paris("2026-11-21T18:00");
        let s = j.state();
        assert!(
            s.record_notification(
                r,
                Some("nis2"),
                Some("early-warning"),
                &["ANSSI".into()],
                "portal",
                "Early warning",
                late,
                ""
            )
            .is_err()
        );
        let e = s
            .record_notification(
                r,
                Some("nis2"),
                Some("early-warning"),
                &["ANSSI".into()],
                "portal",
                "Early warning",
                late,
                "the portal was down",
            )
            .unwrap();
        j.push(e);
        let e = j
            .state()
            .record_notification(
                r,
                Some("gdpr-33"),
                Some("notification"),
                &["CNIL".into()],
                "portal",
                "Art. 33 notification",
                paris("2026-11-22T11:00"),
                "",
            )
            .unwrap();
        j.push(e);
        let obs = j.state().obligations(r, paris("2026-11-23T17:00"));
        let st: Vec<ObligationState> = obs.iter().map(|o| o.state).collect();
        assert_eq!(
            st,
            [
                ObligationState::Met,
                ObligationState::MetLate,
                ObligationState::Overdue,
                ObligationState::Pending
            ]
        );
        assert_eq!(obs[1].late_reason.as_deref(), Some("the portal was down"));
        assert!(
            j.state()
                .record_notification(
                    r,
                    Some("gdpr-33"),
                    Some("notification"),
                    &["CNIL".into()],
                    "portal",
                    "again",
                    late,
                    ""
                )
                .is_err(),
            "already discharged"
        );
    }

    #[test]
    fn applicability_states_and_bad_tables() {
        let r = Regimes::builtin();
        let flags: BTreeSet<String> = ["personal_data".to_string(), "high_risk".to_string()].into();
        let ids: Vec<&str> = r.applicable(&flags).iter().map(|g| g.id.as_str()).collect();
        assert_eq!(ids, ["gdpr-33", "gdpr-34"]);
        // An administrator's table adds a regime and replaces another.
        let more = Regimes::from_json(r#"{"regimes": [
            {"id": "gdpr-33", "name": {"en": "GDPR", "fr": "RGPD"}, "recipient": {"en": "CNIL", "fr": "CNIL"}, "applies_when": ["personal_data"], "steps": [{"id": "notification", "start": "aware", "hours": 48}]},
            {"id": "fr-ars", "name": {"en": "Health regulator", "fr": "ARS"}, "recipient": {"en": "ARS", "fr": "ARS"}, "applies_when": ["phi"], "steps": [{"id": "report", "start": "aware", "hours": 24}]}
        ]}"#).unwrap();
        let ext = r.extended_with(more);
        assert_eq!(ext.regimes.len(), 8);
        assert_eq!(ext.get("gdpr-33").unwrap().steps[0].hours, Some(48));
        assert_eq!(
            r.due("gdpr-34", "communication", &Clocks::default())
                .unwrap(),
            Due::WithoutUndueDelay
        );
        let start = paris("2026-11-20T16:00");
        let due = Due::At {
            at: paris("2026-11-23T16:00"),
        };
        assert_eq!(
            state(&due, Some(start), None, paris("2026-11-21T16:00")),
            ObligationState::Pending
        );
        assert_eq!(
            state(&due, Some(start), None, paris("2026-11-23T00:00")),
            ObligationState::DueSoon
        );
        assert_eq!(
            state(&due, Some(start), None, paris("2026-11-23T16:01")),
            ObligationState::Overdue
        );
        assert_eq!(
            state(
                &due,
                Some(start),
                Some(paris("2026-11-22T09:00")),
                paris("2026-11-30T00:00")
            ),
            ObligationState::Met
        );
        assert_eq!(
            state(
                &due,
                Some(start),
                Some(paris("2026-11-24T09:00")),
                paris("2026-11-30T00:00")
            ),
            ObligationState::MetLate
        );
        assert!(Regimes::from_json(r#"{"regimes": [{"id": "x", "name": {"en": "", "fr": ""}, "recipient": {"en": "", "fr": ""}, "applies_when": [], "steps": [{"id": "s", "start": "aware"}]}]}"#).is_err());
        let mut c = Clocks::default();
        c.starts.insert(ClockStart::Aware, start);
        assert_eq!(
            at(r.due("hipaa", "individuals", &c).unwrap()),
            paris("2027-01-19T16:00")
        );
    }
}
