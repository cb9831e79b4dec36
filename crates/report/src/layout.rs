//! The PDF layout's input: a report's Markdown as typesetting blocks (JSON) that `debrief-pdf`
//! typesets, never splicing text into markup.

use debrief_domain::Language;

use crate::{
    PAGEBREAK, ReportError, Snapshot, Templates, charts, context, phases_svg, render,
    render_program,
};

/// A rendered Markdown report as typesetting blocks (headings, paragraphs, lists, tables, page
/// breaks, the charts as SVG) — what the PDF layout reads. Paragraphs and list items also come
/// as styled runs (bold, italic, code); table cells are plain text.
pub fn blocks(markdown: &str, charts: &[(&str, String)]) -> Vec<serde_json::Value> {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    use serde_json::json;
    let mut out = Vec::new();
    let mut text = String::new();
    // The same text as styled runs, for paragraphs and list items.
    let mut runs = Runs::default();
    let mut items: Vec<String> = Vec::new();
    let mut rich_items: Vec<Vec<(&'static str, String)>> = Vec::new();
    // Each item's own nested list (a custody chain under its evidence), one level deep; the
    // parent item's text and runs wait while its sub-items are read.
    let mut subs: Vec<Vec<Vec<(&'static str, String)>>> = Vec::new();
    let mut item_subs: Vec<Vec<(&'static str, String)>> = Vec::new();
    let mut parent: Option<(String, Runs)> = None;
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
                    subs.clear();
                } else if in_item == 1 {
                    // A nested list: its items stay items, under their parent.
                    parent = Some((std::mem::take(&mut text), std::mem::take(&mut runs)));
                }
            }
            Event::End(TagEnd::List(_)) if in_item == 0 => {
                out.push(json!({
                    "kind": "list",
                    "items": items.clone(),
                    "rich": rich_items.clone(),
                    "subs": subs.clone(),
                }));
                items.clear();
                rich_items.clear();
                subs.clear();
            }
            Event::End(TagEnd::List(_)) if in_item == 1 => {
                if let Some((t, r)) = parent.take() {
                    text = t;
                    runs = r;
                }
            }
            Event::Start(Tag::Item) => {
                if in_item == 0 || (in_item == 1 && parent.is_some()) {
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
                    subs.push(std::mem::take(&mut item_subs));
                    text.clear();
                } else if in_item == 1 && parent.is_some() {
                    item_subs.push(runs.take());
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
    zone: &debrief_domain::Zone,
) -> Result<String, ReportError> {
    let markdown = render_program(metrics, period, "md-with-charts", lang, generated_at, zone)?;
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
