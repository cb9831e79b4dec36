//! Word (DOCX) output: the same layout input the PDF is typeset from (title, footer, blocks),
//! written as an Office Open XML document by `docx-rs`, with Word's built-in heading styles so a
//! reader can insert a table of contents and keep editing the report in their word processor.

use std::io::Cursor;

use debrief_domain::Language;
use docx_rs::{
    AbstractNumbering, AlignmentType, BreakType, Docx, Footer, IndentLevel, Level, LevelJc,
    LevelText, LineSpacing, NumberFormat, Numbering, NumberingId, PageMargin, PageNum, Paragraph,
    Run, RunFonts, Shading, SpecialIndentType, Start, Style, StyleType, Table, TableCell, TableRow,
    WidthType,
};
use serde::Deserialize;

use crate::{ReportError, context};

/// The text width of an A4 page with 2 cm margins, in twentieths of a point.
const TEXT_WIDTH: usize = 9638;
/// The bullets' numbering (docx-rs already defines numbering 1, decimal).
const BULLETS: usize = 2;
const MONO: &str = "Liberation Mono";

/// The layout input (what [`crate::pdf_source`] writes).
#[derive(Debug, Deserialize)]
struct Source {
    title: String,
    lang: String,
    #[serde(default)]
    footer: String,
    blocks: Vec<Block>,
}

/// One typesetting block; see [`crate::blocks`].
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum Block {
    H {
        level: u8,
        text: String,
    },
    P {
        #[serde(default)]
        runs: Vec<(String, String)>,
    },
    Quote {
        #[serde(default)]
        runs: Vec<(String, String)>,
    },
    List {
        #[serde(default)]
        rich: Vec<Vec<(String, String)>>,
        #[serde(default)]
        subs: Vec<Vec<Vec<(String, String)>>>,
    },
    Table {
        header: Vec<String>,
        rows: Vec<Vec<String>>,
        #[serde(default)]
        widths: Vec<usize>,
    },
    Svg {
        svg: String,
    },
    Pagebreak,
}

/// Writes the layout input `source` (JSON) as a DOCX document.
pub fn render(source: &str) -> Result<Vec<u8>, ReportError> {
    let src: Source = serde_json::from_str(source)
        .map_err(|e| ReportError::Template(format!("the layout input does not read: {e}")))?;
    let lang: Language = src.lang.parse().unwrap_or(Language::En);
    let labels = context::labels(lang);
    let mut doc = styles(Docx::new())
        .page_size(11906, 16838)
        .page_margin(
            PageMargin::new()
                .top(1134)
                .bottom(1134)
                .left(1134)
                .right(1134),
        )
        .add_abstract_numbering(bullets())
        .add_numbering(Numbering::new(BULLETS, BULLETS))
        .footer(
            Footer::new().add_paragraph(
                Paragraph::new()
                    .style("Footer")
                    .add_run(Run::new().add_text(format!("{} · ", src.footer)))
                    .add_page_num(PageNum::new()),
            ),
        )
        .add_paragraph(
            Paragraph::new()
                .style("Title")
                .add_run(Run::new().add_text(&src.title)),
        );
    // Headings below the title: the document's first heading repeats the title.
    let mut first = true;
    for block in src.blocks {
        match block {
            Block::H { level, text } => {
                if first && level == 1 {
                    first = false;
                    continue;
                }
                first = false;
                let level = level.clamp(1, 4);
                doc = doc.add_paragraph(
                    Paragraph::new()
                        .style(&format!("Heading{level}"))
                        .add_run(Run::new().add_text(text)),
                );
            }
            Block::P { runs } => {
                doc = doc.add_paragraph(styled(Paragraph::new().style("Normal"), &runs))
            }
            Block::Quote { runs } => {
                doc = doc.add_paragraph(styled(Paragraph::new().style("Quote"), &runs))
            }
            Block::List { rich, subs } => {
                for (k, item) in rich.iter().enumerate() {
                    doc = doc.add_paragraph(styled(
                        Paragraph::new()
                            .style("ListParagraph")
                            .numbering(NumberingId::new(BULLETS), IndentLevel::new(0)),
                        item,
                    ));
                    for sub in subs.get(k).into_iter().flatten() {
                        doc = doc.add_paragraph(styled(
                            Paragraph::new()
                                .style("ListParagraph")
                                .numbering(NumberingId::new(BULLETS), IndentLevel::new(1)),
                            sub,
                        ));
                    }
                }
            }
            Block::Table {
                header,
                rows,
                widths,
            } => doc = doc.add_table(table(&header, &rows, &widths)),
            Block::Svg { svg } => {
                // Word processors do not all read SVG; the figures are in the text.
                let name = chart_title(&svg);
                let note = labels.get("chart_elsewhere").cloned().unwrap_or_default();
                doc = doc.add_paragraph(
                    Paragraph::new()
                        .style("Caption")
                        .add_run(Run::new().add_text(format!("{name} — {note}"))),
                );
            }
            Block::Pagebreak => {
                doc = doc.add_paragraph(
                    Paragraph::new()
                        .style("Normal")
                        .add_run(Run::new().add_break(BreakType::Page)),
                )
            }
        }
    }
    let mut out = Cursor::new(Vec::new());
    doc.build()
        .pack(&mut out)
        .map_err(|e| ReportError::Template(format!("the DOCX cannot be written: {e}")))?;
    deflated(&out.into_inner())
        .map_err(|e| ReportError::Template(format!("the DOCX cannot be compressed: {e}")))
}

