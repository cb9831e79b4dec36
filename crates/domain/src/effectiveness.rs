//! Response effectiveness, computed from an incident's key timestamps — never typed: time to
//! detect, acknowledge, contain and recover against per-severity targets — and the due date of the
//! post-incident review meeting.

use serde::{Deserialize, Serialize};

use crate::event::Milestone;
use crate::incident::Incident;
use crate::time::Timestamp;

/// Targets per severity level (0–5), in minutes: acknowledge, contain, recover.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Targets {
    pub acknowledge: [i64; 6],
    pub contain: [i64; 6],
    pub recover: [i64; 6],
}

impl Default for Targets {
    /// A starting point for a team to adjust: the higher the level, the shorter the time.
    fn default() -> Self {
        Targets {
            acknowledge: [1_440, 1_440, 240, 60, 30, 15],
            contain: [10_080, 10_080, 4_320, 1_440, 480, 240],
            recover: [20_160, 20_160, 10_080, 4_320, 2_880, 1_440],
        }
    }
}

/// One response time of an incident, measured from its key timestamps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Measure {
    /// `time_to_detect`, `time_to_acknowledge`, `time_to_contain`, `time_to_recover`.
    pub name: &'static str,
    /// `None` when a timestamp is missing (named in `missing`), never zero-filled.
    pub seconds: Option<i64>,
    pub target_seconds: Option<i64>,
    /// `None` without a measure or a target.
    pub met: Option<bool>,
    pub missing: Vec<&'static str>,
}

/// Time to detect (started → detected), acknowledge, contain and recover (from detected), against
/// the targets of the incident's assessed severity level.
pub fn effectiveness(incident: &Incident, targets: &Targets) -> Vec<Measure> {
    let level = incident
        .severity
        .as_ref()
        .map(|a| usize::from(a.level.min(5)));
    let at = |m: Milestone| incident.milestone(m);
    let measure = |name: &'static str,
                   from: (Milestone, &'static str),
                   to: (Milestone, &'static str),
                   target: Option<&[i64; 6]>| {
        let (a, b) = (at(from.0), at(to.0));
        let mut missing = Vec::new();
        if a.is_none() {
            missing.push(from.1);
        }
        if b.is_none() {
            missing.push(to.1);
        }
        let seconds = a.zip(b).map(|(a, b)| b.seconds_since(a));
        let target_seconds = target.zip(level).map(|(t, l)| t[l] * 60);
        Measure {
            name,
            seconds,
            target_seconds,
            met: seconds.zip(target_seconds).map(|(s, t)| s <= t),
            missing,
        }
    };
    let detected = (Milestone::Detected, "detected_at");
    vec![
        measure(
            "time_to_detect",
            (Milestone::Started, "started_at"),
            detected,
            None,
        ),
        measure(
            "time_to_acknowledge",
            detected,
            (Milestone::Acknowledged, "acknowledged_at"),
            Some(&targets.acknowledge),
        ),
        measure(
            "time_to_contain",
            detected,
            (Milestone::Contained, "contained_at"),
            Some(&targets.contain),
        ),
        measure(
            "time_to_recover",
            detected,
            (Milestone::Recovered, "recovered_at"),
            Some(&targets.recover),
        ),
    ]
}

/// When the review meeting is due: 3 days after `from` for the top levels (5, 4), 5 business
/// days for level 3, 10 business days below (weekends skipped, UTC).
pub fn review_due(level: u8, from: Timestamp) -> Timestamp {
    let day = 86_400 * 1_000_000;
    if level >= 4 {
        return Timestamp::from_micros(from.as_micros() + 3 * day).unwrap_or(from);
    }
    let business_days = if level == 3 { 5 } else { 10 };
    let mut t = from;
    let mut left = business_days;
    while left > 0 {
        t = Timestamp::from_micros(t.as_micros() + day).unwrap_or(t);
        // Days since 1970-01-01, a Thursday: Monday is 0, Saturday 5, Sunday 6.
        let weekday = (t.as_micros().div_euclid(day) + 3).rem_euclid(7);
        if weekday < 5 {
            left -= 1;
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Phishing → credential theft → exfiltration, assessed at level 3 (high): started 02:10,
    /// detected 09:00, acknowledged 09:40 (40 min ≤ 60 target), contained next day 11:00 (26 h >
    /// 24 h target), recovery not stated yet — missing, not zero.
    #[test]
    fn effectiveness_is_measured_from_the_timestamps() {
        use crate::testkit::Journal;
        use crate::triage::{FunctionalImpact, InformationImpact, Recoverability, SeverityMatrix};
        let mut j = Journal::new();
        let now = Timestamp::parse("2026-11-30T00:00:00Z").unwrap();
        for (m, at) in [
            (Milestone::Started, "2026-11-20T02:10:00Z"),
            (Milestone::Detected, "2026-11-20T09:00:00Z"),
            (Milestone::Acknowledged, "2026-11-20T09:40:00Z"),
            (Milestone::Contained, "2026-11-21T11:00:00Z"),
        ] {
            let e = j
                .state()
                .set_milestone(m, Timestamp::parse(at).unwrap(), "SIEM", "", now)
                .unwrap();
            j.push(e);
        }
        let e = j
            .state()
            .assess(
                &SeverityMatrix::default(),
                FunctionalImpact::Medium,
                InformationImpact::Privacy,
                Recoverability::Supplemented,
                "",
            )
            .unwrap();
        j.push(e);
        let incident = j.state();
        assert_eq!(incident.severity.as_ref().unwrap().level, 3);
        let m = effectiveness(&incident, &Targets::default());
        let get = |n: &str| m.iter().find(|x| x.name == n).unwrap();
        assert_eq!(get("time_to_detect").seconds, Some(6 * 3600 + 50 * 60));
        assert_eq!(get("time_to_detect").met, None, "no target for dwell time");
        assert_eq!(get("time_to_acknowledge").seconds, Some(40 * 60));
        assert_eq!(get("time_to_acknowledge").target_seconds, Some(3600));
        assert_eq!(get("time_to_acknowledge").met, Some(true));
        assert_eq!(get("time_to_contain").seconds, Some(26 * 3600));
        assert_eq!(get("time_to_contain").met, Some(false));
        assert_eq!(get("time_to_recover").seconds, None);
        assert_eq!(get("time_to_recover").missing, vec!["recovered_at"]);
        assert_eq!(get("time_to_recover").met, None);
    }

    #[test]
    fn review_due_dates_skip_weekends_below_the_top_levels() {
        // Friday 2026-11-20 18:00 UTC.
        let fri = Timestamp::parse("2026-11-20T18:00:00Z").unwrap();
        assert_eq!(
            review_due(5, fri).to_string(),
            Timestamp::parse("2026-11-23T18:00:00Z")
                .unwrap()
                .to_string()
        );
        assert_eq!(
            review_due(3, fri).to_string(),
            Timestamp::parse("2026-11-27T18:00:00Z")
                .unwrap()
                .to_string()
        );
        assert_eq!(
            review_due(1, fri).to_string(),
            Timestamp::parse("2026-12-04T18:00:00Z")
                .unwrap()
                .to_string()
        );
    }
}
