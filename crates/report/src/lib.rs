//! Incident reports: documents rendered as pure functions of an incident snapshot (or a period's
//! metrics), a template and a locale — the final report, the postmortem, the regulator drafts
//! and the program report in Markdown, self-contained HTML, JSON and the PDF layout's blocks —
//! the exchange formats (STIX 2.1, VERIS 1.4, MISP, CSV tables), and the seal that signs each
//! document with the installation's key and ties it to the journal it was rendered from.

pub mod charts;
pub mod context;
pub mod drafts;
pub mod integrity;
pub mod misp;
pub mod stix;
pub mod tables;
pub mod veris;

use std::collections::BTreeMap;
use std::path::Path;

use debrief_domain::Language;

pub use context::Snapshot;

/// A line a template writes where a printed document starts a new page (before an appendix);
/// dropped from Markdown, a print page break in HTML. In the PDF it also lets typst lay out the
/// pages on each side in parallel.
pub const PAGEBREAK: &str = "@@PAGEBREAK@@";
const PAGEBREAK_LINE: &str = "@@PAGEBREAK@@\n\n";

/// The version of the shipped templates, recorded in each seal.
pub const TEMPLATE_VERSION: &str = "2";

/// The documents Debrief renders: the final report, the postmortem report, and the regulator
/// drafts.
pub const KINDS: &[&str] = &[
    "final",
    "postmortem",
    "gdpr-33",
    "nis2-early-warning",
    "nis2-notification",
    "nis2-final",
    "dora-initial",
    "dora-intermediate",
    "dora-final",
    "sec-8k",
];
/// The regulator drafts among them.
pub const DRAFTS: &[&str] = &[
    "gdpr-33",
    "nis2-early-warning",
    "nis2-notification",
    "nis2-final",
    "dora-initial",
    "dora-intermediate",
    "dora-final",
    "sec-8k",
];
pub const FORMATS: &[&str] = &["md", "html", "json", "pdf"];

/// Why a report cannot be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("`{0}` is not a report Debrief renders; use one of: {known}", known = KINDS.join(", "))]
    UnknownKind(String),
    #[error("`{0}` is not a report format; use md, html, json or pdf")]
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
    if !KINDS.contains(&kind) {
        return Err(ReportError::UnknownKind(kind.to_string()));
    }
    if !FORMATS.contains(&format) {
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
    if format == "pdf" {
        return Err(ReportError::UnknownFormat(
            "pdf (typeset from pdf_source by debrief-pdf)".into(),
        ));
    }
    check(kind, format)?;
    let mut ctx = context::context(snap, lang);
    let template = if DRAFTS.contains(&kind) {
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

/// The template environment for Markdown documents: strict about missing fields, and every
/// string printed into the document is Markdown-escaped, so text typed into an incident
/// (`\\FS01\share`, `*.lockd`, a `|` in a table cell) reads the same in every format.
fn markdown_env() -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.set_formatter(|out, state, value| match value.as_str() {
        Some(text) if !value.is_safe() => Ok(out.write_str(&markdown_escape(text))?),
        _ => minijinja::escape_formatter(out, state, value),
    });
    env
}

/// Escapes text for Markdown: the inline syntax characters get a backslash, an HTML entity's
/// `&` too, line breaks become spaces (a value never starts a new block), and a value that
/// would open a list or a heading at the start of a line is escaped there.
pub fn markdown_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let leading_digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let list_marker = match text.as_bytes().get(leading_digits) {
        Some(b'.' | b')')
            if leading_digits > 0
                && text
                    .as_bytes()
                    .get(leading_digits + 1)
                    .is_none_or(u8::is_ascii_whitespace) =>
        {
            Some(leading_digits)
        }
        _ => None,
    };
    for (k, c) in text.char_indices() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '&' if is_entity(&text[k + 1..]) => out.push_str("\\&"),
            // Never a layout marker (`@@PHASES@@`) from typed text.
            '@' if text[k + 1..].starts_with('@') => out.push_str("\\@"),
            '-' | '+' | '=' if k == 0 => {
                out.push('\\');
                out.push(c);
            }
            '.' | ')' if list_marker == Some(k) => {
                out.push('\\');
                out.push(c);
            }
            '\r' => {}
            '\n' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// Whether text after an `&` would make an HTML entity (`amp;`, `#60;`).
fn is_entity(rest: &str) -> bool {
    let name = rest
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'#')
        .count();
    name > 0 && rest.as_bytes().get(name) == Some(&b';')
}

