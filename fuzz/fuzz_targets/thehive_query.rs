//! TheHive's query language: any body of `POST /api/v1/query` is parsed without panicking, and
//! the filters it holds are evaluated over an alert and a case in TheHive's shapes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::json;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    if debrief_server::api::thehive::query::parse(&body).is_err() {
        return;
    }
    let objects = [
        json!({"_type": "Alert", "title": "Beacon to evil.example", "severity": 2, "tags": ["edr"],
               "status": "New", "date": 1_763_900_000_000_i64, "sourceRef": "S-1"}),
        json!({"_type": "Case", "title": "Ransomware on FS01", "severity": 3, "tlp": 2,
               "status": "InProgress", "number": 4, "tags": []}),
    ];
    // Every step's filter, evaluated over both objects.
    if let Some(steps) = body.get("query").and_then(|q| q.as_array()) {
        for step in steps {
            for o in &objects {
                let _ = debrief_server::api::thehive::query::matches(step, o);
            }
        }
    }
});
