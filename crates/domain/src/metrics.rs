//! Program metrics: the compact facts kept per incident (its key timestamps, class, severity,
//! labour, actions by kind, costs, deadlines, recommendations, root causes), and the figures
//! computed over any period and filter — incidents handled, time per incident, actions, MTTD /
//! MTTA / MTTC / MTTR (recovery and resolution) and dwell time as mean, median and p90, costs,
//! notification compliance, recommendation completion, recurrence, and a monthly trend. Every
//! figure names the incidents behind it; an incident missing a timestamp is counted as missing,
//! never dropped or zero-filled. Definitions: `../shared/STANDARDS.md` §2.
//!
//! Percentiles use the nearest-rank method (p90 is the value at rank ⌈0.9·n⌉); the median of an
//! even count is the mean of the two middle values.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::event::Milestone;
use crate::incident::Incident;
use crate::obligation::{Due, Regimes};
use crate::postmortem::{CostKind, RecommendationStatus};
use crate::time::Timestamp;

/// A regulatory step's deadline and when it was discharged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlineFact {
    pub due: Option<Timestamp>,
    pub done: Option<Timestamp>,
}

/// A recommendation's state for the completion figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecommendationFact {
    pub status: RecommendationStatus,
    pub due: Timestamp,
}

/// What the metrics need of one incident, kept beside its projection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentFacts {
    pub number: i64,
    pub opened_at: Timestamp,
    pub status: String,
    #[serde(default)]
    pub class: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub level: Option<u8>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Business units in scope: the "team" filter.
    #[serde(default)]
    pub units: Vec<String>,
    /// Key timestamps by name (`started_at`, `detected_at`…).
    #[serde(default)]
    pub times: BTreeMap<String, Timestamp>,
    #[serde(default)]
    pub labour_minutes: u64,
    /// Journal entries by kind.
    #[serde(default)]
    pub actions: BTreeMap<String, u32>,
    /// Per currency: direct, indirect, recovered (minor units).
    #[serde(default)]
    pub costs: BTreeMap<String, [i64; 3]>,
    #[serde(default)]
    pub deadlines: Vec<DeadlineFact>,
    #[serde(default)]
    pub recommendations: Vec<RecommendationFact>,
    /// Earlier incidents a root cause is a recurrence of.
    #[serde(default)]
    pub recurrence_of: Vec<i64>,
    /// Playbooks applied, root causes found, and the postmortem's review status.
    #[serde(default)]
    pub playbooks: u32,
    #[serde(default)]
    pub root_causes: u32,
    #[serde(default)]
    pub postmortem: Option<String>,
}

impl IncidentFacts {
    /// The facts of an incident as it stands (deadlines from `regimes`).
    pub fn of(i: &Incident, regimes: &Regimes) -> IncidentFacts {
        let mut costs: BTreeMap<String, [i64; 3]> = BTreeMap::new();
        for c in &i.postmortem.impact.costs {
            let slot = match c.kind {
                CostKind::Direct => 0,
                CostKind::Indirect => 1,
                CostKind::Recovered => 2,
            };
            costs.entry(c.currency.clone()).or_default()[slot] += c.amount_minor;
        }
        IncidentFacts {
            number: i.number,
            opened_at: i.opened_at,
            status: i.status.as_str().to_string(),
            class: i.classification.as_ref().map(|c| c.class.clone()),
            kind: i.classification.as_ref().map(|c| c.kind.clone()),
            level: i.severity.as_ref().map(|s| s.level),
            tags: i.tags.clone(),
            units: i.scope.business_units.clone(),
            times: Milestone::ALL
                .iter()
                .filter_map(|m| i.milestone(*m).map(|t| (m.as_str().to_string(), t)))
                .collect(),
            labour_minutes: i.time.iter().map(|t| u64::from(t.minutes)).sum(),
            actions: i.entry_kinds.clone(),
            costs,
            // Evaluated far in the future: the state is then only about the deadline and the
            // discharge; "overdue" is decided when the metrics are computed.
            deadlines: i
                .obligations(regimes, Timestamp::MAX)
                .into_iter()
                .map(|o| DeadlineFact {
                    due: match o.due {
                        Due::At { at } => Some(at),
                        _ => None,
                    },
                    done: o.notification.and_then(|id| {
                        i.notifications
                            .iter()
                            .find(|n| n.id == id)
                            .and_then(|n| n.delivered_at)
                    }),
                })
                .collect(),
            recommendations: i
                .recommendations
                .iter()
                .map(|r| RecommendationFact {
                    status: r.status,
                    due: r.due,
                })
                .collect(),
            recurrence_of: i
                .postmortem
                .root_causes
                .iter()
                .filter_map(|r| r.recurrence_of)
                .collect(),
            playbooks: u32::try_from(i.playbooks.len()).unwrap_or(u32::MAX),
            root_causes: u32::try_from(i.postmortem.root_causes.len()).unwrap_or(u32::MAX),
            postmortem: i.postmortem.status.map(|s| s.as_str().to_string()),
        }
    }
}

