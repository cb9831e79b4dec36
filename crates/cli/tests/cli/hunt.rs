//! `debrief hunt` over JSON lines with Sigma rules, hits sent as alerts, and `debrief serve`
//! evaluating posted events and watched files.

use super::*;

/// `DIR/rules/whoami.yml`: a Sigma rule for whoami.exe starting (process_creation, medium).
fn whoami_rule(dir: &Path) {
    std::fs::create_dir_all(dir.join("rules")).unwrap();
    std::fs::write(
        dir.join("rules/whoami.yml"),
        "title: Whoami Execution\nid: 11111111-2222-3333-4444-555555555555\nstatus: test\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n  selection:\n    Image|endswith: '\\whoami.exe'\n  condition: selection\nlevel: medium\ntags:\n  - attack.discovery\n  - attack.t1033\n",
    )
    .unwrap();
}

#[test]
fn hunt_finds_sigma_hits_in_json_lines() {
    let dir = tempfile_dir().join("hunt");
    whoami_rule(&dir);
    std::fs::write(dir.join("rules/broken.yml"), "title: [unclosed\n").unwrap();
    let events = [
        r##"{"Event":{"System":{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Computer":"WS-042","EventRecordID":7,"TimeCreated":{"#attributes":{"SystemTime":"2026-11-20T09:12:00Z"}}},"EventData":{"Image":"C:\\Windows\\System32\\whoami.exe"}}}"##,
        r##"{"Event":{"System":{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Computer":"WS-042","EventRecordID":8},"EventData":{"Image":"C:\\Windows\\System32\\notepad.exe"}}}"##,
        r##"{"Event":{"System":{"Channel":"Security","EventID":4624,"Computer":"WS-042","EventRecordID":9},"EventData":{"Image":"C:\\Windows\\System32\\whoami.exe"}}}"##,
        r##"{"Event":{"System":{"Channel":"Security","EventID":4688,"Computer":"WS-042","EventRecordID":10},"EventData":{"NewProcessName":"C:\\Windows\\System32\\whoami.exe"}}}"##,
    ];
    std::fs::write(dir.join("events.jsonl"), events.join("\n")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_debrief"))
        .args([
            "hunt",
            dir.join("events.jsonl").to_str().unwrap(),
            "--rules",
            dir.join("rules").to_str().unwrap(),
            "--format",
            "csv",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(
        rows.len(),
        3,
        "Sysmon 1 and Security 4688 (NewProcessName mapped to Image), not 4624: {csv}"
    );
    assert!(rows[2].contains(",10,"), "{csv}");
    assert!(
        rows[1].contains("Whoami Execution")
            && rows[1].contains(",7,")
            && rows[1].contains("attack.t1033"),
        "{csv}"
    );
    let summary = String::from_utf8_lossy(&out.stderr);
    assert!(
        summary.contains("4 event(s), 1 rule(s) loaded (1 failed"),
        "{summary}"
    );
    // A time window keeps only the event at 09:12 (the others have no time and are skipped).
    let out = Command::new(env!("CARGO_BIN_EXE_debrief"))
        .args([
            "hunt",
            dir.join("events.jsonl").to_str().unwrap(),
            "--rules",
            dir.join("rules").to_str().unwrap(),
            "--format",
            "jsonl",
            "--from",
            "2026-11-20T09:00:00Z",
            "--to",
            "2026-11-20T10:00:00Z",
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
    let out = Command::new(env!("CARGO_BIN_EXE_debrief"))
        .args([
            "hunt",
            dir.join("events.jsonl").to_str().unwrap(),
            "--rules",
            dir.join("rules").to_str().unwrap(),
            "--from",
            "2026-11-21T00:00:00Z",
        ])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("0 hit(s)"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // No rules at all: refused with a message.
    let out = Command::new(env!("CARGO_BIN_EXE_debrief"))
        .args([
            "hunt",
            dir.join("events.jsonl").to_str().unwrap(),
            "--rules",
            dir.join("nowhere").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
    // A folder without a log file is an error, not a hunt of nothing.
    std::fs::create_dir_all(dir.join("empty")).unwrap();
    std::fs::write(dir.join("empty/readme.txt"), "no logs here").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_debrief"))
        .args([
            "hunt",
            dir.join("empty").to_str().unwrap(),
            "--rules",
            dir.join("rules").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no log file under"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Record numbers written as text are still the record's number.
    std::fs::write(
        dir.join("text-record.jsonl"),
        r##"{"Event":{"System":{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Computer":"WS-042","EventRecordID":"4711"},"EventData":{"Image":"C:\\Windows\\System32\\whoami.exe"}}}"##,
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_debrief"))
        .args([
            "hunt",
            dir.join("text-record.jsonl").to_str().unwrap(),
            "--rules",
            dir.join("rules").to_str().unwrap(),
            "--format",
            "jsonl",
        ])
        .output()
        .unwrap();
    let hit: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).trim()).unwrap();
    assert_eq!(hit["record_id"], 4711);
}

/// `debrief hunt --send-to`: hits become alerts on a running server; hunting again counts
/// repeats instead of duplicating. A real `debrief serve` on loopback.
#[test]
fn hunt_sends_hits_as_alerts_and_repeats_are_counted() {
    let db = TestDb::sqlite();
    ok(&db, &["user", "add", "maria", "--role", "manager"]);
    let token = ok(
        &db,
        &["token", "create", "--user", "maria", "--name", "hunt"],
    )
    .lines()
    .find(|l| l.starts_with("dbf_"))
    .expect("the token is printed")
    .trim()
    .to_string();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_debrief"))
        .env_remove("DEBRIEF_DATABASE_URL")
        .arg("--data-dir")
        .arg(db.dir.path())
        .args([
            "--database",
            &db.url,
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed().as_secs() < 30, "the server did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }

    let dir = tempfile_dir().join("send");
    whoami_rule(&dir);
    let events = [
        r##"{"Event":{"System":{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Computer":"WS-042","EventRecordID":7,"TimeCreated":{"#attributes":{"SystemTime":"2026-11-20T09:12:00Z"}}},"EventData":{"Image":"C:\\Windows\\System32\\whoami.exe"}}}"##,
        r##"{"Event":{"System":{"Channel":"Security","EventID":4688,"Computer":"WS-043","EventRecordID":10},"EventData":{"NewProcessName":"C:\\Windows\\System32\\whoami.exe"}}}"##,
    ];
    std::fs::write(dir.join("events.jsonl"), events.join("\n")).unwrap();
    let hunt = |token: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_debrief"));
        cmd.env_remove("DEBRIEF_TOKEN").args([
            "hunt",
            dir.join("events.jsonl").to_str().unwrap(),
            "--rules",
            dir.join("rules").to_str().unwrap(),
            "--format",
            "csv",
            "--send-to",
            &format!("http://127.0.0.1:{port}/"),
        ]);
        if let Some(t) = token {
            cmd.env("DEBRIEF_TOKEN", t);
        }
        cmd.output().unwrap()
    };
    let first = hunt(Some(&token));
    let err = String::from_utf8_lossy(&first.stderr).into_owned();
    let again = hunt(Some(&token));
    let err_again = String::from_utf8_lossy(&again.stderr).into_owned();
    let bad = hunt(Some("dbf_not-a-token"));
    let none = hunt(None);
    let _ = server.kill();
    let _ = server.wait();
    assert!(first.status.success(), "{err}");
    assert!(
        err.contains("sent 2 alert(s)") && err.contains("2 new, 0 repeated"),
        "{err}"
    );
    assert!(err_again.contains("0 new, 2 repeated"), "{err_again}");
    assert_ne!(bad.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("401"),
        "{:?}",
        bad
    );
    assert_ne!(none.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&none.stderr).contains("DEBRIEF_TOKEN"));
}

/// A raw HTTP/1.1 request on loopback: (status, body).
fn http(port: u16, method: &str, path: &str, token: &str, body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Type: application/x-ndjson\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out[9..12].parse().unwrap();
    let body = out
        .split_once("\r\n\r\n")
        .map(|x| x.1)
        .unwrap_or("")
        .to_string();
    (status, body)
}

/// `serve --rules --watch`: events posted to `/api/v1/events` and log files dropped in the
/// watched folder are evaluated against the rules; matches become alerts, the same event again
/// is a repeat, a grown file is evaluated from where it was left.
#[test]
fn serve_evaluates_posted_events_and_watched_files() {
    let db = TestDb::sqlite();
    ok(&db, &["user", "add", "maria", "--role", "manager"]);
    let token = ok(
        &db,
        &["token", "create", "--user", "maria", "--name", "edr"],
    )
    .lines()
    .find(|l| l.starts_with("dbf_"))
    .expect("the token is printed")
    .trim()
    .to_string();
    let dir = tempfile_dir().join("events");
    let _ = std::fs::remove_dir_all(&dir);
    whoami_rule(&dir);
    std::fs::create_dir_all(dir.join("watch")).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_debrief"))
        .env_remove("DEBRIEF_DATABASE_URL")
        .arg("--data-dir")
        .arg(db.dir.path())
        .args([
            "--database",
            &db.url,
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .arg("--rules")
        .arg(dir.join("rules"))
        .arg("--watch")
        .arg(dir.join("watch"))
        .args(["--watch-interval", "1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed().as_secs() < 30, "the server did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let sysmon = |host: &str, record: &str, image: &str| {
        format!(
            r#"{{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Computer":"{host}",{record}"Image":"C:\\Windows\\System32\\{image}","User":"CORP\\clerk"}}"#
        )
    };
    let body = [
        sysmon("WS-042", "", "whoami.exe"),
        sysmon("WS-042", "", "notepad.exe"),
    ]
    .join("\n");
    let (status, first) = http(port, "POST", "/api/v1/events", &token, &body);
    let (_, again) = http(port, "POST", "/api/v1/events", &token, &body);
    let (bad_status, bad) = http(
        port,
        "POST",
        "/api/v1/events",
        &token,
        &format!("{}\nnot json\n", sysmon("WS-9", "", "whoami.exe")),
    );
    // The watched folder: a file appears, then grows by one event.
    let watched = dir.join("watch/sysmon.jsonl");
    std::fs::write(
        &watched,
        sysmon("WS-050", r#""EventRecordID":7,"#, "whoami.exe") + "\n",
    )
    .unwrap();
    let alerts = |want: usize| {
        let started = std::time::Instant::now();
        loop {
            let (_, list) = http(port, "GET", "/api/v1/alerts?limit=500", &token, "");
            let list: serde_json::Value = serde_json::from_str(&list).unwrap();
            let list = list["alerts"].as_array().unwrap().clone();
            if list.len() >= want || started.elapsed().as_secs() > 20 {
                return list;
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    };
    let after_file = alerts(2);
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&watched)
            .unwrap();
        writeln!(
            f,
            "{}",
            sysmon("WS-051", r#""EventRecordID":8,"#, "whoami.exe")
        )
        .unwrap();
    }
    let after_growth = alerts(3);
    let _ = server.kill();
    let _ = server.wait();

    assert_eq!(status, 200, "{first}");
    let first: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(
        (
            first["events"].as_u64(),
            first["matches"].as_u64(),
            first["created"].as_u64()
        ),
        (Some(2), Some(1), Some(1)),
        "{first}"
    );
    let alert = &first["results"][0]["alert"];
    assert_eq!(alert["source"], "debrief-events");
    assert_eq!(alert["raw"]["rule"]["title"], "Whoami Execution");
    assert_eq!(alert["raw"]["event"]["Computer"], "WS-042");
    let again: serde_json::Value = serde_json::from_str(&again).unwrap();
    assert_eq!(
        again["repeated"], 1,
        "the same event again is a repeat: {again}"
    );
    assert_eq!(bad_status, 422, "{bad}");
    assert!(bad.contains("line 2"), "{bad}");
    let sources: Vec<(String, i64)> = after_growth
        .iter()
        .map(|a| {
            (
                a["source"].as_str().unwrap().to_string(),
                a["occurrences"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(after_file.len(), 2, "{after_file:?}");
    assert_eq!(
        sources.iter().filter(|(s, _)| s == "debrief-watch").count(),
        2,
        "one alert per watched event: {sources:?}"
    );
    assert!(
        sources.iter().all(|(s, n)| s != "debrief-watch" || *n == 1),
        "a grown file is not evaluated again from its start: {sources:?}"
    );
    assert!(
        !after_growth.iter().any(|a| a["host"] == "WS-9"),
        "nothing of the refused body was stored"
    );
}
