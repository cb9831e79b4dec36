//! Parity of the CLI with the API: the same commands, sent through the JSON API (in process, on
//! the router) to one incident and through the `debrief` binary to another, leave the same
//! journal entries (kinds and payloads, by the same person). The API and the web forms are
//! compared in the server's `tests/api/parity.rs`.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use debrief_domain::{Role, Username};
use debrief_server::{AppState, Config, auth, router};
use debrief_store::InstallationKey;
use debrief_store::accounts::NewUser;
use debrief_store::testing::TestDb;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::ok;

/// One command: the API's request on incident #1, the CLI's arguments on incident #2.
struct Command {
    name: &'static str,
    api: (&'static str, &'static str, Value),
    cli: &'static [&'static str],
}

fn commands() -> Vec<Command> {
    vec![
        Command {
            name: "transition",
            api: (
                "POST",
                "/api/v1/incidents/1/transitions",
                json!({"to": "triage"}),
            ),
            cli: &["incident", "transition", "2", "triage"],
        },
        Command {
            name: "edit two fields",
            api: (
                "PATCH",
                "/api/v1/incidents/1",
                json!({"title": "Phishing wave at finance", "summary": "Forty messages\r\nthree clicks", "reason": "scope known"}),
            ),
            cli: &[
                "incident",
                "edit",
                "2",
                "--title",
                "Phishing wave at finance",
                "--summary",
                "Forty messages\r\nthree clicks",
                "--reason",
                "scope known",
            ],
        },
        Command {
            name: "classify",
            api: (
                "POST",
                "/api/v1/incidents/1/classification",
                json!({"class": "fraud", "type": "phishing", "reason": "credential harvesting"}),
            ),
            cli: &[
                "triage",
                "classify",
                "2",
                "fraud",
                "phishing",
                "--reason",
                "credential harvesting",
            ],
        },
        Command {
            name: "classify by a sub-type",
            api: (
                "POST",
                "/api/v1/incidents/1/classification",
                json!({"subtype": "bec"}),
            ),
            cli: &["triage", "classify", "2", "--subtype", "bec"],
        },
        Command {
            name: "markings",
            api: (
                "POST",
                "/api/v1/incidents/1/markings",
                json!({"tlp": "amber", "pap": "green"}),
            ),
            cli: &[
                "triage",
                "mark",
                "2",
                "--tlp",
                "TLP:AMBER",
                "--pap",
                "green",
            ],
        },
        Command {
            name: "tags",
            api: (
                "POST",
                "/api/v1/incidents/1/tags",
                json!({"add": ["finance", "vip"]}),
            ),
            cli: &["triage", "tag", "2", "--add", "finance,vip"],
        },
        Command {
            name: "asset",
            api: (
                "POST",
                "/api/v1/incidents/1/assets",
                json!({"kind": "host", "name": "WS-042", "criticality": "high", "compromise": "suspected"}),
            ),
            cli: &[
                "work",
                "asset",
                "2",
                "host",
                "WS-042",
                "--criticality",
                "high",
                "--compromise",
                "suspected",
            ],
        },
        Command {
            name: "note with a Windows line break",
            api: (
                "POST",
                "/api/v1/incidents/1/notes",
                json!({"text": "Called the user\r\nNo answer"}),
            ),
            cli: &["work", "note", "2", "Called the user\r\nNo answer"],
        },
        Command {
            name: "task",
            api: (
                "POST",
                "/api/v1/incidents/1/tasks",
                json!({"title": "Reset the finance passwords", "owner": "alice", "due": "2026-12-20T17:00:00Z"}),
            ),
            cli: &[
                "work",
                "task",
                "2",
                "Reset the finance passwords",
                "--owner",
                "alice",
                "--due",
                "2026-12-20T17:00:00Z",
            ],
        },
        Command {
            name: "facts for the regulators",
            api: (
                "PUT",
                "/api/v1/incidents/1/regulatory-facts",
                json!({"contact": "DPO, dpo@example.org", "malicious": true, "cross_border": false,
                       "data_subjects": [{"category": "patients", "count": 12000}],
                       "consequences": "Identity theft"}),
            ),
            cli: &[
                "review",
                "facts",
                "2",
                "--contact",
                "DPO, dpo@example.org",
                "--malicious",
                "yes",
                "--cross-border",
                "no",
                "--data-subjects",
                "patients: 12 000",
                "--consequences",
                "Identity theft",
            ],
        },
        Command {
            name: "anonymous input before the review",
            api: (
                "POST",
                "/api/v1/incidents/1/postmortem/inputs",
                json!({"answers": {"went-wrong": "The alert waited seven hours", "improve": "Page on-call"}, "anonymous": true}),
            ),
            cli: &[
                "review",
                "input",
                "2",
                "--went-wrong",
                "The alert waited seven hours",
                "--improve",
                "Page on-call",
                "--anonymous",
            ],
        },
        Command {
            name: "the review meeting as held",
            api: (
                "PUT",
                "/api/v1/incidents/1/postmortem/meeting",
                json!({"at": "2026-11-26T13:00:00Z", "attendees": ["alice", "Direction des soins"], "decisions": ["Restore tests every quarter"]}),
            ),
            cli: &[
                "review",
                "held",
                "2",
                "--at",
                "2026-11-26T13:00:00Z",
                "--attendee",
                "alice",
                "--attendee",
                "Direction des soins",
                "--decision",
                "Restore tests every quarter",
            ],
        },
    ]
}

