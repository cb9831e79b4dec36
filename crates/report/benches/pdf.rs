//! Benchmark: the final report of an incident with a 5,000-entry attack timeline (and its
//! 5,000-entry journal appendix), from the snapshot to PDF bytes — the Markdown, the layout's
//! blocks and typst's typesetting, as `debrief report N --format pdf` does after reading the
//! journal; and the same report as a Word document (`--format docx`), from the same layout.
//! Run with `cargo bench -p debrief-report --bench pdf`.

#![allow(clippy::unwrap_used)]

#[path = "../tests/fixture/mod.rs"]
mod fixture;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use debrief_domain::Language;
use debrief_report::{Templates, pdf_source};

fn final_report_pdf(c: &mut Criterion) {
    let mut group = c.benchmark_group("pdf");
    group.sample_size(10);
    for entries in [100, 5_000] {
        let s = fixture::sample(entries);
        let now = fixture::t("2026-11-22T08:00:00Z");
        let snap = s.snapshot(now);
        let templates = Templates::default();
        let render = || {
            let source = pdf_source(&templates, "final", Language::En, &snap).unwrap();
            debrief_pdf::render(&source).unwrap()
        };
        let pdf = render();
        let out =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/report-pages");
        std::fs::create_dir_all(&out).unwrap();
        let file = out.join(format!("bench-final-{entries}.pdf"));
        std::fs::write(&file, &pdf).unwrap();
        eprintln!(
            "final report, {entries} timeline entries, {} journal entries: {} KiB ({})",
            s.journal.len(),
            pdf.len() / 1024,
            file.display()
        );
        // The same incident again (typst's memo cache is emptied after every render).
        group.bench_function(format!("final report, {entries} timeline entries"), |b| {
            b.iter(render)
        });
        // Another incident each time, never seen, with its own texts and hashes.
        let mut number = 43;
        group.bench_function(
            format!("final report, {entries} timeline entries, a new incident each time"),
            |b| {
                b.iter_batched(
                    || {
                        number += 1;
                        fixture::numbered(entries, number)
                    },
                    |s| {
                        let source =
                            pdf_source(&templates, "final", Language::En, &s.snapshot(now))
                                .unwrap();
                        debrief_pdf::render(&source).unwrap()
                    },
                    BatchSize::PerIteration,
                )
            },
        );
    }
    group.finish();
}

fn final_report_docx(c: &mut Criterion) {
    let mut group = c.benchmark_group("docx");
    group.sample_size(10);
    let templates = Templates::default();
    let now = fixture::t("2026-11-22T08:00:00Z");
    for entries in [100, 5_000] {
        let s = fixture::sample(entries);
        let snap = s.snapshot(now);
        let render = || {
            let source = pdf_source(&templates, "final", Language::Fr, &snap).unwrap();
            debrief_report::docx::render(&source).unwrap()
        };
        eprintln!(
            "final report as DOCX, {entries} timeline entries: {} KiB",
            render().len() / 1024
        );
        group.bench_function(format!("final report, {entries} timeline entries"), |b| {
            b.iter(render)
        });
    }
    group.finish();
}

criterion_group!(benches, final_report_pdf, final_report_docx);
criterion_main!(benches);