/// Which incidents the figures cover: opened in `[from, to)`, and the optional filters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub class: Option<String>,
    /// Exactly this severity level.
    pub level: Option<u8>,
    pub tag: Option<String>,
    /// A business unit in scope.
    pub team: Option<String>,
}

impl Filter {
    pub fn keeps(&self, f: &IncidentFacts) -> bool {
        self.from.is_none_or(|t| f.opened_at >= t)
            && self.to.is_none_or(|t| f.opened_at < t)
            && self
                .class
                .as_ref()
                .is_none_or(|c| f.class.as_deref() == Some(c.as_str()))
            && self.level.is_none_or(|l| f.level == Some(l))
            && self
                .tag
                .as_ref()
                .is_none_or(|t| f.tags.iter().any(|x| x.eq_ignore_ascii_case(t)))
            && self
                .team
                .as_ref()
                .is_none_or(|t| f.units.iter().any(|x| x.eq_ignore_ascii_case(t)))
    }
}

/// Mean, median and p90 of a duration over the incidents that have it, in hours; and the ones
/// that do not.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DurationStat {
    /// `ttd`, `tta`, `ttc`, `ttr_recovery`, `ttr_resolution`, `dwell`, `elapsed`.
    pub name: String,
    pub n: usize,
    pub mean_hours: Option<f64>,
    pub median_hours: Option<f64>,
    pub p90_hours: Option<f64>,
    /// The incidents measured.
    pub incidents: Vec<i64>,
    /// The incidents missing one of the two timestamps.
    pub missing: Vec<i64>,
    /// Incidents whose end is before their start (a timestamp to correct), left out.
    pub inconsistent: Vec<i64>,
}

/// Costs in one currency, in minor units.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CostTotals {
    pub direct: i64,
    pub indirect: i64,
    pub recovered: i64,
    pub net: i64,
    pub incidents: Vec<i64>,
}

/// Regulatory steps with a deadline: discharged on time, late, overdue, still running.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Compliance {
    pub on_time: usize,
    pub late: usize,
    pub overdue: usize,
    pub pending: usize,
    /// On time among those decided (on time, late, overdue); none when nothing is decided.
    pub on_time_pct: Option<f64>,
    pub late_incidents: Vec<i64>,
    pub overdue_incidents: Vec<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RecommendationFigures {
    pub total: usize,
    /// Done or verified.
    pub completed: usize,
    pub rejected: usize,
    /// Past due and not completed nor rejected.
    pub overdue: usize,
    /// Completed among those not rejected.
    pub completion_pct: Option<f64>,
    pub overdue_pct: Option<f64>,
    pub overdue_incidents: Vec<i64>,
}

/// One month of the trend (by the month incidents were opened in, UTC).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Month {
    pub month: String,
    pub opened: usize,
    pub closed: usize,
    pub mttr_resolution_hours: Option<f64>,
}

/// An incident like an earlier one: its root cause says so, or the same class within the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recurrence {
    pub incident: i64,
    pub earlier: i64,
    /// `root-cause` or `same-class`.
    pub why: String,
}