async fn api(app: &axum::Router, method: &str, path: &str, body: &Value) -> (StatusCode, String) {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, "Bearer tok-alice")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// The entries of an incident after its opening, as (kind, payload, actor).
async fn entries(store: &dyn debrief_store::Store, number: &str) -> Vec<(String, Value, String)> {
    let id = store.resolve(number).await.unwrap();
    store
        .journal(id)
        .await
        .unwrap()
        .into_iter()
        .skip(1)
        .map(|e| (e.kind.clone(), e.payload.clone(), e.actor.clone()))
        .collect()
}

pub(crate) async fn the_cli_writes_what_the_api_writes(db: &TestDb) {
    // Incident #1 through the API, #2 through the binary; alice (a manager) on both.
    let incident = json!({"title": "Phishing wave", "summary": "Forty messages"});
    let key = InstallationKey::load_or_create(&db.dir.path().join("installation.key")).unwrap();
    let store = debrief_store::open(&db.url, key.clone()).await.unwrap();
    store
        .create_user(NewUser {
            username: Username::parse("alice").unwrap(),
            display_name: "Alice".into(),
            role: Role::Manager,
            password_hash: auth::hash_password("a long passphrase, not used").unwrap(),
            language: None,
            must_change_password: false,
        })
        .await
        .unwrap();
    store
        .create_token("alice", "parity", &auth::secret_hash("tok-alice"))
        .await
        .unwrap();
    let app = router(AppState::new(store.clone(), key, Config::default()));
    let (status, body) = api(&app, "POST", "/api/v1/incidents", &incident).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    ok(
        db,
        &[
            "incident",
            "new",
            "--title",
            "Phishing wave",
            "--summary",
            "Forty messages",
        ],
    );
    for c in commands() {
        let (method, path, body) = &c.api;
        let (status, answer) = api(&app, method, path, body).await;
        assert!(
            status.is_success(),
            "{}: the API answered {status}: {answer}",
            c.name
        );
        ok(db, c.cli);
        let (a, b) = (entries(&*store, "1").await, entries(&*store, "2").await);
        assert_eq!(
            a, b,
            "{}: the API and the CLI wrote different entries",
            c.name
        );
    }
    assert_eq!(
        entries(&*store, "1").await.len(),
        14,
        "one entry per command, two for the edit and two for the sub-type (class and tag)"
    );
}
