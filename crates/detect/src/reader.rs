//! Log readers: Windows EVTX (the `evtx` crate) and JSON lines / JSON arrays (plain or gzip),
//! each event flattened to Sigma field names (`Event.EventData.X` → `X`, `Event.System.EventID`
//! → `EventID`, …).

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde_json::{Map, Value};

/// A file that cannot be read at all (records that fail inside a readable file are skipped).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot open: {0}")]
    Io(#[from] std::io::Error),
    #[error("not a readable EVTX file: {0}")]
    Evtx(String),
    #[error("not JSON: {0}")]
    Json(String),
}

/// The kinds of file read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Evtx,
    Json { gzip: bool },
}

impl Kind {
    /// The kind of a file by its name, or `None` to skip it.
    pub fn of(path: &Path) -> Option<Kind> {
        let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
        let (base, gzip) = match name.strip_suffix(".gz") {
            Some(b) => (b.to_string(), true),
            None => (name, false),
        };
        if base.ends_with(".evtx") && !gzip {
            Some(Kind::Evtx)
        } else if base.ends_with(".json") || base.ends_with(".jsonl") || base.ends_with(".ndjson") {
            Some(Kind::Json { gzip })
        } else {
            None
        }
    }
}

/// A field of a flattened event as text (numbers written plainly).
pub fn text(event: &Value, field: &str) -> String {
    value_text(event.get(field))
}

/// A field's value as text: strings as they are, numbers written plainly, nothing as "".
fn value_text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(v) => v.to_string(),
    }
}

/// A record number whatever its JSON type (`42` or `"42"`); `None` without a usable one.
pub fn record_number(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// What an event says of itself in its `System` part: the log it was written to, its event
/// id, computer, time and record number. Events are routed to rules and hits are named by it,
/// never by event data of the same name (EventID 104's `UserData` names the log that was
/// cleared in a `Channel` of its own).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    pub channel: String,
    pub event_id: String,
    pub computer: String,
    pub time: String,
    pub record_id: Option<u64>,
}

impl Origin {
    /// From the fields of an event already in Sigma names (JSON logs, or an EVTX event's
    /// `System` part once flattened).
    pub fn of_fields(fields: &Map<String, Value>) -> Origin {
        let text = |name: &str| value_text(fields.get(name));
        Origin {
            channel: text("Channel"),
            event_id: text("EventID"),
            computer: text("Computer"),
            time: text("TimeCreated"),
            record_id: record_number(fields.get("EventRecordID")),
        }
    }

    /// From a flat event; nothing for a value that is not an object.
    pub fn of(event: &Value) -> Origin {
        match event {
            Value::Object(m) => Origin::of_fields(m),
            _ => Origin::default(),
        }
    }
}

/// One event: its fields as rules see them (Sigma names) and what it says of itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub fields: Value,
    pub origin: Origin,
}

impl Event {
    /// An event already in Sigma names (a JSON log line).
    pub fn flat(fields: Value) -> Event {
        Event {
            origin: Origin::of(&fields),
            fields,
        }
    }
}

/// `{"#text": x, "#attributes": …}` → `x`.
fn unwrap_text(v: Value) -> Value {
    match v {
        Value::Object(mut m) if m.contains_key("#text") => m.remove("#text").unwrap_or_default(),
        other => other,
    }
}

/// `{"#attributes": {name: x, …}, …}` → `x`.
fn attribute(v: Value, name: &str) -> Option<Value> {
    match v {
        Value::Object(mut m) => match m.remove("#attributes") {
            Some(Value::Object(mut a)) => a.remove(name),
            _ => None,
        },
        _ => None,
    }
}

