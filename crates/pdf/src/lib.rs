//! PDF typesetting of Debrief's reports, in process, with typst and its bundled fonts. The caller
//! gives the document as JSON blocks (headings, paragraphs, lists, tables, SVG charts); the
//! layout (`main.typ`) reads them from `sys.inputs`, so no text is ever spliced into markup.

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Dict, Duration, IntoValue};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

/// The world one report is typeset in: the layout, the standard library with the document as
/// input, and the bundled fonts. No files, no packages, no clock.
struct ReportWorld {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    main: Source,
}

fn fonts() -> &'static (FontBook, Vec<Font>) {
    static FONTS: std::sync::OnceLock<(FontBook, Vec<Font>)> = std::sync::OnceLock::new();
    FONTS.get_or_init(|| {
        let fonts: Vec<Font> = typst_assets::fonts()
            .flat_map(|data| Font::iter(Bytes::new(data)))
            .collect();
        let mut book = FontBook::new();
        for f in &fonts {
            book.push(f.info().clone());
        }
        (book, fonts)
    })
}

impl ReportWorld {
    fn new(document_json: &str) -> Result<Self, String> {
        let path = VirtualPath::new("/main.typ").map_err(|e| format!("{e:?}"))?;
        let id = RootedPath::new(VirtualRoot::Project, path).intern();
        let mut inputs = Dict::new();
        inputs.insert("doc".into(), document_json.into_value());
        let (book, fonts) = fonts();
        Ok(Self {
            library: LazyHash::new(Library::builder().with_inputs(inputs).build()),
            book: LazyHash::new(book.clone()),
            fonts: fonts.clone(),
            main: Source::new(id, include_str!("main.typ").to_string()),
        })
    }
}

impl World for ReportWorld {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }
    fn book(&self) -> &LazyHash<FontBook> {
        &self.book
    }
    fn main(&self) -> FileId {
        self.main.id()
    }
    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::AccessDenied)
        }
    }
    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.main.id() {
            Ok(Bytes::from_string(self.main.clone()))
        } else {
            Err(FileError::AccessDenied)
        }
    }
    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.get(index).cloned()
    }
    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        None
    }
}

/// Typesets a document (JSON: `title`, `lang`, `footer`, `blocks`) to PDF bytes, or says why not.
pub fn render(document_json: &str) -> Result<Vec<u8>, String> {
    let pdf = typeset(document_json);
    // typst memoizes across compilations in a process-wide cache. Reports share little: keeping
    // the cache did not make the next incident's report faster (5,000 timeline entries: 1.93 s
    // with it, 1.86 s without; `cargo bench -p debrief-report --bench pdf`) and would grow a
    // long-running server's memory with every report, so it is emptied after every render.
    typst::comemo::evict(0);
    pdf
}

fn typeset(document_json: &str) -> Result<Vec<u8>, String> {
    let world = ReportWorld::new(document_json)?;
    let doc: PagedDocument = typst::compile(&world).output.map_err(|errors| {
        errors
            .iter()
            .map(|e| e.message.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    typst_pdf::pdf(&doc, &typst_pdf::PdfOptions::default()).map_err(|errors| {
        errors
            .iter()
            .map(|e| e.message.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_document_typesets_to_pdf() {
        let doc = r##"{"title": "T", "lang": "fr", "footer": "#1", "blocks": [
            {"kind": "h", "level": 1, "text": "Rapport d'incident"},
            {"kind": "p", "text": "Texte avec #crochets [et] *étoiles* et $dollars$"},
            {"kind": "list", "items": ["un", "deux"]},
            {"kind": "p", "text": "Gras : texte sha", "runs": [["b", "Gras :"], ["", " texte "], ["c", "sha"], ["i", "!"]]},
            {"kind": "list", "items": ["Gras : un", ""], "rich": [[["b", "Gras :"], ["", " un"]], []]},
            {"kind": "table", "header": ["a", "b"], "rows": [["1", "2"]]},
            {"kind": "svg", "svg": "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 10 10'><rect width='5' height='5'/></svg>"}
        ]}"##;
        let pdf = super::render(doc).unwrap();
        assert!(pdf.starts_with(b"%PDF"));
        // No clock, no random ids: the same document gives the same bytes.
        assert!(
            super::render(doc).unwrap() == pdf,
            "rendering is deterministic"
        );
    }
}
