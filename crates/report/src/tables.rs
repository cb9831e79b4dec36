//! Incidents, their attack timelines, observables and recommendations as CSV tables for
//! spreadsheets: one row per incident, timeline entry, observable or recommendation, each
//! naming its incident's number, times in RFC 3339 (UTC). Every cell goes through
//! [`spreadsheet_safe`], so text typed into an incident can never run as a spreadsheet formula.

use debrief_domain::triage::Tlp;
use debrief_domain::{Incident, Milestone, NewIncident, Timestamp};

use crate::ReportError;

/// The tables Debrief writes as CSV.
pub const TABLES: &[&str] = &["incidents", "timeline", "observables", "recommendations"];

/// The characters a spreadsheet reads as the start of a formula (OWASP: CSV injection).
const FORMULA_START: &[char] = &['=', '+', '-', '@', '\t', '\r', '\n'];

/// A cell as a spreadsheet will show it, never run it: text that starts with a formula
/// character (`=HYPERLINK(…)`, `+cmd|…`, `-2+3`, `@SUM(…)`, a tab or line break) gets a leading
/// `'`, which spreadsheets read as "this is text". Every CSV Debrief writes uses it.
pub fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(FORMULA_START) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// A cell read back from a spreadsheet Debrief wrote: the `'` that [`spreadsheet_safe`] put in
/// front of a formula character is taken off again.
pub fn from_spreadsheet(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_START) => rest,
        _ => cell,
    }
}

/// A CSV writer whose every cell goes through [`spreadsheet_safe`].
pub struct SafeWriter<W: std::io::Write>(csv::Writer<W>);

impl<W: std::io::Write> std::fmt::Debug for SafeWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SafeWriter")
    }
}

impl<W: std::io::Write> SafeWriter<W> {
    pub fn new(out: W) -> Self {
        Self(csv::Writer::from_writer(out))
    }

    /// Writes one row.
    pub fn row<I, T>(&mut self, cells: I) -> Result<(), csv::Error>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        self.0.write_record(
            cells
                .into_iter()
                .map(|c| spreadsheet_safe(c.as_ref()).into_owned()),
        )
    }

    /// Flushes and returns the output.
    pub fn into_inner(self) -> Result<W, csv::Error> {
        self.0
            .into_inner()
            .map_err(|e| csv::Error::from(e.into_error()))
    }
}

fn t(ts: Option<Timestamp>) -> String {
    ts.map(|t| t.to_string()).unwrap_or_default()
}

/// Writes `table` of `incidents` (in the order given) as CSV.
pub fn table(name: &str, incidents: &[&Incident]) -> Result<String, ReportError> {
    if !TABLES.contains(&name) {
        return Err(ReportError::UnknownTable(name.to_string()));
    }
    let mut w = SafeWriter::new(Vec::new());
    let bad = |e: csv::Error| ReportError::Csv(e.to_string());
    match name {
        "incidents" => {
            w.row([
                "number",
                "title",
                "status",
                "class",
                "type",
                "severity",
                "tlp",
                "tags",
                "assignee",
                "opened_at",
                "started_at",
                "detected_at",
                "acknowledged_at",
                "contained_at",
                "recovered_at",
                "closed_at",
                "summary",
            ])
            .map_err(bad)?;
            for i in incidents {
                let m = |x| t(i.milestone(x));
                let class = i.classification.as_ref();
                w.row([
                    i.number.to_string(),
                    i.title.clone(),
                    i.status.as_str().to_string(),
                    class.map(|c| c.class.clone()).unwrap_or_default(),
                    class.map(|c| c.kind.clone()).unwrap_or_default(),
                    i.severity
                        .as_ref()
                        .map(|s| s.level.to_string())
                        .unwrap_or_default(),
                    i.tlp.as_str().to_string(),
                    i.tags.join(";"),
                    i.assignee.clone().unwrap_or_default(),
                    i.opened_at.to_string(),
                    m(Milestone::Started),
                    m(Milestone::Detected),
                    m(Milestone::Acknowledged),
                    m(Milestone::Contained),
                    m(Milestone::Recovered),
                    m(Milestone::Closed),
                    i.summary.clone(),
                ])
                .map_err(bad)?;
            }
        }
        "timeline" => {
            w.row(["incident", "id", "occurred_at", "technique", "description"])
                .map_err(bad)?;
            for i in incidents {
                for e in &i.timeline {
                    w.row([
                        i.number.to_string(),
                        e.id.to_string(),
                        e.occurred_at.to_string(),
                        e.technique
                            .as_ref()
                            .map(|x| x.as_str().to_string())
                            .unwrap_or_default(),
                        e.description.clone(),
                    ])
                    .map_err(bad)?;
                }
            }
        }
        "observables" => {
            w.row(["incident", "kind", "value", "ioc", "sighted", "description"])
                .map_err(bad)?;
            for i in incidents {
                for o in &i.observables {
                    w.row([
                        i.number.to_string(),
                        o.kind.as_str().to_string(),
                        o.value.clone(),
                        o.ioc.to_string(),
                        o.sighted.to_string(),
                        o.description.clone(),
                    ])
                    .map_err(bad)?;
                }
            }
        }
        _ => {
            w.row(["incident", "id", "action", "type", "owner", "due", "status"])
                .map_err(bad)?;
            for i in incidents {
                for r in &i.recommendations {
                    w.row([
                        i.number.to_string(),
                        r.id.to_string(),
                        r.action.clone(),
                        r.kind.as_str().to_string(),
                        r.owner.clone().unwrap_or_default(),
                        r.due.to_string(),
                        r.status.as_str().to_string(),
                    ])
                    .map_err(bad)?;
                }
            }
        }
    }
    let bytes = w.into_inner().map_err(bad)?;
    String::from_utf8(bytes).map_err(|e| ReportError::Csv(e.to_string()))
}

