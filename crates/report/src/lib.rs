//! Incident reports: documents rendered as pure functions of an incident snapshot (or a period's
//! metrics), a template and a locale — the final report, the postmortem, the regulator drafts
//! and the program report in Markdown, self-contained HTML, JSON and the PDF layout's blocks —
//! the exchange formats (STIX 2.1, VERIS 1.4, MISP, CSV tables), and the seal that signs each
//! document with the installation's key and ties it to the journal it was rendered from.

pub mod charts;
pub mod context;
pub mod docx;
pub mod drafts;
pub mod integrity;
pub mod journal;
pub mod layout;
mod markdown;
pub mod misp;
pub mod stix;
pub mod tables;
pub mod veris;

use std::collections::BTreeMap;
use std::path::Path;

use debrief_domain::Language;

pub use context::Snapshot;
pub use layout::{blocks, pdf_source, program_pdf_source};
pub use markdown::markdown_escape;
use markdown::{escape, html, markdown_env};

/// A line a template writes where a printed document starts a new page (before an appendix);
/// dropped from Markdown, a print page break in HTML. In the PDF it also lets typst lay out the
/// pages on each side in parallel.
pub const PAGEBREAK: &str = "@@PAGEBREAK@@";
const PAGEBREAK_LINE: &str = "@@PAGEBREAK@@\n\n";

/// The version of the shipped templates, recorded in each seal.
pub const TEMPLATE_VERSION: &str = "5";

debrief_domain::closed_enum!(
    /// The exchange formats an incident is exported in, for other tools: a STIX 2.1 bundle, a
    /// VERIS 1.4 record, a MISP event, or one of its tables as CSV.
    ExchangeFormat, "export format" { Stix = "stix", Veris = "veris", Misp = "misp", Csv = "csv" }
);

debrief_domain::closed_enum!(
    /// The documents Debrief renders about an incident: the final report, the postmortem
    /// report, and the regulator drafts.
    ReportKind, "report" {
        Final = "final", Postmortem = "postmortem", Gdpr33 = "gdpr-33",
        Nis2EarlyWarning = "nis2-early-warning", Nis2Notification = "nis2-notification",
        Nis2Final = "nis2-final", DoraInitial = "dora-initial",
        DoraIntermediate = "dora-intermediate", DoraFinal = "dora-final", Sec8k = "sec-8k"
    }
);

debrief_domain::closed_enum!(
    /// The formats a report is written in (`docx`: Word).
    ReportFormat, "report format" { Md = "md", Html = "html", Json = "json", Pdf = "pdf", Docx = "docx" }
);

impl ReportKind {
    /// Whether it is a regulator draft (rendered from the `draft` template).
    pub fn is_draft(self) -> bool {
        !matches!(self, ReportKind::Final | ReportKind::Postmortem)
    }
}

/// The regulator drafts among the kinds.
pub fn drafts() -> impl Iterator<Item = ReportKind> {
    ReportKind::ALL.iter().copied().filter(|k| k.is_draft())
}

/// The kinds' names, for a message.
fn kind_names() -> String {
    ReportKind::ALL
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The media type of a report `format` (one of [`ReportFormat`], or `csv`).
pub fn media_type(format: &str) -> &'static str {
    match format {
        "html" => "text/html; charset=utf-8",
        "json" => "application/json",
        "csv" => "text/csv; charset=utf-8",
        "pdf" => "application/pdf",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ => "text/markdown; charset=utf-8",
    }
}

/// Why a report cannot be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("`{0}` is not a report Debrief renders; use one of: {known}", known = kind_names())]
    UnknownKind(String),
    #[error("`{0}` is not a report format; use md, html, json, pdf or docx")]
    UnknownFormat(String),
    /// A template failed: names the template, the line and what was missing.
    #[error("report template {0}")]
    Template(String),
    #[error("cannot read the report templates in {dir}: {why}")]
    Overrides { dir: String, why: String },
    #[error("`{0}` is not a table Debrief writes; use one of: {known}", known = tables::TABLES.join(", "))]
    UnknownTable(String),
    #[error("cannot write the CSV: {0}")]
    Csv(String),
}

/// The report templates: shipped, overridable by `NAME.md` files in a folder.
#[derive(Debug, Clone)]
pub struct Templates {
    texts: BTreeMap<String, String>,
}

