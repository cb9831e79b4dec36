//! Alert intake: any body as it reaches `POST /api/v1/alerts` or TheHive's `POST /api/v1/alert`
//! (one alert, generic or TheHive field names, or a batch) is checked without panicking, and an
//! accepted alert's times are within what Debrief can store and read back.
#![no_main]

use debrief_domain::Timestamp;
use debrief_domain::alert::NewAlert;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let alerts = match value {
        serde_json::Value::Array(items) => items,
        one => vec![one],
    };
    for raw in alerts {
        if let Ok(alert) = NewAlert::from_json(raw)
            && let Some(t) = alert.occurred_at
        {
            // What is accepted can be stored as text and read back.
            assert_eq!(Timestamp::parse(&t.to_string()).ok(), Some(t));
            assert!(t >= Timestamp::MIN && t <= Timestamp::MAX);
        }
    }
});
