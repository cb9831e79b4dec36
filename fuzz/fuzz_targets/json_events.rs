//! Log events as JSON (a file `debrief hunt` reads, or a body of `POST /api/v1/events`): any
//! bytes are read, flattened, mapped to Sigma's field names and logsources and evaluated
//! against a few real rules without panicking.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use debrief_detect::mapping::Mapping;
use debrief_detect::rules::{RuleFilter, RuleSet, rules_from_text};
use libfuzzer_sys::fuzz_target;

const RULES: &str = r#"title: Suspicious PowerShell download cradle
id: 3b6ab547-8ec2-4991-b9d2-2b06702a48d7
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        Image|endswith: '\powershell.exe'
        CommandLine|contains|all:
            - 'Net.WebClient'
            - 'DownloadString'
    condition: selection
level: high
---
title: Security log cleared
id: d99b79d2-0a6f-4f46-ad8b-260b6e17f982
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID: 1102
    condition: selection
level: high
---
title: Keyword anywhere
id: 7f0b1c4a-6d35-4a7b-9b0e-0d9d0a5c1a11
logsource:
    product: windows
detection:
    keywords:
        - 'mimikatz'
        - '|re|(?i)sekurlsa::'
    condition: keywords
level: medium
"#;

fn rules() -> &'static (RuleSet, Mapping) {
    static R: OnceLock<(RuleSet, Mapping)> = OnceLock::new();
    R.get_or_init(|| {
        let (rules, failed) = rules_from_text(RULES, &RuleFilter::default());
        assert!(failed.is_empty(), "{failed:?}");
        (rules, Mapping::windows_default())
    })
}

fuzz_target!(|data: &[u8]| {
    let (rules, mapping) = rules();
    let mut hits = Vec::new();
    let _ = debrief_detect::reader::read_json_events(data, |event| {
        debrief_detect::evaluate(rules, mapping, event, Path::new("fuzz.jsonl"), &mut hits);
    });
});
