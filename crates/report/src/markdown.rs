//! Markdown as Debrief's reports write it: the template environment that escapes every printed
//! string, and the self-contained HTML page made from the Markdown.

use debrief_domain::Language;

/// The template environment for Markdown documents: strict about missing fields, and every
/// string printed into the document is Markdown-escaped, so text typed into an incident
/// (`\\FS01\share`, `*.lockd`, a `|` in a table cell) reads the same in every format.
pub(crate) fn markdown_env() -> minijinja::Environment<'static> {
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
pub(crate) fn html(markdown: &str, chart: &str, lang: Language, title: &str) -> String {
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

pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let blocks = crate::layout::blocks(&md, &[]);
        assert_eq!(blocks[0]["rows"][0][0], typed, "{md}");
        assert_eq!(blocks[1]["text"], typed, "{md}");
        let page = html(&md, "", Language::En, "t");
        assert!(
            page.contains("\\\\FS01\\finance *.lockd | [link](x) _a_"),
            "{page}"
        );
    }
}