impl Default for Templates {
    fn default() -> Self {
        Self {
            texts: [
                ("final", include_str!("../templates/final.md")),
                ("postmortem", include_str!("../templates/postmortem.md")),
                ("draft", include_str!("../templates/draft.md")),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        }
    }
}

impl Templates {
    /// The shipped templates with `final.md` / `postmortem.md` from `dir` where present.
    pub fn load(dir: &Path) -> Result<Templates, ReportError> {
        let mut t = Templates::default();
        for kind in ["final", "postmortem", "draft"] {
            let path = dir.join(format!("{kind}.md"));
            if path.is_file() {
                let text = std::fs::read_to_string(&path).map_err(|e| ReportError::Overrides {
                    dir: dir.display().to_string(),
                    why: e.to_string(),
                })?;
                t.texts.insert(kind.to_string(), text);
            }
        }
        Ok(t)
    }
}

/// Checks the kind and format a user asked for.
pub fn check(kind: &str, format: &str) -> Result<(), ReportError> {
    if kind.parse::<ReportKind>().is_err() {
        return Err(ReportError::UnknownKind(kind.to_string()));
    }
    if format.parse::<ReportFormat>().is_err() {
        return Err(ReportError::UnknownFormat(format.to_string()));
    }
    Ok(())
}

/// Renders `kind` of the snapshot in `format` and `lang` (unsealed).
pub fn render(
    templates: &Templates,
    kind: &str,
    format: &str,
    lang: Language,
    snap: &Snapshot<'_>,
) -> Result<String, ReportError> {
    // `md-with-charts`: the Markdown with the chart markers kept, for the PDF layout.
    let keep_markers = format == "md-with-charts";
    let format = if keep_markers { "md" } else { format };
    if format == "pdf" || format == "docx" {
        return Err(ReportError::UnknownFormat(format!(
            "{format} (written from pdf_source by debrief-pdf or docx::render)"
        )));
    }
    check(kind, format)?;
    let mut ctx = context::context(snap, lang);
    let template = if kind.parse::<ReportKind>().is_ok_and(ReportKind::is_draft) {
        if let Some(o) = ctx.as_object_mut() {
            let d = drafts::draft(kind, snap, lang);
            o.insert("d".into(), serde_json::to_value(d).unwrap_or_default());
        }
        "draft"
    } else {
        kind
    };
    if format == "json" {
        let mut doc = ctx;
        if let Some(o) = doc.as_object_mut() {
            o.remove("l");
            o.insert("kind".into(), kind.into());
        }
        return Ok(serde_json::to_string_pretty(&doc).unwrap_or_default());
    }
    let source = templates
        .texts
        .get(template)
        .ok_or_else(|| ReportError::UnknownKind(kind.to_string()))?;
    let env = markdown_env();
    let name = format!("{template}.md");
    let markdown = env
        .render_named_str(
            &name,
            source,
            minijinja::Value::from(minijinja::value::Serde(&ctx)),
        )
        .map_err(|e| ReportError::Template(e.to_string()))?;
    if format == "md" {
        if keep_markers {
            return Ok(markdown);
        }
        return Ok(markdown
            .replace("@@PHASES@@\n", "")
            .replace(PAGEBREAK_LINE, ""));
    }
    let chart = phases_svg(&context::phases(snap.incident), lang);
    let title = format!("#{} {}", snap.incident.number, snap.incident.title);
    Ok(html(&markdown, &chart, lang, &title))
}

/// The incident's phases as horizontal bars on one time axis.
pub(crate) fn phases_svg(phases: &[(String, i64, i64)], lang: Language) -> String {
    let labels = &context::labels(lang);
    if phases.is_empty() {
        return String::new();
    }
    let end = phases
        .iter()
        .map(|(_, s, l)| s + l)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let (width, row, left) = (640.0, 26.0, 230.0);
    let height = row * phases.len() as f64 + 30.0;
    let title = labels.get("phase_chart").cloned().unwrap_or_default();
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{t}\"><title>{t}</title>",
        t = escape(&title)
    );
    for (k, (key, start, len)) in phases.iter().enumerate() {
        let y = 10.0 + row * k as f64;
        let x = left + (width - left - 10.0) * (*start as f64) / end;
        let w = ((width - left - 10.0) * (*len as f64) / end).max(2.0);
        let name = labels.get(key).cloned().unwrap_or_else(|| key.clone());
        let hours = context::hours(*len as f64, lang);
        // The figure after the bar, or inside its end in white when the bar reaches the edge.
        let (lx, anchor, fill) = if x + w + 60.0 <= width {
            (x + w + 4.0, "start", "#1c2430")
        } else {
            (x + w - 4.0, "end", "#ffffff")
        };
        svg.push_str(&format!(
            "<text x=\"0\" y=\"{ty}\" font-size=\"12\">{n}</text><rect x=\"{x:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"16\" fill=\"{c}\"><title>{n}: {hours}</title></rect><text x=\"{lx:.1}\" y=\"{ty}\" font-size=\"11\" text-anchor=\"{anchor}\" fill=\"{fill}\">{hours}</text>",
            ty = y + 12.0,
            n = escape(&name),
            c = ["#8a3b7a", "#e07b24", "#3b8a4a"][k % 3],
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// The program report over a period: the metrics' figures with a trend chart, in `format` and
/// `lang` (unsealed). `period` is how the period reads (`2026-01-01 – 2026-07-01`).
pub fn render_program(
    metrics: &debrief_domain::metrics::Metrics,
    period: &str,
    format: &str,
    lang: Language,
    generated_at: debrief_domain::Timestamp,
    zone: &debrief_domain::Zone,
) -> Result<String, ReportError> {
    let keep_markers = format == "md-with-charts";
    let format = if keep_markers { "md" } else { format };
    if format.parse::<ReportFormat>().is_err() || format == "pdf" || format == "docx" {
        return Err(ReportError::UnknownFormat(format.to_string()));
    }
    let labels = context::labels(lang);
    let costs: Vec<(String, serde_json::Value)> = metrics
        .costs
        .iter()
        .map(|(cur, c)| {
            (
                cur.clone(),
                serde_json::json!({
                    "direct": context::money(c.direct, cur, lang),
                    "indirect": context::money(c.indirect, cur, lang),
                    "recovered": context::money(c.recovered, cur, lang),
                    "net": context::money(c.net, cur, lang),
                }),
            )
        })
        .collect();
    // Class ids and severity levels as the reader names them.
    let names: BTreeMap<String, String> = debrief_domain::taxonomy::classes()
        .iter()
        .map(|c| {
            let name = debrief_domain::taxonomy::label(&c.en, &c.fr, lang);
            (c.id.clone(), name)
        })
        .chain((0..=5).map(|n| (n.to_string(), context::severity(n, &labels))))
        .collect();
    let ctx = serde_json::json!({
        "l": labels,
        "m": metrics,
        "names": names,
        "period": period,
        "generated": context::date(generated_at, lang, zone),
        "zone": zone.name(),
        "costs": costs,
    });
    if format == "json" {
        let doc = serde_json::json!({"kind": "program", "period": period, "metrics": metrics});
        return Ok(serde_json::to_string_pretty(&doc).unwrap_or_default());
    }
    let mut env = markdown_env();
    // Hours as the reader writes numbers: `2.5 h`, `2,5 h`; a figure that could not be measured
    // is a dash, never a zero.
    env.add_filter("hours", move |v: Option<f64>| -> String {
        match v {
            None => "—".into(),
            Some(h) => format!("{} h", debrief_domain::locale::figure(h, lang)),
        }
    });
    // `75.0%`, `75,0 %`.
    env.add_filter("pct", move |v: f64| {
        debrief_domain::locale::percent(v, lang)
    });
    // `count(n, "recs_total")`: the number and the label in the singular (`{key}_one`) or plural.
    let words = labels.clone();
    env.add_function("count", move |n: u64, key: String| -> String {
        let one = format!("{key}_one");
        let word = match words.get(&one) {
            Some(w) if debrief_domain::locale::is_one(n, lang) => w,
            _ => words.get(&key).unwrap_or(&key),
        };
        format!(
            "{} {word}",
            debrief_domain::locale::number(n as f64, 0, lang)
        )
    });
    let markdown = env
        .render_named_str(
            "program.md",
            include_str!("../templates/program.md"),
            minijinja::Value::from(minijinja::value::Serde(&ctx)),
        )
        .map_err(|e| ReportError::Template(e.to_string()))?;
    if format == "md" {
        if keep_markers {
            return Ok(markdown);
        }
        return Ok(markdown.replace("@@TREND@@\n", ""));
    }
    let lab = |k: &str| labels.get(k).cloned().unwrap_or_default();
    let chart = charts::bars(
        &lab("trend"),
        &[&lab("opened"), &lab("closed_n")],
        &metrics
            .months
            .iter()
            .map(|x| (x.month.clone(), vec![x.opened as f64, x.closed as f64]))
            .collect::<Vec<_>>(),
    );
    let page = html(&markdown, "", lang, &lab("program_title"));
    Ok(page.replace("<p>@@TREND@@</p>", &chart))
}

#[cfg(test)]
mod tests {
    use super::*;
    use debrief_domain::journal::{ChainTips, seal};
    use debrief_domain::text::Actor;
    use debrief_domain::{Hash, Incident, JournalEntry, Milestone, NewIncident, Timestamp};

    fn journal() -> (Incident, Vec<JournalEntry>) {
        let actor = Actor::parse("maria").unwrap();
        let id = debrief_domain::IncidentId::new();
        let mut entries: Vec<JournalEntry> = Vec::new();
        let push = |event, entries: &mut Vec<JournalEntry>| {
            let tips = entries.last().map(|e| e.tips()).unwrap_or(ChainTips {
                seq: 0,
                hash: Hash::ZERO,
                gseq: 0,
                ledger_hash: Hash::ZERO,
            });
            let at = Timestamp::parse("2026-11-21T12:00:00Z").unwrap();
            entries.push(seal(id, &tips, at, &actor, &event).unwrap());
        };
        let new = NewIncident::parse(
            "Phishing <b>wave</b>",
            "Finance staff | passwords",
            "SOC",
            "mail",
            None,
        )
        .unwrap();
        push(new.into_event(4), &mut entries);
        let now = Timestamp::parse("2026-11-22T00:00:00Z").unwrap();
        for (m, t) in [
            (Milestone::Started, "2026-11-20T02:10:00Z"),
            (Milestone::Detected, "2026-11-20T09:00:00Z"),
        ] {
            let i = Incident::from_journal(&entries).unwrap();
            let e = i
                .set_milestone(m, Timestamp::parse(t).unwrap(), "EDR", "", now)
                .unwrap();
            push(e, &mut entries);
        }
        (Incident::from_journal(&entries).unwrap(), entries)
    }

    #[test]
    fn both_reports_render_in_every_format_and_both_languages() {
        let (i, j) = journal();
        let snap = Snapshot {
            incident: &i,
            journal: &j,
            obligations: vec![],
            effectiveness: debrief_domain::effectiveness::effectiveness(&i, &Default::default()),
            generated_at: Timestamp::parse("2026-11-22T08:00:00Z").unwrap(),
            zone: debrief_domain::Zone::utc(),
        };
        let t = Templates::default();
        for (lang, heading, pm) in [
            (
                Language::En,
                "## 1. Executive summary",
                "## What went wrong",
            ),
            (
                Language::Fr,
                "## 1. Synthèse pour la direction",
                "## Ce qui a mal tourné",
            ),
        ] {
            let md = render(&t, "final", "md", lang, &snap).unwrap();
            assert!(md.contains(heading), "{md}");
            assert!(
                md.contains(&j.last().unwrap().hash.to_hex()),
                "the head is in the appendix"
            );
            let html = render(&t, "final", "html", lang, &snap).unwrap();
            assert!(html.contains("<svg") && html.contains("</html>"));
            assert!(
                !html.contains("<b>wave</b>"),
                "HTML in the title is shown as text"
            );
            assert!(html.contains("&lt;b&gt;wave&lt;/b&gt;"));
            let post = render(&t, "postmortem", "md", lang, &snap).unwrap();
            assert!(post.contains(pm), "{post}");
            let json: serde_json::Value =
                serde_json::from_str(&render(&t, "final", "json", lang, &snap).unwrap()).unwrap();
            assert_eq!(json["incident"]["number"], 4);
            assert_eq!(json["kind"], "final");
        }
        assert_eq!(
            check("sec-9k", "md"),
            Err(ReportError::UnknownKind("sec-9k".into()))
        );
        assert!(matches!(
            check("final", "odt"),
            Err(ReportError::UnknownFormat(_))
        ));
        // The PDF layout's input: headings, the phases chart, the journal table.
        let src: serde_json::Value =
            serde_json::from_str(&pdf_source(&t, "final", Language::Fr, &snap).unwrap()).unwrap();
        let kinds: Vec<&str> = src["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["kind"].as_str().unwrap())
            .collect();
        assert!(kinds.contains(&"svg") && kinds.contains(&"table") && kinds.contains(&"list"));
        assert_eq!(
            src["blocks"][0]["text"],
            "Rapport d’incident — #4 Phishing <b>wave</b>"
        );
        // Bold labels stay bold: the summary's list items come as styled runs too.
        let summary = src["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["kind"] == "list")
            .unwrap();
        assert_eq!(
            summary["rich"][0][0],
            serde_json::json!(["b", "Classification\u{a0}:"])
        );
        assert_eq!(summary["items"][0], "Classification\u{a0}: —");
    }

    #[test]
    fn a_template_error_names_the_template_and_line() {
        let dir = std::env::temp_dir().join(format!("debrief-report-tpl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("final.md"),
            "# {{ incident.title }}\n\n{{ incident.titel }}\n",
        )
        .unwrap();
        let t = Templates::load(&dir).unwrap();
        let (i, j) = journal();
        let snap = Snapshot {
            incident: &i,
            journal: &j,
            obligations: vec![],
            effectiveness: vec![],
            generated_at: Timestamp::parse("2026-11-22T08:00:00Z").unwrap(),
            zone: debrief_domain::Zone::utc(),
        };
        let e = render(&t, "final", "md", Language::En, &snap)
            .unwrap_err()
            .to_string();
        assert!(e.contains("final.md:3") && e.contains("titel"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