/// Flattens the EVTX-as-JSON shape; other JSON objects are taken as they are. Takes the
/// value by ownership and moves every field into place: no string is copied.
///
/// Event data wins over a `System` field of the same name in the fields rules test (SigmaHQ's
/// log-clear rules test EventID 104's cleared `Channel`); the [`Origin`] keeps the system's.
pub fn flatten(v: Value) -> Event {
    let Value::Object(mut root) = v else {
        return Event::flat(v);
    };
    if !root.get("Event").is_some_and(Value::is_object) {
        return Event::flat(Value::Object(root));
    }
    let Some(Value::Object(mut event)) = root.remove("Event") else {
        return Event::flat(Value::Null);
    };
    let mut out = Map::new();
    if let Some(Value::Object(system)) = event.remove("System") {
        for (k, val) in system {
            match k.as_str() {
                "Provider" => {
                    if let Some(name) = attribute(val, "Name") {
                        out.insert("Provider_Name".into(), name);
                    }
                }
                "TimeCreated" => {
                    if let Some(t) = attribute(val, "SystemTime") {
                        out.insert("TimeCreated".into(), t);
                    }
                }
                "Execution" => {
                    if let Value::Object(mut m) = val
                        && let Some(Value::Object(a)) = m.remove("#attributes")
                    {
                        out.extend(a);
                    }
                }
                "Security" => {
                    if let Some(uid) = attribute(val, "UserID") {
                        out.insert("UserID".into(), uid);
                    }
                }
                _ => {
                    out.insert(k, unwrap_text(val));
                }
            }
        }
    }
    let origin = Origin::of_fields(&out);
    for section in ["EventData", "UserData"] {
        match event.remove(section) {
            Some(Value::Object(data)) => {
                for (k, val) in data {
                    if k == "#attributes" {
                        continue;
                    }
                    match val {
                        // UserData wraps its fields in one more element.
                        Value::Object(inner) if section == "UserData" => {
                            for (ik, iv) in inner {
                                if ik != "#attributes" {
                                    out.insert(ik, unwrap_text(iv));
                                }
                            }
                        }
                        val => {
                            // Defender writes "Threat Name", "Source Name"…; Sigma rules
                            // name them without the spaces. Both names answer.
                            let val = unwrap_text(val);
                            if k.contains(' ') {
                                out.insert(k.replace(' ', ""), val.clone());
                            }
                            out.insert(k, val);
                        }
                    }
                }
            }
            Some(Value::String(s)) => {
                out.insert(section.into(), Value::String(s));
            }
            _ => {}
        }
    }
    Event {
        fields: Value::Object(out),
        origin,
    }
}

/// Calls `visit` with every event of the file, flattened.
pub fn for_each_event(path: &Path, mut visit: impl FnMut(&Event)) -> Result<(), ReadError> {
    match Kind::of(path) {
        Some(Kind::Evtx) => {
            let mut parser =
                evtx::EvtxParser::from_path(path).map_err(|e| ReadError::Evtx(e.to_string()))?;
            // A corrupt record is skipped; the rest of the file is still read.
            for r in parser.records_json_value().flatten() {
                let mut event = flatten(r.data);
                if let Value::Object(m) = &mut event.fields {
                    m.entry("EventRecordID")
                        .or_insert(Value::from(r.event_record_id));
                }
                // The record header's number is the record's, whatever the XML says.
                event.origin.record_id = Some(r.event_record_id);
                visit(&event);
            }
            Ok(())
        }
        Some(Kind::Json { gzip }) => {
            let file = std::fs::File::open(path)?;
            let reader: Box<dyn Read> = if gzip {
                Box::new(flate2::read::GzDecoder::new(file))
            } else {
                Box::new(file)
            };
            read_json_events(BufReader::new(reader), visit)
        }
        None => Ok(()),
    }
}

