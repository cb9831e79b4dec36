//! Writes every event under a folder as flattened JSON lines (the shape the rules see), so
//! that another engine can be timed on exactly Debrief's input (`bench/hunt.sh` feeds it to
//! the rsigma CLI): `cargo run --release -p debrief-detect --example dump_events -- DIR > OUT`.

use std::io::Write;
use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: dump_events DIR > events.ndjson");
        std::process::exit(2);
    };
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::new(out.lock());
    for file in debrief_detect::collect_files(std::slice::from_ref(&dir)) {
        let mut failed: Option<std::io::Error> = None;
        let read = debrief_detect::reader::for_each_event(&file, |event| {
            if failed.is_none() {
                let written = serde_json::to_writer(&mut out, &event.fields)
                    .map_err(std::io::Error::from)
                    .and_then(|()| out.write_all(b"\n"));
                failed = written.err();
            }
        });
        if let Err(e) = read {
            eprintln!("{}: {e}", file.display());
        }
        if let Some(e) = failed {
            return Err(e);
        }
    }
    out.flush()
}
