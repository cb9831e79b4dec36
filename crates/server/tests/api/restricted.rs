//! Need-to-know: the role matrix's restricted dimension. Incident #3 is restricted by maria (a
//! manager) with hera (a handler) in its team; for everyone else — root the admin, hank a handler
//! outside the team, vic a viewer — it does not exist, on every route and page: by number, in
//! lists, search, sightings, TheHive's routes, reports, exports, metrics; its members see it.

use crate::support::*;

/// Who asks, and whether they are in #3's team.
const PEOPLE_IN_TEAM: [(&str, bool); 5] = [
    ("root", false),
    ("maria", true),
    ("hank", false),
    ("hera", true),
    ("vic", false),
];

/// What a member gets; everyone else gets 404 (the incident does not exist for them).
#[rustfmt::skip]
const ROUTES: &[(&str, &str, Option<&str>, u16)] = &[
    ("GET",   "/api/v1/incidents/3",                       None, 200),
    ("GET",   "/api/v1/incidents/3/journal",               None, 200),
    ("GET",   "/api/v1/incidents/3/verify",                None, 200),
    ("GET",   "/api/v1/incidents/3/observables",           None, 200),
    ("GET",   "/api/v1/incidents/3/timeline",              None, 200),
    ("GET",   "/api/v1/incidents/3/work",                  None, 200),
    ("GET",   "/api/v1/incidents/3/postmortem",            None, 200),
    ("GET",   "/api/v1/incidents/3/obligations",           None, 200),
    ("GET",   "/api/v1/incidents/3/similar",               None, 200),
    ("GET",   "/api/v1/incidents/3/replay",                None, 200),
    ("GET",   "/api/v1/incidents/3/playbooks",             None, 200),
    ("GET",   "/api/v1/incidents/3/notifications/proposals", None, 200),
    ("GET",   "/api/v1/incidents/3/reports/final?format=md&lang=en", None, 200),
    ("GET",   "/api/v1/incidents/3/export?format=stix",    None, 200),
    ("GET",   "/api/v1/incidents/3/export?format=csv&table=observables", None, 200),
    ("GET",   "/api/v1/case/3",                            None, 200),
    ("GET",   "/incidents/3",                              None, 200),
    ("GET",   "/incidents/3/postmortem",                   None, 200),
    ("GET",   "/incidents/3/notifications",                None, 200),
    ("GET",   "/incidents/3/similar",                      None, 200),
    ("GET",   "/incidents/3/replay",                       None, 200),
];

