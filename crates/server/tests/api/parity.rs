//! Parity of the front ends: the same command sent through the JSON API and through the web form
//! leaves the same journal entries (same kinds, same payloads), and the same bad command is
//! refused with the same status and writes nothing.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::support::*;

/// One command: how the API takes it (method, path, JSON) and how the web form does (path, body).
struct Command {
    name: &'static str,
    api: (&'static str, &'static str, Value),
    web: (&'static str, &'static str),
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
            web: ("/incidents/1/transition", "to=triage&reason="),
        },
        Command {
            name: "edit two fields",
            api: (
                "PATCH",
                "/api/v1/incidents/1",
                json!({"title": "Phishing wave at finance", "summary": "Forty messages\r\nthree clicks"}),
            ),
            web: (
                "/incidents/1/edit",
                "title=Phishing+wave+at+finance&summary=Forty+messages%0D%0Athree+clicks",
            ),
        },
        Command {
            name: "assign",
            api: (
                "POST",
                "/api/v1/incidents/1/assignment",
                json!({"assignee": "hank"}),
            ),
            web: ("/incidents/1/assign", "assignee=hank"),
        },
        Command {
            name: "classify",
            api: (
                "POST",
                "/api/v1/incidents/1/classification",
                json!({"class": "fraud", "type": "phishing"}),
            ),
            web: ("/incidents/1/classify", "classification=fraud%2Fphishing"),
        },
        Command {
            name: "classify by a sub-type",
            api: (
                "POST",
                "/api/v1/incidents/1/classification",
                json!({"subtype": "ransomware"}),
            ),
            web: (
                "/incidents/1/classify",
                "classification=subtype%3Aransomware",
            ),
        },
        Command {
            name: "markings",
            api: (
                "POST",
                "/api/v1/incidents/1/markings",
                json!({"tlp": "amber", "pap": "green"}),
            ),
            web: ("/incidents/1/markings", "tlp=amber&pap=green"),
        },
        Command {
            name: "tags",
            api: (
                "POST",
                "/api/v1/incidents/1/tags",
                json!({"add": ["finance", "vip"]}),
            ),
            web: ("/incidents/1/tags", "tags=finance%2Cvip"),
        },
        Command {
            name: "asset",
            api: (
                "POST",
                "/api/v1/incidents/1/assets",
                json!({"kind": "host", "name": "WS-042", "criticality": "high", "compromise": "suspected"}),
            ),
            web: (
                "/incidents/1/assets",
                "kind=host&name=WS-042&criticality=high&compromise=suspected",
            ),
        },
        Command {
            name: "note with a Windows line break",
            api: (
                "POST",
                "/api/v1/incidents/1/notes",
                json!({"text": "Called the user\r\nNo answer"}),
            ),
            web: ("/incidents/1/notes", "text=Called+the+user%0D%0ANo+answer"),
        },
        Command {
            name: "task",
            api: (
                "POST",
                "/api/v1/incidents/1/tasks",
                json!({"title": "Reset the finance passwords", "owner": "hank", "due": "2026-12-20T17:00:00Z"}),
            ),
            web: (
                "/incidents/1/tasks",
                "title=Reset+the+finance+passwords&owner=hank&due=2026-12-20T17%3A00%3A00Z",
            ),
        },
        Command {
            name: "recommendation",
            api: (
                "POST",
                "/api/v1/incidents/1/recommendations",
                json!({"action": "Enforce MFA on webmail", "type": "prevent", "impact": 5, "effort": 2,
                       "owner": "hank", "due": "2027-01-31T17:00:00Z"}),
            ),
            web: (
                "/incidents/1/recommendations",
                "action=Enforce+MFA+on+webmail&type=prevent&impact=5&effort=2&owner=hank&due=2027-01-31T17%3A00%3A00Z",
            ),
        },
        Command {
            name: "facts for the regulators",
            api: (
                "PUT",
                "/api/v1/incidents/1/regulatory-facts",
                json!({"contact": "DPO, dpo@example.org\r\n+33 1 23 45 67 89", "malicious": true, "cross_border": false,
                       "data_subjects": [{"category": "patients", "count": 12000}],
                       "consequences": "Identity theft"}),
            ),
            web: (
                "/incidents/1/regulatory-facts",
                "contact=DPO%2C+dpo%40example.org%0D%0A%2B33+1+23+45+67+89&malicious=yes&cross_border=no&cross_border_detail=&data_subjects=patients%3A+12+000&consequences=Identity+theft&measures_for_people=",
            ),
        },
        Command {
            name: "anonymous input before the review",
            api: (
                "POST",
                "/api/v1/incidents/1/postmortem/inputs",
                json!({"answers": {"went-wrong": "The alert waited\r\nseven hours", "improve": "Page on-call"}, "anonymous": true}),
            ),
            web: (
                "/incidents/1/postmortem/inputs",
                "what-happened=&went-well=&went-wrong=The+alert+waited%0D%0Aseven+hours&lucky=&business=&improve=Page+on-call&anonymous=yes",
            ),
        },
        Command {
            name: "the review meeting as held",
            api: (
                "PUT",
                "/api/v1/incidents/1/postmortem/meeting",
                json!({"at": "2026-11-26T13:00:00Z", "attendees": ["maria", "Direction des soins"], "absent": [], "decisions": ["Restore tests every quarter"]}),
            ),
            web: (
                "/incidents/1/postmortem/meeting",
                "at=2026-11-26T13%3A00&attendees=maria%0D%0ADirection+des+soins&absent=&decisions=Restore+tests+every+quarter",
            ),
        },
    ]
}