/// The figures over the incidents a filter keeps.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    pub filter: Filter,
    pub computed_at: Timestamp,
    pub handled: usize,
    pub incidents: Vec<i64>,
    pub by_class: BTreeMap<String, Vec<i64>>,
    /// Level 0–5, or `unassessed`.
    pub by_severity: BTreeMap<String, Vec<i64>>,
    pub by_status: BTreeMap<String, Vec<i64>>,
    pub durations: Vec<DurationStat>,
    pub labour_hours_total: f64,
    pub labour_hours_mean: Option<f64>,
    pub without_labour: Vec<i64>,
    pub actions: BTreeMap<String, u64>,
    pub costs: BTreeMap<String, CostTotals>,
    pub notifications: Compliance,
    pub recommendations: RecommendationFigures,
    pub recurrence_months: u32,
    pub recurrences: Vec<Recurrence>,
    pub months: Vec<Month>,
}

impl Metrics {
    /// The same figures with the incidents `hidden` says the reader may not know of left
    /// unnamed: they are counted in every total, and named in no list. Every field is named
    /// here, so that a new list of incidents cannot be forgotten.
    pub fn unnamed(mut self, hidden: impl Fn(i64) -> bool) -> Metrics {
        let keep = |v: &mut Vec<i64>| v.retain(|n| !hidden(*n));
        let Metrics {
            filter: _,
            computed_at: _,
            handled: _,
            incidents,
            by_class,
            by_severity,
            by_status,
            durations,
            labour_hours_total: _,
            labour_hours_mean: _,
            without_labour,
            actions: _,
            costs,
            notifications,
            recommendations,
            recurrence_months: _,
            recurrences,
            months: _,
        } = &mut self;
        keep(incidents);
        for list in by_class
            .values_mut()
            .chain(by_severity.values_mut())
            .chain(by_status.values_mut())
        {
            keep(list);
        }
        for d in durations.iter_mut() {
            keep(&mut d.incidents);
            keep(&mut d.missing);
            keep(&mut d.inconsistent);
        }
        keep(without_labour);
        for c in costs.values_mut() {
            keep(&mut c.incidents);
        }
        keep(&mut notifications.late_incidents);
        keep(&mut notifications.overdue_incidents);
        keep(&mut recommendations.overdue_incidents);
        recurrences.retain(|r| !hidden(r.incident) && !hidden(r.earlier));
        self
    }
}

fn hours(seconds: i64) -> f64 {
    seconds as f64 / 3600.0
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Mean, median and p90 (nearest rank) of `values` in seconds, as hours rounded to 0.01.
pub fn summary(values: &mut [i64]) -> (Option<f64>, Option<f64>, Option<f64>) {
    if values.is_empty() {
        return (None, None, None);
    }
    values.sort_unstable();
    let n = values.len();
    let mean = values.iter().map(|v| *v as f64).sum::<f64>() / n as f64;
    let median = if n % 2 == 1 {
        values[n / 2] as f64
    } else {
        (values[n / 2 - 1] as f64 + values[n / 2] as f64) / 2.0
    };
    let rank = (9 * n).div_ceil(10).max(1);
    let p90 = values[rank - 1] as f64;
    (
        Some(round2(mean / 3600.0)),
        Some(round2(median / 3600.0)),
        Some(round2(p90 / 3600.0)),
    )
}

/// The key timestamps of one incident, looked up once: started, detected, acknowledged,
/// contained, recovered, closed.
type Keys = [Option<Timestamp>; 6];

fn keys(f: &IncidentFacts) -> Keys {
    let mut k: Keys = [None; 6];
    for (name, t) in &f.times {
        let slot = match name.as_str() {
            "started_at" => 0,
            "detected_at" => 1,
            "acknowledged_at" => 2,
            "contained_at" => 3,
            "recovered_at" => 4,
            "closed_at" => 5,
            _ => continue,
        };
        k[slot] = Some(*t);
    }
    k
}

fn duration(
    name: &str,
    facts: &[(&IncidentFacts, Keys)],
    span: impl Fn(&IncidentFacts, &Keys) -> (Option<Timestamp>, Option<Timestamp>),
) -> DurationStat {
    let mut values = Vec::with_capacity(facts.len());
    let (mut incidents, mut missing, mut inconsistent) = (vec![], vec![], vec![]);
    for (f, k) in facts {
        match span(f, k) {
            (Some(a), Some(b)) if b >= a => {
                values.push(b.seconds_since(a));
                incidents.push(f.number);
            }
            (Some(_), Some(_)) => inconsistent.push(f.number),
            _ => missing.push(f.number),
        }
    }
    let (mean, median, p90) = summary(&mut values);
    DurationStat {
        name: name.to_string(),
        n: incidents.len(),
        mean_hours: mean,
        median_hours: median,
        p90_hours: p90,
        incidents,
        missing,
        inconsistent,
    }
}

/// Adds `n` under `key`, allocating the key only the first time.
fn push(map: &mut BTreeMap<String, Vec<i64>>, key: &str, n: i64) {
    match map.get_mut(key) {
        Some(v) => v.push(n),
        None => {
            map.insert(key.to_string(), vec![n]);
        }
    }
}

/// The (year, month) of a time (UTC), by civil-from-days arithmetic (no calendar library per
/// call: this runs once per incident).
fn year_month(t: Timestamp) -> (i64, i64) {
    let days = t.as_micros().div_euclid(86_400_000_000);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month)
}