/// Markdown to a self-contained HTML page; HTML written in the incident's own text is shown as
/// text, never interpreted.
fn html(markdown: &str, chart: &str, lang: Language, title: &str) -> String {
    use pulldown_cmark::{Event, Options, Parser, html::push_html};
    let parser = Parser::new_ext(markdown, Options::ENABLE_TABLES).map(|e| match e {
        Event::Html(s) | Event::InlineHtml(s) => Event::Text(s),
        other => other,
    });
    let mut body = String::new();
    push_html(&mut body, parser);
    let body = body
        .replace("<p>@@PHASES@@</p>", chart)
        .replace("<p>@@PAGEBREAK@@</p>", "<div class=\"page-break\"></div>");
    format!(
        "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{title}</title><style>{css}</style></head>\n<body>\n{body}</body></html>\n",
        lang = lang.as_str(),
        title = escape(title),
        css = CSS,
    )
}

const CSS: &str = "body{font-family:system-ui,sans-serif;max-width:56rem;margin:2rem auto;padding:0 1rem;color:#1c2430;line-height:1.45}table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #d5dbe3;padding:.3rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}code{font-size:.85em}h1{font-size:1.6rem}h2{border-bottom:1px solid #d5dbe3;padding-bottom:.2rem;margin-top:2rem}svg{max-width:100%;height:auto}@media print{body{margin:0}.page-break{break-before:page}h2{break-after:avoid}tr{break-inside:avoid}}";

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The incident's phases as horizontal bars on one time axis.
fn phases_svg(phases: &[(String, i64, i64)], lang: Language) -> String {
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
        let hours = context::decimal(&format!("{:.1} h", *len as f64 / 3600.0), lang);
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
) -> Result<String, ReportError> {
    let keep_markers = format == "md-with-charts";
    let format = if keep_markers { "md" } else { format };
    if !FORMATS.contains(&format) || format == "pdf" {
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
        "generated": context::date(generated_at, lang),
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
            Some(h) => format!("{} h", context::decimal(&h.to_string(), lang)),
        }
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

/// A rendered Markdown report as typesetting blocks (headings, paragraphs, lists, tables, the
/// charts as SVG) — what the PDF layout reads. Inline emphasis becomes plain text.
pub fn blocks(markdown: &str, charts: &[(&str, String)]) -> Vec<serde_json::Value> {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    use serde_json::json;
    let mut out = Vec::new();
    let mut text = String::new();
    // The same text as styled runs, for paragraphs and list items.
    let mut runs = Runs::default();
    let mut items: Vec<String> = Vec::new();
    let mut rich_items: Vec<Vec<(&'static str, String)>> = Vec::new();
    let mut row: Vec<String> = Vec::new();
    let mut header: Vec<String> = Vec::new();
    let mut rows: Vec<Vec<String>> = Vec::new();
    let (mut in_item, mut in_head, mut in_table, mut in_quote) = (0usize, false, false, false);
    let mut level = 1u8;
    for e in Parser::new_ext(markdown, Options::ENABLE_TABLES) {
        match e {
            Event::Start(Tag::Heading { level: l, .. }) => {
                level = l as u8;
                text.clear();
            }
            Event::End(TagEnd::Heading(_)) => {
                out.push(json!({"kind": "h", "level": level, "text": text.trim()}));
                text.clear();
            }
            Event::Start(Tag::Paragraph) if in_item == 0 && !in_table => {
                text.clear();
                runs.clear();
            }
            Event::End(TagEnd::Paragraph) if in_item == 0 && !in_table => {
                let t = text.trim().to_string();
                if t == PAGEBREAK {
                    out.push(json!({"kind": "pagebreak"}));
                } else if let Some((_, svg)) = charts.iter().find(|(k, _)| t == *k) {
                    if !svg.is_empty() {
                        out.push(json!({"kind": "svg", "svg": svg}));
                    }
                } else if !t.is_empty() {
                    out.push(json!({
                        "kind": if in_quote { "quote" } else { "p" },
                        "text": t,
                        "runs": runs.take(),
                    }));
                }
                text.clear();
            }
            Event::Start(Tag::BlockQuote(_)) => in_quote = true,
            Event::End(TagEnd::BlockQuote(_)) => in_quote = false,
            Event::Start(Tag::List(_)) => {
                if in_item == 0 {
                    items.clear();
                    rich_items.clear();
                } else {
                    // A nested list continues its parent item's text.
                    text.push_str(" — ");
                    runs.push(" — ", "");
                }
            }
            Event::End(TagEnd::List(_)) if in_item == 0 => {
                out.push(
                    json!({"kind": "list", "items": items.clone(), "rich": rich_items.clone()}),
                );
                items.clear();
                rich_items.clear();
            }
            Event::Start(Tag::Item) => {
                if in_item == 0 {
                    text.clear();
                    runs.clear();
                }
                in_item += 1;
            }
            Event::End(TagEnd::Item) => {
                in_item -= 1;
                if in_item == 0 {
                    items.push(text.trim().to_string());
                    rich_items.push(runs.take());
                    text.clear();
                }
            }
            Event::Start(Tag::Table(_)) => {
                in_table = true;
                header.clear();
                rows.clear();
            }
            Event::End(TagEnd::Table) => {
                in_table = false;
                let width = header.len().max(1);
                let rows: Vec<Vec<String>> = rows
                    .drain(..)
                    .map(|mut r| {
                        r.resize(width, String::new());
                        r
                    })
                    .collect();
                // Column widths in proportion to the longest text in each (within 3–48
                // characters): the layout then never measures every cell to size a column.
                let widths: Vec<usize> = (0..width)
                    .map(|c| {
                        rows.iter()
                            .map(|r| &r[c])
                            .chain(header.get(c))
                            .map(|t| t.chars().count())
                            .max()
                            .unwrap_or(0)
                            .clamp(3, 48)
                    })
                    .collect();
                out.push(json!({"kind": "table", "header": header.clone(), "rows": rows, "widths": widths}));
            }
            Event::Start(Tag::TableHead) => {
                in_head = true;
                row.clear();
            }
            Event::End(TagEnd::TableHead) => {
                in_head = false;
                header = std::mem::take(&mut row);
            }
            Event::Start(Tag::TableRow) => row.clear(),
            Event::End(TagEnd::TableRow) if !in_head => rows.push(std::mem::take(&mut row)),
            Event::Start(Tag::TableCell) => text.clear(),
            Event::End(TagEnd::TableCell) => {
                row.push(text.trim().to_string());
                text.clear();
            }
            Event::Start(Tag::Strong) => runs.bold += 1,
            Event::End(TagEnd::Strong) => runs.bold = runs.bold.saturating_sub(1),
            Event::Start(Tag::Emphasis) => runs.italic += 1,
            Event::End(TagEnd::Emphasis) => runs.italic = runs.italic.saturating_sub(1),
            Event::Code(t) => {
                text.push_str(&t);
                runs.push(&t, "c");
            }
            Event::Text(t) | Event::Html(t) | Event::InlineHtml(t) => {
                text.push_str(&t);
                let style = runs.style();
                runs.push(&t, style);
            }
            Event::SoftBreak | Event::HardBreak => {
                text.push(' ');
                let style = runs.style();
                runs.push(" ", style);
            }
            _ => {}
        }
    }
    out
}

/// Inline text as runs of one style each: `""` plain, `"b"` bold, `"i"` italic, `"c"` code.
#[derive(Default)]
struct Runs {
    runs: Vec<(&'static str, String)>,
    bold: u32,
    italic: u32,
}

impl Runs {
    fn style(&self) -> &'static str {
        match (self.bold > 0, self.italic > 0) {
            (true, _) => "b",
            (false, true) => "i",
            (false, false) => "",
        }
    }

    fn push(&mut self, text: &str, style: &'static str) {
        match self.runs.last_mut() {
            Some((s, t)) if *s == style => t.push_str(text),
            _ => self.runs.push((style, text.to_string())),
        }
    }

    fn clear(&mut self) {
        self.runs.clear();
        self.bold = 0;
        self.italic = 0;
    }

    /// The runs, trimmed at both ends like the plain text, and cleared.
    fn take(&mut self) -> Vec<(&'static str, String)> {
        let mut runs = std::mem::take(&mut self.runs);
        if let Some((_, t)) = runs.first_mut() {
            *t = t.trim_start().to_string();
        }
        if let Some((_, t)) = runs.last_mut() {
            *t = t.trim_end().to_string();
        }
        runs.retain(|(_, t)| !t.is_empty());
        self.clear();
        runs
    }
}

/// The PDF layout's input for an incident report (typeset by `debrief-pdf`).
pub fn pdf_source(
    templates: &Templates,
    kind: &str,
    lang: Language,
    snap: &Snapshot<'_>,
) -> Result<String, ReportError> {
    let markdown = render(templates, kind, "md-with-charts", lang, snap)?;
    let chart = phases_svg(&context::phases(snap.incident), lang);
    Ok(serde_json::json!({
        "title": format!("#{} {}", snap.incident.number, snap.incident.title),
        "lang": lang.as_str(),
        "footer": format!("Debrief · #{} · TLP:{}", snap.incident.number, snap.incident.tlp.as_str().to_uppercase()),
        "blocks": blocks(&markdown, &[("@@PHASES@@", chart)]),
    })
    .to_string())
}

/// The PDF layout's input for the program report.
pub fn program_pdf_source(
    metrics: &debrief_domain::metrics::Metrics,
    period: &str,
    lang: Language,
    generated_at: debrief_domain::Timestamp,
) -> Result<String, ReportError> {
    let markdown = render_program(metrics, period, "md-with-charts", lang, generated_at)?;
    let labels = context::labels(lang);
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
    Ok(serde_json::json!({
        "title": lab("program_title"),
        "lang": lang.as_str(),
        "footer": format!("Debrief · {period}"),
        "blocks": blocks(&markdown, &[("@@TREND@@", chart)]),
    })
    .to_string())
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
            check("final", "docx"),
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
            "Rapport d'incident — #4 Phishing <b>wave</b>"
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
    fn typed_text_reads_the_same_in_every_format() {
        assert_eq!(
            markdown_escape("\\\\FS01\\finance *.lockd | <b>x</b> &amp; AT&T"),
            "\\\\\\\\FS01\\\\finance \\*.lockd \\| \\<b\\>x\\</b\\> \\&amp; AT&T"
        );
        assert_eq!(markdown_escape("- not a list\nline"), "\\- not a list line");
        assert_eq!(markdown_escape("1. not a list"), "1\\. not a list");
        assert_eq!(markdown_escape("1.2 GB"), "1.2 GB");
        // Through a template into HTML and the PDF's blocks: the text as typed.
        let typed = "\\\\FS01\\finance *.lockd | [link](x) _a_";
        let env = markdown_env();
        let md = env
            .render_str(
                "| a | b |\n|---|---|\n| {{ t }} | x |\n\n{{ t }}\n",
                minijinja::context! { t => typed },
            )
            .unwrap();
        let blocks = blocks(&md, &[]);
        assert_eq!(blocks[0]["rows"][0][0], typed, "{md}");
        assert_eq!(blocks[1]["text"], typed, "{md}");
        let page = html(&md, "", Language::En, "t");
        assert!(
            page.contains("\\\\FS01\\finance *.lockd | [link](x) _a_"),
            "{page}"
        );
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
        };
        let e = render(&t, "final", "md", Language::En, &snap)
            .unwrap_err()
            .to_string();
        assert!(e.contains("final.md:3") && e.contains("titel"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[cfg(test)]
mod draft_tests {
    use super::*;
    use debrief_domain::journal::{ChainTips, seal};
    use debrief_domain::text::Actor;
    use debrief_domain::{Event, Hash, Incident, JournalEntry, Milestone, NewIncident, Timestamp};

    /// A personal-data breach, significant under NIS2, aware at 09:00 on 20 November.
    fn breach() -> (Incident, Vec<JournalEntry>) {
        let actor = Actor::parse("maria").unwrap();
        let id = debrief_domain::IncidentId::new();
        let mut entries: Vec<JournalEntry> = Vec::new();
        let at = Timestamp::parse("2026-11-21T12:00:00Z").unwrap();
        let now = Timestamp::parse("2026-11-22T00:00:00Z").unwrap();
        type Step<'a> = Box<dyn Fn(&Incident) -> Event + 'a>;
        let steps: Vec<Step<'_>> = vec![
            Box::new(|i| {
                i.classify("information-content-security", "data-leak", "")
                    .unwrap()
            }),
            Box::new(|i| {
                i.set_milestone(
                    Milestone::Aware,
                    Timestamp::parse("2026-11-20T09:00:00Z").unwrap(),
                    "DPO",
                    "",
                    now,
                )
                .unwrap()
            }),
            Box::new(|i| {
                i.set_flags(&["personal_data".into(), "significant".into()], "")
                    .unwrap()
            }),
        ];
        let opened = NewIncident::parse(
            "Customer records exposed",
            "An open share held the CRM export",
            "SOC",
            "mail",
            None,
        )
        .unwrap()
        .into_event(9);
        let push = |event: Event, entries: &mut Vec<JournalEntry>| {
            let tips = entries.last().map(|e| e.tips()).unwrap_or(ChainTips {
                seq: 0,
                hash: Hash::ZERO,
                gseq: 0,
                ledger_hash: Hash::ZERO,
            });
            entries.push(seal(id, &tips, at, &actor, &event).unwrap());
        };
        push(opened, &mut entries);
        for step in steps {
            let e = step(&Incident::from_journal(&entries).unwrap());
            push(e, &mut entries);
        }
        (Incident::from_journal(&entries).unwrap(), entries)
    }

    #[test]
    fn drafts_ask_what_each_regime_asks_and_flag_the_gaps() {
        let (i, j) = breach();
        let regimes = debrief_domain::obligation::Regimes::builtin();
        let now = Timestamp::parse("2026-11-21T13:00:00Z").unwrap();
        let snap = Snapshot {
            incident: &i,
            journal: &j,
            obligations: i.obligations(regimes, now),
            effectiveness: vec![],
            generated_at: now,
        };
        let d = drafts::draft("gdpr-33", &snap, Language::En);
        assert_eq!(
            d.due.as_deref(),
            Some("2026-11-23 09:00 UTC"),
            "72 h after awareness"
        );
        assert!(d.recipient.is_some());
        let labels: Vec<&str> = d.items.iter().map(|x| x.label.as_str()).collect();
        assert!(labels.contains(&"Data protection officer or other contact point"));
        let nature = &d.items[0];
        assert_eq!(
            nature.value.as_deref(),
            Some(
                "Information content security / Leak of confidential information; An open share held the CRM export"
            )
        );
        // No DPO contact, no people counted, no consequences or measures recorded yet.
        assert_eq!(d.gaps, 4, "{d:?}");
        let early = drafts::draft("nis2-early-warning", &snap, Language::Fr);
        assert_eq!(early.due.as_deref(), Some("21/11/2026 09:00 UTC"));
        assert_eq!(
            early.items[0].label,
            "Acte illicite ou malveillant suspecté ?"
        );
        assert_eq!(
            early.gaps, 2,
            "malicious? and cross-border? are for a person to answer"
        );
        let t = Templates::default();
        for kind in DRAFTS {
            for lang in [Language::En, Language::Fr] {
                let md = render(&t, kind, "md", lang, &snap).unwrap();
                assert!(md.starts_with("# "), "{kind}: {md}");
                let json: serde_json::Value =
                    serde_json::from_str(&render(&t, kind, "json", lang, &snap).unwrap()).unwrap();
                assert_eq!(json["d"]["kind"], *kind);
            }
        }
        let md = render(&t, "gdpr-33", "md", Language::Fr, &snap).unwrap();
        assert!(md.contains("Notification de violation de données personnelles (RGPD art. 33)"));
        assert!(md.contains("⚠ Lacune"), "{md}");
    }
}