/// The entries of incident #1 after the fixture's, as (kind, payload, actor).
async fn entries_after(f: &Fixture, baseline: usize) -> Vec<(String, Value, String)> {
    let id = f.state.store.resolve("1").await.unwrap();
    f.state
        .store
        .journal(id)
        .await
        .unwrap()
        .into_iter()
        .skip(baseline)
        .map(|e| (e.kind.clone(), e.payload.clone(), e.actor.clone()))
        .collect()
}

async fn baseline(f: &Fixture) -> usize {
    let id = f.state.store.resolve("1").await.unwrap();
    f.state.store.journal(id).await.unwrap().len()
}

async fn through_api(f: &Fixture, who: &'static str, c: &Command) -> StatusCode {
    let (method, path, body) = &c.api;
    send_json(f, who, method, path, body.clone()).await.0
}

async fn through_web(f: &Fixture, who: &'static str, c: &Command) -> StatusCode {
    let (path, body) = c.web;
    call(&f.app, Who::Session(who), "POST", path, Some(body))
        .await
        .0
}

#[tokio::test]
async fn the_api_and_the_web_form_write_the_same_entries() {
    for c in commands() {
        let api = fixture().await;
        let web = fixture().await;
        let (a0, w0) = (baseline(&api).await, baseline(&web).await);
        let status = through_api(&api, "maria", &c).await;
        assert!(status.is_success(), "{}: the API answered {status}", c.name);
        let status = through_web(&web, "maria", &c).await;
        assert_eq!(
            status,
            StatusCode::SEE_OTHER,
            "{}: the form answered {status}",
            c.name
        );
        let (a, w) = (entries_after(&api, a0).await, entries_after(&web, w0).await);
        assert!(!a.is_empty(), "{}: nothing written", c.name);
        assert_eq!(
            a, w,
            "{}: the API and the form wrote different entries",
            c.name
        );
    }
}

/// A command each front end must refuse, and the status both answer.
struct Refusal {
    name: &'static str,
    who: &'static str,
    api: (&'static str, &'static str, Value),
    web: (&'static str, &'static str),
    status: StatusCode,
}