// ------------------------------------------------------------------------------ import

/// One spreadsheet row, checked: the incident to declare and what to record on it.
#[derive(Debug, Clone)]
pub struct ImportRow {
    /// The line of the file it was on (the header is line 1).
    pub line: u64,
    pub new: NewIncident,
    /// Class and type of the reference taxonomy.
    pub class: Option<(String, String)>,
    pub tlp: Option<Tlp>,
    pub tags: Vec<String>,
    /// Key timestamps stated in the row, none in the future.
    pub times: Vec<(Milestone, Timestamp)>,
}

/// The columns understood (case-insensitive); `title` is required.
pub const COLUMNS: &[&str] = &[
    "title",
    "summary",
    "reporter",
    "source",
    "class",
    "type",
    "tlp",
    "tags",
    "started_at",
    "detected_at",
    "acknowledged_at",
    "contained_at",
    "recovered_at",
];

/// A date (`2026-03-02`, midnight UTC) or an RFC 3339 time.
fn when(text: &str) -> Result<Timestamp, String> {
    let t = text.trim();
    Timestamp::parse(t)
        .or_else(|_| Timestamp::parse(&format!("{t}T00:00:00Z")))
        .map_err(|_| format!("`{t}` is not a date (2026-03-02) or a time (2026-03-02T09:00:00Z)"))
}

/// Reads and checks a spreadsheet of incidents (CSV with a header line): the rows that are
/// right, and every problem found, each naming its row and column. Nothing is written here;
/// the caller declares the incidents only when there is no problem at all.
pub fn read_incidents(input: impl std::io::Read, now: Timestamp) -> (Vec<ImportRow>, Vec<String>) {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(input);
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|h| h.trim().to_lowercase()).collect(),
        Err(e) => {
            return (
                Vec::new(),
                vec![format!("header: the file has no header line ({e})")],
            );
        }
    };
    let mut errors = Vec::new();
    for h in &headers {
        if !COLUMNS.contains(&h.as_str()) {
            errors.push(format!(
                "header: column `{h}` is not understood; the columns are {}",
                COLUMNS.join(", ")
            ));
        }
    }
    if !headers.iter().any(|h| h == "title") {
        errors.push("header: a `title` column is required".into());
    }
    let mut rows = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let line = n as u64 + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(format!("row {line}: {e}"));
                continue;
            }
        };
        let get = |c: &str| {
            headers
                .iter()
                .position(|h| h == c)
                .and_then(|i| record.get(i))
                .map(from_spreadsheet)
                .unwrap_or("")
                .trim()
                .to_string()
        };
        let mut bad = |col: &str, why: String| errors.push(format!("row {line}, {col}: {why}"));
        let new = match NewIncident::parse(
            &get("title"),
            &get("summary"),
            &get("reporter"),
            &get("source"),
            None,
        ) {
            Ok(n) => Some(n),
            Err(e) => {
                bad("title", e.to_string());
                None
            }
        };
        let class = match (get("class"), get("type")) {
            (c, k) if c.is_empty() && k.is_empty() => None,
            (c, k) => match debrief_domain::taxonomy::Classification::parse(&c, &k) {
                Ok(x) => Some((x.class, x.kind)),
                Err(e) => {
                    bad("class/type", e.to_string());
                    None
                }
            },
        };
        let tlp = match get("tlp") {
            s if s.is_empty() => None,
            s => match s.trim_start_matches("TLP:").to_lowercase().parse::<Tlp>() {
                Ok(x) => Some(x),
                Err(e) => {
                    bad("tlp", e.to_string());
                    None
                }
            },
        };
        let tags: Vec<String> = get("tags")
            .split(';')
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect();
        let mut times = Vec::new();
        for m in [
            Milestone::Started,
            Milestone::Detected,
            Milestone::Acknowledged,
            Milestone::Contained,
            Milestone::Recovered,
        ] {
            let v = get(m.as_str());
            if v.is_empty() {
                continue;
            }
            match when(&v) {
                Ok(at) if at > now => bad(m.as_str(), format!("`{v}` is in the future")),
                Ok(at) => times.push((m, at)),
                Err(e) => bad(m.as_str(), e),
            }
        }
        if let Some(new) = new {
            rows.push(ImportRow {
                line,
                new,
                class,
                tlp,
                tags,
                times,
            });
        }
    }
    if rows.is_empty() && errors.is_empty() {
        errors.push("the file has no rows".into());
    }
    (rows, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_written_as_text() {
        for (typed, written) in [
            (
                "=HYPERLINK(\"http://evil\",\"x\")",
                "'=HYPERLINK(\"http://evil\",\"x\")",
            ),
            ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
            (
                "@SUM(1+1)*cmd|' /C calc'!A0",
                "'@SUM(1+1)*cmd|' /C calc'!A0",
            ),
            ("+1+1", "'+1+1"),
            ("-2+3", "'-2+3"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("plain text", "plain text"),
            ("a=b", "a=b"),
            ("", ""),
        ] {
            assert_eq!(spreadsheet_safe(typed), written);
            assert_eq!(from_spreadsheet(written), typed);
        }
        assert_eq!(from_spreadsheet("'quoted"), "'quoted");
    }
}
