//! Incidents imported from a spreadsheet: any file is read and checked without panicking, and
//! every row it accepts holds a lawful incident.
#![no_main]

use debrief_domain::Timestamp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let now = Timestamp::parse("2026-12-06T00:00:00Z").unwrap_or(Timestamp::MIN);
    let (rows, errors) = debrief_report::tables::read_incidents(data, now);
    for row in &rows {
        assert!(!row.new.title.as_str().is_empty());
        for (_, at) in &row.times {
            assert!(*at <= now);
        }
    }
    if rows.is_empty() {
        assert!(!errors.is_empty(), "an import with no row says why");
    }
});
