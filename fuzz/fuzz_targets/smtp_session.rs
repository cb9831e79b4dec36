//! The SMTP intake: any bytes a client sends are cut into bounded lines and run through the
//! session, and every message that arrives is read as a report — without panicking, holding at
//! most the limits in memory, answering every command.
#![no_main]

use debrief_server::mail::{Line, Protocol, Step, next_line, parse_report};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let max_message = 64 * 1024;
    let mut protocol = Protocol::new("192.0.2.1".parse().unwrap(), None, max_message);
    let mut buf = Vec::new();
    let mut skipping = false;
    // The input arrives in chunks of 7 bytes, as a slow client would send it.
    for chunk in data.chunks(7) {
        buf.extend_from_slice(chunk);
        loop {
            let (cap, pieces) = protocol.line_limit();
            let Some(line) = next_line(&mut buf, cap, pieces, &mut skipping) else {
                break;
            };
            if let Line::Whole(l) = &line {
                assert!(l.len() <= cap, "a line longer than the limit was held");
            }
            match protocol.line(line) {
                Step::Message { from, data } => {
                    assert!(data.len() <= max_message);
                    if let Ok(report) = parse_report(&data, &from) {
                        assert_eq!(report.sha256.len(), 64);
                    }
                }
                Step::Close(_) => return,
                Step::Reply(r) => assert!(r.ends_with(b"\r\n")),
                Step::Nothing => {}
            }
        }
        assert!(
            buf.len() <= 64 * 1024 + 7,
            "the buffer grew past the longest line"
        );
    }
});