/// Calls `visit` with every event of JSON text, flattened: a JSON array of objects, one object
/// per line (a line that is not one is skipped), or whole objects one after the other.
pub fn read_json_events(
    mut reader: impl BufRead,
    mut visit: impl FnMut(&Event),
) -> Result<(), ReadError> {
    let first = reader
        .fill_buf()?
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .copied();
    if first == Some(b'[') {
        let all: Vec<Value> =
            serde_json::from_reader(reader).map_err(|e| ReadError::Json(e.to_string()))?;
        for v in all {
            visit(&flatten(v));
        }
    } else {
        let mut lines = reader.lines();
        let mut first = String::new();
        for line in lines.by_ref() {
            first = line?;
            if !first.trim().is_empty() {
                break;
            }
        }
        match serde_json::from_str::<Value>(&first) {
            // JSON lines: a bad line is skipped, the rest is read.
            Ok(v) => {
                visit(&flatten(v));
                for line in lines {
                    let line = line?;
                    if line.trim().is_empty() {
                        continue;
                    }
                    if let Ok(v) = serde_json::from_str::<Value>(&line) {
                        visit(&flatten(v));
                    }
                }
            }
            // Not one object per line: whole (pretty-printed) objects one after the
            // other, as `evtx_dump` and SigmaHQ's regression data write them.
            Err(_) if !first.trim().is_empty() => {
                let rest = lines
                    .map(|l| l.map(|l| l + "\n"))
                    .collect::<Result<String, _>>()?;
                let text = first + "\n" + &rest;
                for v in serde_json::Deserializer::from_str(&text).into_iter::<Value>() {
                    visit(&flatten(v.map_err(|e| ReadError::Json(e.to_string()))?));
                }
            }
            Err(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flattens_the_evtx_shape_to_sigma_names() {
        let v = json!({"Event": {
            "#attributes": {"xmlns": "x"},
            "System": {
                "Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon"}},
                "EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "Computer": "WS-042",
                "TimeCreated": {"#attributes": {"SystemTime": "2026-11-20T09:12:00.000Z"}},
                "EventRecordID": 42
            },
            "EventData": {"Image": "C:\\\\Windows\\\\System32\\\\cmd.exe", "CommandLine": "cmd /c whoami"}
        }});
        let e = flatten(v);
        assert_eq!(e.origin.record_id, Some(42));
        assert_eq!(e.origin.channel, "Microsoft-Windows-Sysmon/Operational");
        let f = e.fields;
        assert_eq!(f["EventID"], 1);
        assert_eq!(f["Provider_Name"], "Microsoft-Windows-Sysmon");
        assert_eq!(f["TimeCreated"], "2026-11-20T09:12:00.000Z");
        assert_eq!(f["CommandLine"], "cmd /c whoami");
        assert_eq!(text(&f, "EventRecordID"), "42");
        let defender = flatten(json!({"Event": {"System": {"EventID": 1119},
            "EventData": {"Threat Name": "Tool:Win32/EICAR_Test_File"}}}))
        .fields;
        assert_eq!(defender["ThreatName"], "Tool:Win32/EICAR_Test_File");
        assert_eq!(defender["Threat Name"], "Tool:Win32/EICAR_Test_File");
        // Other JSON stays as it is.
        assert_eq!(flatten(json!({"a": 1})).fields, json!({"a": 1}));
    }

    #[test]
    fn the_system_part_names_the_event_whatever_its_data_says() {
        // EventID 104: the System log says the log `Security` was cleared.
        let cleared = flatten(json!({"Event": {
            "System": {"Provider": {"#attributes": {"Name": "Microsoft-Windows-Eventlog"}},
                "EventID": 104, "Channel": "System", "Computer": "DC1",
                "EventRecordID": "7"},
            "UserData": {"LogFileCleared": {"#attributes": {"xmlns": "x"},
                "SubjectUserName": "admin", "Channel": "Security", "BackupPath": ""}}
        }}));
        assert_eq!(cleared.origin.channel, "System");
        assert_eq!(cleared.origin.event_id, "104");
        assert_eq!(
            cleared.origin.record_id,
            Some(7),
            "a record number written as text"
        );
        assert_eq!(
            cleared.fields["Channel"], "Security",
            "what SigmaHQ's rules test"
        );
        assert_eq!(cleared.fields["SubjectUserName"], "admin");
        // A JSON line names itself with its own fields.
        let line = flatten(json!({"Channel": "Security", "EventID": 4624, "EventRecordID": "x"}));
        assert_eq!(
            (line.origin.channel.as_str(), line.origin.record_id),
            ("Security", None)
        );
        assert_eq!(record_number(Some(&json!(" 12 "))), Some(12));
        assert_eq!(record_number(Some(&json!(-1))), None);
    }

    #[test]
    fn reads_json_lines_and_skips_bad_lines() {
        let dir = std::env::temp_dir().join(format!("debrief-detect-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("events.jsonl");
        std::fs::write(
            &path,
            "{\"CommandLine\": \"a\"}\nnot json\n\n{\"CommandLine\": \"b\"}\n",
        )
        .unwrap();
        let mut seen = Vec::new();
        for_each_event(&path, |e| seen.push(text(&e.fields, "CommandLine"))).unwrap();
        assert_eq!(seen, vec!["a", "b"]);
        // Pretty-printed objects one after another (evtx_dump's output).
        let pretty = dir.join("pretty.json");
        std::fs::write(
            &pretty,
            "{\n  \"CommandLine\": \"c\"\n}\n{\n  \"CommandLine\": \"d\"\n}\n",
        )
        .unwrap();
        let mut seen = Vec::new();
        for_each_event(&pretty, |e| seen.push(text(&e.fields, "CommandLine"))).unwrap();
        assert_eq!(seen, vec!["c", "d"]);
        let bad = dir.join("broken.evtx");
        std::fs::write(&bad, b"not an evtx file").unwrap();
        assert!(for_each_event(&bad, |_| {}).is_err());
        assert_eq!(
            Kind::of(Path::new("x.json.gz")),
            Some(Kind::Json { gzip: true })
        );
        assert_eq!(Kind::of(Path::new("x.txt")), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[cfg(test)]
mod fuzz {
    use proptest::prelude::*;

    proptest! {
        /// Arbitrary JSON lines never make the reader panic.
        #[test]
        fn any_json_lines_are_read_without_panic(lines in proptest::collection::vec(".{0,200}", 0..20)) {
            let dir = std::env::temp_dir().join(format!("debrief-fuzz-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join(format!("f{}.jsonl", lines.len()));
            std::fs::write(&path, lines.join("\n")).unwrap();
            let _ = super::for_each_event(&path, |e| { let _ = super::text(&e.fields, "EventID"); });
        }

        /// Arbitrary JSON values flatten without panic.
        #[test]
        fn any_json_flattens(s in "\\{\"Event\":\\{.{0,120}\\}\\}") {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&s) {
                let _ = super::flatten(v);
            }
        }
    }
}