/// The archive with every file compressed: docx-rs stores them as they are, which makes a
/// long report three times the size of its PDF (a 5,000-entry report: 13.8 MB). Same files,
/// same order.
fn deflated(stored: &[u8]) -> zip::result::ZipResult<Vec<u8>> {
    use std::io::{Read, Write};
    let mut archive = zip::ZipArchive::new(Cursor::new(stored))?;
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for i in 0..archive.len() {
        let mut file = archive.by_index(i)?;
        let name = file.name().to_string();
        if file.is_dir() {
            out.add_directory(name, options)?;
            continue;
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        out.start_file(name, options)?;
        out.write_all(&bytes)?;
    }
    Ok(out.finish()?.into_inner())
}

/// Word's built-in styles by their built-in names (`heading 1` …), so Word and LibreOffice
/// recognise the headings for a table of contents and the navigation pane. Every paragraph
/// names its style (docx-rs does not mark `Normal` as the default one).
fn styles(doc: Docx) -> Docx {
    let mut doc = doc
        .default_fonts(
            RunFonts::new()
                .ascii("Liberation Sans")
                .hi_ansi("Liberation Sans")
                .cs("Liberation Sans"),
        )
        .default_size(21)
        .default_line_spacing(LineSpacing::new().after(80))
        .add_style(
            Style::new("Title", StyleType::Paragraph)
                .name("Title")
                .based_on("Normal")
                .next("Normal")
                .size(36)
                .bold()
                .color("1C2430"),
        )
        .add_style(
            Style::new("Quote", StyleType::Paragraph)
                .name("Quote")
                .based_on("Normal")
                .italic()
                .indent(Some(567), None, None, None),
        )
        .add_style(
            Style::new("ListParagraph", StyleType::Paragraph)
                .name("List Paragraph")
                .based_on("Normal"),
        )
        .add_style(
            Style::new("Caption", StyleType::Paragraph)
                .name("caption")
                .based_on("Normal")
                .italic()
                .size(18),
        )
        .add_style(
            Style::new("Footer", StyleType::Paragraph)
                .name("footer")
                .based_on("Normal")
                .size(16)
                .color("555555"),
        );
    for (level, size) in [(1usize, 30usize), (2, 26), (3, 23), (4, 21)] {
        doc = doc.add_style(
            Style::new(format!("Heading{level}"), StyleType::Paragraph)
                .name(format!("heading {level}"))
                .based_on("Normal")
                .next("Normal")
                .size(size)
                .bold()
                .color("1C2430")
                .line_spacing(
                    LineSpacing::new()
                        .before(if level == 1 { 280 } else { 200 })
                        .after(80),
                )
                .outline_lvl(level - 1),
        );
    }
    doc
}

/// Bullets on two levels (an item and its sub-items).
fn bullets() -> AbstractNumbering {
    let level = |n: usize, glyph: &str| {
        Level::new(
            n,
            Start::new(1),
            NumberFormat::new("bullet"),
            LevelText::new(glyph),
            LevelJc::new("left"),
        )
        .indent(
            Some(360 + 360 * n as i32),
            Some(SpecialIndentType::Hanging(360)),
            None,
            None,
        )
    };
    AbstractNumbering::new(BULLETS)
        .add_level(level(0, "•"))
        .add_level(level(1, "◦"))
}

/// A paragraph of styled runs (`b` bold, `i` italic, `c` code).
fn styled(mut p: Paragraph, runs: &[(String, String)]) -> Paragraph {
    for (style, text) in runs {
        let run = Run::new().add_text(text);
        p = p.add_run(match style.as_str() {
            "b" => run.bold(),
            "i" => run.italic(),
            "c" => run.fonts(RunFonts::new().ascii(MONO).hi_ansi(MONO)),
            _ => run,
        });
    }
    p
}

/// A table with a shaded header row, its columns as wide as the layout's widths suggest.
fn table(header: &[String], rows: &[Vec<String>], widths: &[usize]) -> Table {
    let columns = header.len().max(1);
    // At least five characters wide, so that a number column does not wrap.
    let widths: Vec<usize> = widths.iter().map(|w| (*w).max(5)).collect();
    let total: usize = widths.iter().sum::<usize>().max(1);
    let grid: Vec<usize> = (0..columns)
        .map(|c| match widths.get(c) {
            Some(w) if widths.len() == columns => TEXT_WIDTH * w / total,
            _ => TEXT_WIDTH / columns,
        })
        .collect();
    let cell = |text: &str, width: usize, head: bool| {
        let run = Run::new().add_text(text).size(18);
        TableCell::new()
            .width(width, WidthType::Dxa)
            .shading(if head {
                Shading::new().fill("E4E8EE")
            } else {
                Shading::new().fill("auto")
            })
            .add_paragraph(
                Paragraph::new()
                    .style("Normal")
                    .align(AlignmentType::Left)
                    .add_run(if head { run.bold() } else { run }),
            )
    };
    let mut out = vec![TableRow::new(
        header
            .iter()
            .zip(&grid)
            .map(|(t, w)| cell(t, *w, true))
            .collect(),
    )];
    for row in rows {
        out.push(TableRow::new(
            row.iter()
                .zip(&grid)
                .map(|(t, w)| cell(t, *w, false))
                .collect(),
        ));
    }
    Table::new(out)
        .set_grid(grid)
        .width(TEXT_WIDTH, WidthType::Dxa)
}

/// The chart's accessible name (its `aria-label`), as text.
fn chart_title(svg: &str) -> String {
    let raw = svg
        .split_once("aria-label=\"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(name, _)| name)
        .unwrap_or_default();
    raw.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn part(docx: &[u8], name: &str) -> String {
        let mut zip = zip::ZipArchive::new(Cursor::new(docx)).unwrap();
        let mut s = String::new();
        zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
        s
    }

    #[test]
    fn the_layout_input_becomes_a_word_document_with_built_in_headings() {
        let source = serde_json::json!({
            "title": "#4 Rançongiciel <FS-02>",
            "lang": "fr",
            "footer": "Debrief · #4 · TLP:AMBER",
            "blocks": [
                {"kind": "h", "level": 1, "text": "Rapport d'incident — #4"},
                {"kind": "h", "level": 2, "text": "1. Synthèse pour la direction"},
                {"kind": "p", "text": "x", "runs": [["b", "Gravité :"], ["", " élevée & "], ["c", "lsmsvc.exe"]]},
                {"kind": "svg", "svg": "<svg aria-label=\"Phases de l&#39;incident\"></svg>"},
                {"kind": "list", "items": ["a"], "rich": [[["", "Premier"]]], "subs": [[[["i", "sous-point"]]]]},
                {"kind": "pagebreak"},
                {"kind": "table", "header": ["Qui", "Heures"], "rows": [["hugo", "4"]], "widths": [4, 6]},
                {"kind": "quote", "text": "q", "runs": [["", "Une citation"]]}
            ]
        })
        .to_string();
        let docx = render(&source).unwrap();
        assert!(docx.starts_with(b"PK\x03\x04"));
        let body = part(&docx, "word/document.xml");
        assert!(body.contains("Rançongiciel &lt;FS-02&gt;"), "{body}");
        assert!(body.contains("w:val=\"Heading2\""));
        assert!(
            !body.contains("Rapport d'incident — #4<"),
            "the first heading repeats the title"
        );
        assert!(body.contains("élevée &amp; "));
        assert!(body.contains("incident — le graphique figure"), "{body}");
        assert!(body.contains("w:type=\"page\""));
        assert!(body.contains(">hugo<") && body.contains(">sous-point<"));
        assert!(
            body.contains("<w:numId w:val=\"2\" />"),
            "lists use the bullets"
        );
        let numbering = part(&docx, "word/numbering.xml");
        assert!(
            numbering.contains("<w:abstractNum w:abstractNumId=\"2\"><w:lvl w:ilvl=\"0\"><w:start w:val=\"1\" /><w:numFmt w:val=\"bullet\" />"),
            "{numbering}"
        );
        let styles = part(&docx, "word/styles.xml");
        assert!(styles.contains("heading 2") && styles.contains("w:outlineLvl w:val=\"1\""));
        let footer = part(&docx, "word/footer1.xml");
        assert!(footer.contains("TLP:AMBER"), "{footer}");
    }

    #[test]
    fn a_broken_layout_input_is_an_error_not_a_panic() {
        assert!(render("{").is_err());
    }
}