#[tokio::test]
async fn the_api_and_the_web_form_refuse_the_same_way_and_write_nothing() {
    let refusals = vec![
        Refusal {
            name: "an empty title",
            who: "maria",
            api: ("PATCH", "/api/v1/incidents/1", json!({"title": "  "})),
            web: ("/incidents/1/edit", "title=++"),
            status: StatusCode::UNPROCESSABLE_ENTITY,
        },
        Refusal {
            name: "a recommendation owned by someone without an account",
            who: "maria",
            api: (
                "POST",
                "/api/v1/incidents/1/recommendations",
                json!({"action": "Train the service desk", "type": "training", "impact": 3, "effort": 2,
                       "owner": "direction"}),
            ),
            web: (
                "/incidents/1/recommendations",
                "action=Train+the+service+desk&type=training&impact=3&effort=2&owner=direction&due=",
            ),
            status: StatusCode::UNPROCESSABLE_ENTITY,
        },
        Refusal {
            name: "people concerned without a category",
            who: "hank",
            api: (
                "PUT",
                "/api/v1/incidents/1/regulatory-facts",
                json!({"data_subjects": [{"category": "  ", "count": 3}]}),
            ),
            web: ("/incidents/1/regulatory-facts", "data_subjects=+%3A+3"),
            status: StatusCode::UNPROCESSABLE_ENTITY,
        },
        Refusal {
            name: "a status that does not exist",
            who: "maria",
            api: (
                "POST",
                "/api/v1/incidents/1/transitions",
                json!({"to": "flying"}),
            ),
            web: ("/incidents/1/transition", "to=flying&reason="),
            status: StatusCode::UNPROCESSABLE_ENTITY,
        },
        Refusal {
            name: "a viewer's edit",
            who: "vic",
            api: ("PATCH", "/api/v1/incidents/1", json!({"title": "Mine now"})),
            web: ("/incidents/1/edit", "title=Mine+now"),
            status: StatusCode::FORBIDDEN,
        },
        Refusal {
            name: "a handler working an incident assigned to someone else",
            who: "hank",
            api: (
                "POST",
                "/api/v1/incidents/2/classification",
                json!({"class": "fraud", "type": "phishing"}),
            ),
            web: ("/incidents/2/classify", "classification=fraud%2Fphishing"),
            status: StatusCode::FORBIDDEN,
        },
        Refusal {
            name: "an incident assigned to a viewer, who cannot lead it",
            who: "maria",
            api: (
                "POST",
                "/api/v1/incidents/1/assignment",
                json!({"assignee": "vic"}),
            ),
            web: ("/incidents/1/assign", "assignee=vic"),
            status: StatusCode::UNPROCESSABLE_ENTITY,
        },
        Refusal {
            name: "an incident assigned to an account that does not exist",
            who: "maria",
            api: (
                "POST",
                "/api/v1/incidents/1/assignment",
                json!({"assignee": "zed"}),
            ),
            web: ("/incidents/1/assign", "assignee=zed"),
            status: StatusCode::UNPROCESSABLE_ENTITY,
        },
        Refusal {
            name: "a note on an incident that does not exist",
            who: "maria",
            api: ("POST", "/api/v1/incidents/99/notes", json!({"text": "x"})),
            web: ("/incidents/99/notes", "text=x"),
            status: StatusCode::NOT_FOUND,
        },
    ];
    let f = fixture().await;
    let journal = |f: &Fixture| {
        let store = f.state.store.clone();
        async move {
            let mut n = 0;
            for i in ["1", "2"] {
                n += store
                    .journal(store.resolve(i).await.unwrap())
                    .await
                    .unwrap()
                    .len();
            }
            n
        }
    };
    let before = journal(&f).await;
    for r in refusals {
        let (method, path, body) = &r.api;
        let (api, problem) = send_json(&f, r.who, method, path, body.clone()).await;
        let (web, _, _) = call(&f.app, Who::Session(r.who), "POST", r.web.0, Some(r.web.1)).await;
        assert_eq!(
            api, r.status,
            "{}: the API answered {api}: {problem}",
            r.name
        );
        assert_eq!(web, r.status, "{}: the form answered {web}", r.name);
        assert_eq!(
            journal(&f).await,
            before,
            "{}: a refusal wrote something",
            r.name
        );
    }
}

/// Two people on one incident: an edit made on a page someone else changed since is refused
/// with the page as it is now, and writes nothing over their change (IRIS #442); made again on
/// the fresh page, it is saved.
#[tokio::test]
async fn an_edit_on_a_stale_page_is_refused_and_keeps_the_other_change() {
    let f = fixture().await;
    let seq_of = |page: &str| -> String {
        let at = page
            .find("name=\"seq\" value=\"")
            .expect("the edit form carries the seq");
        let rest = &page[at + "name=\"seq\" value=\"".len()..];
        rest[..rest.find('"').unwrap()].to_string()
    };
    let (status, page, headers) =
        call(&f.app, Who::Session("maria"), "GET", "/incidents/1", None).await;
    assert_eq!(status, StatusCode::OK, "{headers:?}");
    let seen = seq_of(&page);
    let (status, text, _) = call(
        &f.app,
        Who::Token("hank"),
        "PATCH",
        "/api/v1/incidents/1",
        Some(r#"{"summary": "Hank's finding: three clicks"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let (status, page, _) = call(
        &f.app,
        Who::Session("maria"),
        "POST",
        "/incidents/1/edit",
        Some(&format!(
            "title=Phishing+wave+at+finance&summary=old+text&seq={seen}"
        )),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{page}");
    assert!(page.contains("Someone changed this incident"), "{page}");
    assert!(
        page.contains("three clicks"),
        "the page as it is now: {page}"
    );
    let (_, now, _) = call(
        &f.app,
        Who::Token("hank"),
        "GET",
        "/api/v1/incidents/1",
        None,
    )
    .await;
    let now: serde_json::Value = serde_json::from_str(&now).unwrap();
    assert_eq!(now["summary"], "Hank's finding: three clicks");
    assert_ne!(now["title"], "Phishing wave at finance", "nothing written");
    let fresh = seq_of(&page);
    let (status, _, _) = call(
        &f.app,
        Who::Session("maria"),
        "POST",
        "/incidents/1/edit",
        Some(&format!(
            "title=Phishing+wave+at+finance&summary=Hank%27s+finding%3A+three+clicks&seq={fresh}"
        )),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}
