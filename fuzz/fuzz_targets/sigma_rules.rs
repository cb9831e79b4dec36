//! Sigma rule loading: any rule file's text is parsed and compiled without panicking (a rule
//! that cannot be used is reported, never fatal), and the rules it gives evaluate an event.
#![no_main]

use std::path::Path;

use debrief_detect::mapping::Mapping;
use debrief_detect::rules::{RuleFilter, rules_from_text};
use libfuzzer_sys::fuzz_target;
use serde_json::json;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (rules, _failed) = rules_from_text(text, &RuleFilter::default());
    let event = debrief_detect::reader::Event::flat(
        json!({"Channel": "Security", "EventID": 4688, "Computer": "WS-7",
        "NewProcessName": "C:\\Windows\\System32\\cmd.exe", "CommandLine": "cmd /c whoami"}),
    );
    let mut hits = Vec::new();
    debrief_detect::evaluate(
        &rules,
        &Mapping::windows_default(),
        &event,
        Path::new("fuzz"),
        &mut hits,
    );
});