/// Writes: a member who may work it gets this; everyone else outside the team gets 404 too,
/// never a 403 that would say it exists.
#[rustfmt::skip]
const WRITES: &[(&str, &str, &str, [u16; 5])] = &[
    //                                                                              root maria hank hera vic
    ("PATCH", "/api/v1/incidents/3",            r#"{"summary":"more"}"#,            [404, 200, 404, 200, 404]),
    ("POST",  "/api/v1/incidents/3/tags",       r#"{"add":["hr"]}"#,                [404, 200, 404, 200, 404]),
    ("POST",  "/api/v1/incidents/3/observables", r#"{"kind":"domain","value":"x.example"}"#, [404, 201, 404, 201, 404]),
    ("POST",  "/api/v1/incidents/3/access",     r#"{"restricted":false,"reason":"shared"}"#, [404, 200, 404, 403, 404]),
    ("POST",  "/api/v1/alerts/1/merge",         r#"{"incident":"3"}"#,              [403, 200, 404, 200, 403]),
];

/// Lists and searches where #3 must be absent for those outside its team, present for members.
#[rustfmt::skip]
const LISTS: &[(&str, &str, Option<&str>)] = &[
    ("GET",  "/api/v1/incidents",                        None),
    ("GET",  "/api/v1/search?q=payroll",                 None),
    ("GET",  "/api/v1/observables?value=exfil-drop.example", None),
    ("GET",  "/api/v1/incidents/1/similar",              None),
    ("GET",  "/api/v1/metrics?from=2020-01-01",          None),
    ("GET",  "/api/v1/obligations?within_hours=8760",    None),
    ("POST", "/api/v1/query",                            Some(r#"{"query":[{"_name":"listCase"}]}"#)),
    ("GET",  "/incidents",                               None),
    ("GET",  "/search?q=payroll",                        None),
    ("GET",  "/obligations",                             None),
];

async fn restricted_fixture() -> Fixture {
    case_fixture(true).await
}

/// Incident #3 as maria declares it, restricted or not, with hera in its team.
async fn case_fixture(restricted: bool) -> Fixture {
    let f = fixture().await;
    let maria = Who::Token("maria");
    let body =
        format!(r#"{{"title":"HR case: payroll clerk exfiltration","restricted":{restricted}}}"#);
    let (status, text, _) = call(&f.app, maria, "POST", "/api/v1/incidents", Some(&body)).await;
    assert_eq!(status.as_u16(), 201, "{text}");
    assert!(
        text.contains(&format!(r#""restricted":{restricted}"#)),
        "{text}"
    );
    for (path, body) in [
        (
            "/api/v1/incidents/3/members",
            r#"{"user":"hera","role":"handler"}"#,
        ),
        (
            "/api/v1/incidents/3/observables",
            r#"{"kind":"domain","value":"exfil-drop.example"}"#,
        ),
        (
            "/api/v1/incidents/3/milestones",
            r#"{"milestone":"aware_at","at":"2026-11-20T10:00:00Z","source":"HR"}"#,
        ),
        (
            "/api/v1/incidents/3/flags",
            r#"{"flags":["personal_data"]}"#,
        ),
    ] {
        let (status, text, _) = call(&f.app, maria, "POST", path, Some(body)).await;
        assert!(status.is_success(), "{path}: {status} {text}");
    }
    f
}

fn who(name: &'static str, path: &str) -> Who {
    if path.starts_with("/api/") {
        Who::Token(name)
    } else {
        Who::Session(name)
    }
}

/// The role matrix's restricted dimension, generated from every route of the matrix
/// (`roles.rs`) that names an incident: on #3, restricted, someone outside its team gets what
/// they get for an incident that does not exist (#99) — so nothing tells it exists — and a
/// member of its team gets what they would get were it open to everyone.
#[tokio::test]
async fn every_incident_route_of_the_role_matrix_hides_it_from_outsiders_only() {
    let mut differences = Vec::new();
    let mut cells = 0;
    for (method, path, body, _) in crate::roles::MATRIX {
        let names_incident = path.contains("/incidents/1") || path.contains("/case/1");
        if !names_incident {
            continue;
        }
        let on = |n: &str| {
            path.replacen("/incidents/1", &format!("/incidents/{n}"), 1)
                .replacen("/case/1", &format!("/case/{n}"), 1)
        };
        let (on3, on99) = (on("3"), on("99"));
        let body = match (body, *method) {
            (None, "POST") if !path.starts_with("/api/") => Some("x=1"),
            (b, _) => *b,
        };
        for (name, in_team) in PEOPLE_IN_TEAM {
            cells += 1;
            let f = restricted_fixture().await;
            let (want, why) = if in_team {
                // The same request on the same incident, open to everyone.
                let open = case_fixture(false).await;
                let (s, _, _) = call(&open.app, who(name, path), method, &on3, body).await;
                (s, "as when it is open")
            } else {
                // Asked first on the same store: a request on no incident writes nothing.
                let (s, _, _) = call(&f.app, who(name, path), method, &on99, body).await;
                (s, "as for an incident that does not exist")
            };
            let (got, text, _) = call(&f.app, who(name, path), method, &on3, body).await;
            // The one thing a restriction gives its team: who read the incident (its access
            // log), which only managers and admins read on an open incident.
            let want = if in_team && path.ends_with("/access-log") {
                axum::http::StatusCode::OK
            } else {
                want
            };
            if got != want {
                differences.push(format!(
                    "{method} {on3} as {name}: expected {want} ({why}), got {got} {}",
                    text.chars().take(120).collect::<String>()
                ));
            }
            if !in_team && text.contains("clerk exfiltration") {
                differences.push(format!("{method} {on3} as {name}: names the incident"));
            }
        }
    }
    assert!(
        cells > 300,
        "the matrix's incident routes × five people: {cells}"
    );
    assert!(
        differences.is_empty(),
        "{} of {cells} cells differ:\n{}",
        differences.len(),
        differences.join("\n")
    );
}

#[tokio::test]
async fn a_restricted_incident_exists_only_for_its_team() {
    let f = restricted_fixture().await;
    let mut differences = Vec::new();
    for (method, path, body, member) in ROUTES {
        for (name, in_team) in PEOPLE_IN_TEAM {
            let want = if in_team { *member } else { 404 };
            let (status, text, _) = call(&f.app, who(name, path), method, path, *body).await;
            if status.as_u16() != want {
                differences.push(format!(
                    "{method} {path} as {name}: expected {want}, got {status} {}",
                    text.chars().take(120).collect::<String>()
                ));
            }
            if !in_team && text.contains("clerk exfiltration") {
                differences.push(format!("{method} {path} as {name}: names the incident"));
            }
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

#[tokio::test]
async fn nobody_outside_the_team_writes_to_it_or_learns_it_exists() {
    let mut differences = Vec::new();
    for (method, path, body, expected) in WRITES {
        for (i, (name, _)) in PEOPLE_IN_TEAM.iter().enumerate() {
            // A fresh store per cell, so that no cell sees another's writes.
            let f = restricted_fixture().await;
            let (status, text, _) = call(&f.app, Who::Token(name), method, path, Some(body)).await;
            if status.as_u16() != expected[i] {
                differences.push(format!(
                    "{method} {path} as {name}: expected {}, got {status} {}",
                    expected[i],
                    text.chars().take(120).collect::<String>()
                ));
            }
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

#[tokio::test]
async fn lists_searches_and_figures_name_it_only_to_its_team() {
    let f = restricted_fixture().await;
    let mut differences = Vec::new();
    for (method, path, body) in LISTS {
        for (name, in_team) in PEOPLE_IN_TEAM {
            let (status, text, _) = call(&f.app, who(name, path), method, path, *body).await;
            if !status.is_success() {
                differences.push(format!("{method} {path} as {name}: {status} {text}"));
                continue;
            }
            let names_it = text.contains("clerk exfiltration")
                || text.contains("exfil-drop")
                || (path.contains("metrics") && text.contains(r#"[1,2,3]"#));
            // The similar incidents of #1, the figures and the deadlines need not name it for
            // a member; everywhere else a member finds it.
            let must_name = in_team
                && !path.contains("similar")
                && !path.contains("metrics")
                && !path.contains("obligations");
            if names_it && !in_team {
                differences.push(format!("{method} {path} as {name}: names it"));
            }
            if must_name && !names_it {
                differences.push(format!("{method} {path} as {name}: does not name it"));
            }
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
    // The figures still count it: three incidents handled, whoever reads them.
    let (_, text, _) = call(
        &f.app,
        Who::Token("vic"),
        "GET",
        "/api/v1/metrics?from=2020-01-01",
        None,
    )
    .await;
    let m: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(m["handled"], 3, "{text}");
    assert_eq!(m["incidents"], serde_json::json!([1, 2]), "{text}");
}

#[tokio::test]
async fn access_is_given_to_a_group_and_taken_away_with_reasons_in_the_journal() {
    let f = restricted_fixture().await;
    let root = Who::Token("root");
    let maria = Who::Token("maria");
    let vic = Who::Token("vic");
    for (method, path, body, want) in [
        (
            "POST",
            "/api/v1/groups",
            r#"{"name":"Legal","description":"counsel"}"#,
            201,
        ),
        (
            "POST",
            "/api/v1/groups/legal/members",
            r#"{"username":"vic"}"#,
            204,
        ),
        (
            "POST",
            "/api/v1/groups/legal/members",
            r#"{"username":"nobody"}"#,
            404,
        ),
    ] {
        let (status, text, _) = call(&f.app, root, method, path, Some(body)).await;
        assert_eq!(status.as_u16(), want, "{path}: {text}");
    }
    // Only an admin manages groups.
    let (status, _, _) = call(
        &f.app,
        maria,
        "POST",
        "/api/v1/groups",
        Some(r#"{"name":"x"}"#),
    )
    .await;
    assert_eq!(status.as_u16(), 403);
    // A group unknown, then the group given access: vic, in it, now sees #3.
    let (status, text, _) = call(
        &f.app,
        maria,
        "POST",
        "/api/v1/incidents/3/grants",
        Some(r#"{"to":"group:hr","reason":"HR"}"#),
    )
    .await;
    assert_eq!(status.as_u16(), 404, "{text}");
    let (status, text, _) = call(
        &f.app,
        maria,
        "POST",
        "/api/v1/incidents/3/grants",
        Some(r#"{"to":"group:legal","reason":"counsel reviews the dismissal"}"#),
    )
    .await;
    assert_eq!(status.as_u16(), 200, "{text}");
    assert!(text.contains(r#""grants":["group:legal"]"#), "{text}");
    let (status, _, _) = call(&f.app, vic, "GET", "/api/v1/incidents/3", None).await;
    assert_eq!(status.as_u16(), 200);
    let (status, text, _) = call(
        &f.app,
        maria,
        "DELETE",
        "/api/v1/incidents/3/grants/group:legal?reason=review+done",
        None,
    )
    .await;
    assert_eq!(status.as_u16(), 200, "{text}");
    let (status, _, _) = call(&f.app, vic, "GET", "/api/v1/incidents/3", None).await;
    assert_eq!(status.as_u16(), 404);
    // Every decision is in the journal with its reason, described for people.
    let (_, journal, _) = call(&f.app, Who::Session("maria"), "GET", "/incidents/3", None).await;
    for words in [
        "Declared, restricted to its team",
        "Access given to the group legal",
        "counsel reviews the dismissal",
        "Access taken away from the group legal",
        "review done",
    ] {
        assert!(journal.contains(words), "the journal lacks {words:?}");
    }
}

#[tokio::test]
async fn a_red_marking_restricts_the_incident_by_itself() {
    let f = fixture().await;
    let (status, text, _) = call(
        &f.app,
        Who::Token("hank"),
        "POST",
        "/api/v1/incidents/1/markings",
        Some(r#"{"tlp":"amber+strict"}"#),
    )
    .await;
    assert_eq!(status.as_u16(), 200, "{text}");
    assert!(text.contains(r#""restricted":true"#), "{text}");
    // Its team: who declared it (maria), and hank, who restricted it by marking it, stays in.
    assert!(text.contains(r#""grants":["user:hank"]"#), "{text}");
    for (name, want) in [("maria", 200), ("hank", 200), ("hera", 404), ("vic", 404)] {
        let (status, _, _) =
            call(&f.app, Who::Token(name), "GET", "/api/v1/incidents/1", None).await;
        assert_eq!(status.as_u16(), want, "{name}");
    }
}

#[tokio::test]
async fn a_manager_outside_the_team_breaks_the_glass_stating_why_and_it_shows() {
    let f = fixture().await;
    // hera, a handler, declares a restricted incident: maria, the manager, is not in its team.
    let (status, text, _) = call(
        &f.app,
        Who::Token("hera"),
        "POST",
        "/api/v1/incidents",
        Some(r#"{"title":"Nurse records browsed","restricted":true}"#),
    )
    .await;
    assert_eq!(status.as_u16(), 201, "{text}");
    let maria = Who::Token("maria");
    let (status, _, _) = call(&f.app, maria, "GET", "/api/v1/incidents/3", None).await;
    assert_eq!(status.as_u16(), 404);
    for (name, body, want) in [
        ("hank", r#"{"reason":"curious"}"#, 403),
        ("vic", r#"{"reason":"curious"}"#, 403),
        ("maria", r#"{"reason":" "}"#, 422),
        ("hera", r#"{"reason":"mine"}"#, 403),
    ] {
        let (status, text, _) = call(
            &f.app,
            Who::Token(name),
            "POST",
            "/api/v1/incidents/3/break-glass",
            Some(body),
        )
        .await;
        assert_eq!(status.as_u16(), want, "{name}: {text}");
    }
    // Nothing to open: 404 as for any read.
    let (status, _, _) = call(
        &f.app,
        maria,
        "POST",
        "/api/v1/incidents/99/break-glass",
        Some(r#"{"reason":"x"}"#),
    )
    .await;
    assert_eq!(status.as_u16(), 404);
    let (status, text, _) = call(
        &f.app,
        maria,
        "POST",
        "/api/v1/incidents/3/break-glass",
        Some(r#"{"reason":"the DPO asked me to check the breach scope tonight"}"#),
    )
    .await;
    assert_eq!(status.as_u16(), 200, "{text}");
    let (status, _, _) = call(&f.app, maria, "GET", "/api/v1/incidents/3", None).await;
    assert_eq!(status.as_u16(), 200);
    // Once in, again is nothing to do.
    let (status, _, _) = call(
        &f.app,
        maria,
        "POST",
        "/api/v1/incidents/3/break-glass",
        Some(r#"{"reason":"again"}"#),
    )
    .await;
    assert_eq!(status.as_u16(), 409);
    // The team reads who broke the glass and why; the access log has it and whether the lead
    // was told (hera has no directory entry here: it says so).
    let (_, page, _) = call(&f.app, Who::Session("hera"), "GET", "/incidents/3", None).await;
    assert!(page.contains("Break-glass: maria"), "{page}");
    assert!(page.contains("the DPO asked me"), "{page}");
    let (_, log, _) = call(&f.app, maria, "GET", "/api/v1/incidents/3/access-log", None).await;
    assert!(log.contains(r#""action":"break-glass""#), "{log}");
    assert!(log.contains(r#""action":"lead-told""#), "{log}");
    assert!(log.contains("no directory entry is linked"), "{log}");
    // Said in the reader's words on the page, French included.
    assert!(
        page.contains("hera could not be told: no directory entry is linked to their account"),
        "{page}"
    );
    let (status, _, _) = call(
        &f.app,
        Who::Token("hera"),
        "PATCH",
        "/api/v1/me",
        Some(r#"{"language":"fr"}"#),
    )
    .await;
    assert_eq!(status.as_u16(), 200);
    let (_, page, _) = call(&f.app, Who::Session("hera"), "GET", "/incidents/3", None).await;
    assert!(
        page.contains("hera n’a pas pu être prévenu : aucune fiche de l’annuaire"),
        "{page}"
    );
    assert!(!page.contains("no directory entry"), "{page}");
}