fn pct(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| round2(100.0 * part as f64 / whole as f64))
}

/// The figures over `all` that `filter` keeps, at `now`; recurrence looks `months` back (over
/// all incidents, not only the kept ones, for the earlier one).
pub fn compute(all: &[IncidentFacts], filter: &Filter, now: Timestamp, months: u32) -> Metrics {
    let mut kept: Vec<&IncidentFacts> = all.iter().filter(|f| filter.keeps(f)).collect();
    kept.sort_by_key(|f| f.number);
    let mut by_class: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut by_severity: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut by_status: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut actions: BTreeMap<String, u64> = BTreeMap::new();
    let mut costs: BTreeMap<String, CostTotals> = BTreeMap::new();
    let mut notifications = Compliance::default();
    let mut recs = RecommendationFigures::default();
    let mut labour = 0u64;
    let mut without_labour = Vec::new();
    const LEVELS: [&str; 6] = ["0", "1", "2", "3", "4", "5"];
    for f in &kept {
        push(
            &mut by_class,
            f.class.as_deref().unwrap_or("unclassified"),
            f.number,
        );
        let level = f
            .level
            .map_or("unassessed", |l| LEVELS[usize::from(l.min(5))]);
        push(&mut by_severity, level, f.number);
        push(&mut by_status, &f.status, f.number);
        for (k, n) in &f.actions {
            match actions.get_mut(k) {
                Some(total) => *total += u64::from(*n),
                None => {
                    actions.insert(k.clone(), u64::from(*n));
                }
            }
        }
        for (cur, [d, i, r]) in &f.costs {
            let c = costs.entry(cur.clone()).or_default();
            c.direct += d;
            c.indirect += i;
            c.recovered += r;
            c.net += d + i - r;
            c.incidents.push(f.number);
        }
        if f.labour_minutes == 0 {
            without_labour.push(f.number);
        }
        labour += f.labour_minutes;
        for d in &f.deadlines {
            let Some(due) = d.due else { continue };
            match d.done {
                Some(done) if done <= due => notifications.on_time += 1,
                Some(_) => {
                    notifications.late += 1;
                    notifications.late_incidents.push(f.number);
                }
                None if now > due => {
                    notifications.overdue += 1;
                    notifications.overdue_incidents.push(f.number);
                }
                None => notifications.pending += 1,
            }
        }
        for r in &f.recommendations {
            recs.total += 1;
            match r.status {
                RecommendationStatus::Done | RecommendationStatus::Verified => recs.completed += 1,
                RecommendationStatus::Rejected => recs.rejected += 1,
                _ if now > r.due => {
                    recs.overdue += 1;
                    recs.overdue_incidents.push(f.number);
                }
                _ => {}
            }
        }
    }
    let decided = notifications.on_time + notifications.late + notifications.overdue;
    notifications.on_time_pct = pct(notifications.on_time, decided);
    notifications.late_incidents.dedup();
    notifications.overdue_incidents.dedup();
    recs.completion_pct = pct(recs.completed, recs.total - recs.rejected);
    recs.overdue_pct = pct(recs.overdue, recs.total - recs.rejected);
    recs.overdue_incidents.dedup();

    let keyed: Vec<(&IncidentFacts, Keys)> = kept.iter().map(|f| (*f, keys(f))).collect();
    let (started, detected, acknowledged, contained, recovered, closed) = (0, 1, 2, 3, 4, 5);
    let durations = vec![
        duration("ttd", &keyed, |_, k| (k[started], k[detected])),
        duration("tta", &keyed, |_, k| (k[detected], k[acknowledged])),
        duration("ttc", &keyed, |_, k| (k[detected], k[contained])),
        duration("ttr_recovery", &keyed, |_, k| (k[detected], k[recovered])),
        duration("ttr_resolution", &keyed, |_, k| (k[detected], k[closed])),
        duration("dwell", &keyed, |_, k| (k[started], k[detected])),
        duration("elapsed", &keyed, |f, k| {
            (Some(f.opened_at), Some(k[closed].unwrap_or(now)))
        }),
    ];

    // Recurrence: a stated one, or the same class opened within `months` after an earlier one
    // (the latest earlier one of the class, found by binary search in the class's openings).
    let window = i64::from(months) * 30 * 86_400;
    let mut openings_by_class: BTreeMap<&str, Vec<(Timestamp, i64)>> = BTreeMap::new();
    for e in all {
        if let Some(c) = &e.class {
            openings_by_class
                .entry(c.as_str())
                .or_default()
                .push((e.opened_at, e.number));
        }
    }
    for openings in openings_by_class.values_mut() {
        openings.sort_unstable();
    }
    let mut recurrences = Vec::new();
    for f in &kept {
        if let Some(e) = f.recurrence_of.first() {
            recurrences.push(Recurrence {
                incident: f.number,
                earlier: *e,
                why: "root-cause".into(),
            });
            continue;
        }
        let Some(openings) = f.class.as_deref().and_then(|c| openings_by_class.get(c)) else {
            continue;
        };
        // Openings strictly before this one: the last of them is the latest earlier incident.
        let before = openings.partition_point(|(t, _)| *t < f.opened_at);
        if let Some((t, n)) = before.checked_sub(1).map(|i| openings[i])
            && f.opened_at.seconds_since(t) <= window
        {
            recurrences.push(Recurrence {
                incident: f.number,
                earlier: n,
                why: "same-class".into(),
            });
        }
    }

    let mut per_month: BTreeMap<(i64, i64), (usize, usize, Vec<i64>)> = BTreeMap::new();
    for (f, k) in &keyed {
        let m = per_month.entry(year_month(f.opened_at)).or_default();
        m.0 += 1;
        if let Some(c) = k[closed] {
            m.1 += 1;
            if let Some(d) = k[detected].filter(|d| c >= *d) {
                m.2.push(c.seconds_since(d));
            }
        }
    }
    let months_out = per_month
        .into_iter()
        .map(|((year, month), (opened, closed, mut ttr))| Month {
            month: format!("{year:04}-{month:02}"),
            opened,
            closed,
            mttr_resolution_hours: summary(&mut ttr).0,
        })
        .collect();

    Metrics {
        filter: filter.clone(),
        computed_at: now,
        handled: kept.len(),
        incidents: kept.iter().map(|f| f.number).collect(),
        by_class,
        by_severity,
        by_status,
        durations,
        labour_hours_total: round2(hours(i64::try_from(labour).unwrap_or(i64::MAX / 2) * 60)),
        // Per incident with time logged: one without is missing, never zero hours.
        labour_hours_mean: (kept.len() > without_labour.len()).then(|| {
            round2(
                hours(i64::try_from(labour).unwrap_or(i64::MAX / 2) * 60)
                    / (kept.len() - without_labour.len()) as f64,
            )
        }),
        without_labour,
        actions,
        costs,
        notifications,
        recommendations: recs,
        recurrence_months: months,
        recurrences,
        months: months_out,
    }
}

#[cfg(test)]
mod tests;
