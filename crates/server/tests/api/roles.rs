//! The role matrix: every route × every role → the expected status; and the OpenAPI document
//! covering every API route of the matrix.

use crate::support::*;
use axum::http::StatusCode;
use std::collections::BTreeMap;

/// The role matrix: every route × (anonymous, admin, manager, handler, viewer) → status.
/// The handler is `hank`; incident #2 is assigned to another handler (`hera`).
/// README.md's role table says the same in words.
#[rustfmt::skip]
pub(crate) const MATRIX: &[(&str, &str, Option<&str>, [u16; 5])] = &[
    //                                                                                    anon admin mgr  hdl  view
    ("GET",   "/api/v1/health",                   None,                                   [200, 200, 200, 200, 200]),
    ("GET",   "/api/v1/openapi.json",             None,                                   [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/me",                       None,                                   [401, 200, 200, 200, 200]),
    ("PATCH", "/api/v1/me",                       Some(r#"{"language":"fr"}"#),           [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/incidents",                None,                                   [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/incidents?status=new&q=wave", None,                                [401, 200, 200, 200, 200]),
    ("POST",  "/api/v1/incidents",                Some(r#"{"title":"Scan"}"#),            [401, 403, 201, 201, 403]),
    ("GET",   "/api/v1/incidents/1",              None,                                   [401, 200, 200, 200, 200]),
    ("PATCH", "/api/v1/incidents/1",              Some(r#"{"summary":"more"}"#),          [401, 403, 200, 200, 403]),
    ("PATCH", "/api/v1/incidents/2",              Some(r#"{"summary":"more"}"#),          [401, 403, 200, 403, 403]),
    ("POST",  "/api/v1/incidents/1/transitions",  Some(r#"{"to":"triage"}"#),             [401, 403, 200, 200, 403]),
    ("POST",  "/api/v1/incidents/2/transitions",  Some(r#"{"to":"triage"}"#),             [401, 403, 200, 403, 403]),
    ("POST",  "/api/v1/incidents/1/assignment",   Some(r#"{"assignee":"hank"}"#),         [401, 403, 200, 200, 403]),
    ("POST",  "/api/v1/incidents/2/assignment",   Some(r#"{"assignee":"hank"}"#),         [401, 403, 200, 403, 403]),
    ("POST",  "/api/v1/incidents/1/milestones",   Some(r#"{"milestone":"started_at","at":"2026-01-01T00:00:00Z","source":"EDR"}"#), [401, 403, 200, 200, 403]),
    ("POST",  "/api/v1/incidents/2/milestones",   Some(r#"{"milestone":"started_at","at":"2026-01-01T00:00:00Z","source":"EDR"}"#), [401, 403, 200, 403, 403]),
    ("GET",   "/api/v1/incidents/1/journal",      None,                                   [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/incidents/1/verify",       None,                                   [401, 200, 200, 200, 200]),
    ("POST",  "/api/v1/incidents/1/classification", Some(r#"{"class":"fraud","type":"phishing"}"#), [401, 403, 200, 200, 403]),
    ("POST",  "/api/v1/incidents/2/classification", Some(r#"{"class":"fraud","type":"phishing"}"#), [401, 403, 200, 403, 403]),
    ("POST",  "/api/v1/incidents/1/severity",     Some(r#"{"functional":"low","information":"none","recoverability":"regular"}"#), [401, 403, 200, 200, 403]),
    ("POST",  "/api/v1/incidents/1/markings",     Some(r#"{"tlp":"red"}"#),               [401, 403, 200, 200, 403]),
    ("POST",  "/api/v1/incidents/1/tags",         Some(r#"{"add":["phishing"]}"#),        [401, 403, 200, 200, 403]),
    ("POST",  "/api/v1/incidents/1/scope",        Some(r#"{"sites":["Paris"]}"#),         [401, 403, 200, 200, 403]),
    ("POST",  "/api/v1/incidents/1/members",      Some(r#"{"user":"hera","role":"scribe"}"#), [401, 403, 200, 200, 403]),
    ("GET",   "/api/v1/incidents/1/observables",  None,                                   [401, 200, 200, 200, 200]),
    ("POST",  "/api/v1/incidents/1/observables",  Some(r#"{"kind":"domain","value":"evil[.]example"}"#), [401, 403, 201, 201, 403]),
    ("POST",  "/api/v1/incidents/2/observables",  Some(r#"{"kind":"domain","value":"evil[.]example"}"#), [401, 403, 201, 403, 403]),
    ("POST",  "/api/v1/incidents/1/observables/extract", Some(r#"{"text":"c2 203.0.113.7"}"#), [401, 403, 200, 200, 403]),
    ("GET",   "/api/v1/incidents/1/timeline",     None,                                   [401, 200, 200, 200, 200]),
    ("POST",  "/api/v1/incidents/1/timeline",     Some(r#"{"occurred_at":"2026-11-20T09:00:00Z","description":"mail received"}"#), [401, 403, 200, 200, 403]),
    ("POST",  "/api/v1/incidents/1/assets",       Some(r#"{"kind":"host","name":"WS-042"}"#), [401, 403, 200, 200, 403]),
    ("POST",  "/api/v1/incidents/1/actions",      Some(r#"{"kind":"containment","description":"isolated WS-042"}"#), [401, 403, 200, 200, 403]),
    ("POST",  "/api/v1/incidents/2/actions",      Some(r#"{"kind":"containment","description":"isolated WS-042"}"#), [401, 403, 200, 403, 403]),
    ("POST",  "/api/v1/incidents/1/tasks",        Some(r#"{"title":"reset passwords","owner":"hera"}"#), [401, 403, 200, 200, 403]),
    ("POST",  "/api/v1/incidents/1/notes",        Some(r#"{"kind":"interview","text":"opened it","interviewee":"clerk"}"#), [401, 403, 200, 200, 403]),
    ("POST",  "/api/v1/incidents/1/time",         Some(r#"{"minutes":45,"activity":"triage"}"#), [401, 403, 200, 200, 403]),
    ("GET",   "/api/v1/incidents/1/work",         None,                                   [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/incidents/1/postmortem",   None,                                   [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/incidents/1/postmortem/readiness", None,                           [401, 200, 200, 200, 200]),
    ("PATCH", "/api/v1/incidents/1/postmortem",   Some(r#"{"texts":{"summary":"s"}}"#),   [401, 403, 200, 200, 403]),
    ("PATCH", "/api/v1/incidents/2/postmortem",   Some(r#"{"texts":{"summary":"s"}}"#),   [401, 403, 200, 403, 403]),
    ("POST",  "/api/v1/incidents/1/postmortem/root-causes", Some(r#"{"category":"process","text":"No runbook"}"#), [401, 403, 200, 200, 403]),
    ("PUT",   "/api/v1/incidents/1/postmortem/root-causes/1", Some(r#"{"category":"process","text":"No runbook for the VPN"}"#), [401, 403, 404, 404, 403]),
    ("POST",  "/api/v1/incidents/1/postmortem/status", Some(r#"{"to":"in-review"}"#),      [401, 403, 200, 200, 403]),
    ("POST",  "/api/v1/incidents/1/postmortem/status", Some(r#"{"to":"approved"}"#),       [401, 403, 422, 403, 403]),
    ("PUT",   "/api/v1/incidents/1/recommendations/9", Some(r#"{"action":"Enforce DMARC","due":"2027-01-01T00:00:00Z"}"#), [401, 403, 404, 404, 403]),
    ("POST",  "/api/v1/incidents/1/postmortem/share", Some(r#"{"report":"final","to":["Legal"]}"#), [401, 403, 409, 403, 403]),
    ("POST",  "/api/v1/incidents/1/postmortem/inputs", Some(r#"{"answers":{"went-wrong":"The alert waited"},"anonymous":true}"#), [401, 403, 200, 200, 403]),
    ("PUT",   "/api/v1/incidents/1/postmortem/meeting", Some(r#"{"at":"2026-11-26T14:00:00Z","attendees":["maria","hank"]}"#), [401, 403, 200, 200, 403]),
    ("POST",  "/api/v1/incidents/1/recommendations", Some(r#"{"action":"Enforce DMARC","type":"prevent","impact":5,"effort":2}"#), [401, 403, 201, 201, 403]),
    ("POST",  "/api/v1/incidents/1/recommendations/1/status", Some(r#"{"to":"done"}"#),   [401, 403, 404, 404, 403]),
    ("POST",  "/api/v1/incidents/1/info-requests", Some(r#"{"to":"legal","question":"Exported?"}"#), [401, 403, 201, 201, 403]),
    ("POST",  "/api/v1/incidents/1/info-requests/1/answer", Some(r#"{"answer":"yes"}"#),   [401, 403, 404, 404, 403]),
    ("GET",   "/api/v1/recommendations?state=all", None,                                  [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/playbooks",                None,                                   [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/playbooks/phishing?lang=fr", None,                                 [401, 200, 200, 200, 200]),
    ("POST",  "/api/v1/playbooks/ddos/versions",  Some(r#"{"body":"---\nslug: ddos\nlang: en\napplies-to: availability/ddos\n---\n# DDoS\n- [ ] Call the ISP\n"}"#), [401, 403, 201, 403, 403]),
    ("GET",   "/api/v1/incidents/1/playbooks",    None,                                   [401, 200, 200, 200, 200]),
    ("POST",  "/api/v1/incidents/1/playbooks",    Some(r#"{"slug":"phishing","lang":"en"}"#), [401, 403, 201, 201, 403]),
    ("POST",  "/api/v1/incidents/2/playbooks",    Some(r#"{"slug":"phishing","lang":"en"}"#), [401, 403, 201, 403, 403]),
    ("GET",   "/api/v1/incidents/1/obligations",  None,                                   [401, 200, 200, 200, 200]),
    ("POST",  "/api/v1/incidents/1/flags",        Some(r#"{"flags":["personal_data"]}"#), [401, 403, 200, 200, 403]),
    ("PUT",   "/api/v1/incidents/1/regulatory-facts", Some(r#"{"contact":"DPO, dpo@example.org"}"#), [401, 403, 200, 200, 403]),
    ("POST",  "/api/v1/incidents/2/flags",        Some(r#"{"flags":["personal_data"]}"#), [401, 403, 200, 403, 403]),
    ("POST",  "/api/v1/incidents/1/regulatory-clocks", Some(r#"{"clock":"materiality_determined","at":"2026-11-20T10:00:00Z","source":"board minutes"}"#), [401, 403, 200, 200, 403]),
    ("POST",  "/api/v1/incidents/1/notifications", Some(r#"{"recipients":["IT"],"channel":"phone","summary":"told IT"}"#), [401, 403, 201, 201, 403]),
    ("POST",  "/api/v1/incidents/1/notifications/send", Some(r#"{"recipients":["x"],"channel":"email","summary":"s","text":"t"}"#), [401, 403, 422, 422, 403]),
    ("POST",  "/api/v1/incidents/1/notifications/99/retry", None,                         [401, 403, 404, 404, 403]),
    ("GET",   "/api/v1/incidents/1/notifications/proposals", None,                        [401, 200, 200, 200, 200]),
    ("POST",  "/api/v1/incidents/1/notifications/proposals/r-9/send", Some(r#"{}"#),      [401, 403, 404, 403, 403]),
    ("POST",  "/api/v1/incidents/1/notifications/proposals/r-9/skip", Some(r#"{"reason":"told by phone"}"#), [401, 403, 404, 403, 403]),
    ("GET",   "/api/v1/notification-rules",       None,                                   [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/metrics?from=2026-01-01&to=2027-01-01", None,                      [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/metrics?from=yesterday",   None,                                   [401, 400, 400, 400, 400]),
    ("GET",   "/api/v1/incidents/1/similar",      None,                                   [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/incidents/1/replay",       None,                                   [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/lessons?q=mfa",            None,                                   [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/lessons?q=",               None,                                   [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/samm",                     None,                                   [401, 404, 404, 404, 404]),
    ("GET",   "/api/v1/incidents/1/reports/final?format=html&lang=fr", None,              [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/incidents/1/reports/sec-8k?lang=fr", None,                         [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/incidents/1/reports/sec-9k", None,                                 [401, 422, 422, 422, 422]),
    ("GET",   "/api/v1/incidents/1/export?format=stix", None,                             [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/incidents/1/export?format=veris", None,                            [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/incidents/1/export?format=misp", None,                             [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/incidents/1/export?format=openioc", None,                          [401, 400, 400, 400, 400]),
    ("GET",   "/api/v1/incidents/1/export?format=csv&table=observables", None,            [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/incidents/1/export?format=csv&table=alerts", None,                 [401, 422, 422, 422, 422]),
    ("GET",   "/api/v1/reports/program?from=2026-01-01&format=html&lang=fr", None,        [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/incidents/1/access-log",   None,                                   [401, 200, 200, 403, 403]),
    ("GET",   "/api/v1/access-log?format=csv",    None,                                   [401, 200, 200, 403, 403]),
    ("POST",  "/api/v1/me/password",              Some(r#"{"current_password":"not it","new_password":"tartine velo orage piano"}"#), [401, 403, 403, 403, 403]),
    ("GET",   "/settings/password",               None,                                   [303, 200, 200, 200, 200]),
    ("POST",  "/incidents/1/reports",             Some("kind=final&format=md&lang=en"),   [303, 200, 200, 200, 200]),
    ("POST",  "/incidents/1/reports",             Some("kind=stix&format=md&lang=en"),    [303, 200, 200, 200, 200]),
    ("POST",  "/incidents/1/reports",             Some("kind=csv&format=md&lang=en"),     [303, 200, 200, 200, 200]),
    ("POST",  "/api/v1/samm/answers",             Some(r#"{"question":"q","answer":0}"#), [401, 404, 404, 403, 403]),
    ("POST",  "/api/v1/notification-rules",       Some(r#"{"name":"DPO","stakeholder":"Nobody","template":"internal-alert"}"#), [401, 404, 404, 403, 403]),
    ("DELETE", "/api/v1/notification-rules/r-9", None,                                    [401, 404, 404, 403, 403]),
    ("GET",   "/api/v1/stakeholders",             None,                                   [401, 200, 200, 200, 200]),
    ("POST",  "/api/v1/stakeholders",             Some(r#"{"name":"CNIL","kind":"group","scope":"external","category":"regulator","email":"notifications@cnil.fr","language":"fr"}"#), [401, 201, 201, 403, 403]),
    ("GET",   "/api/v1/obligations?within_hours=48", None,                                [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/alerts",                   None,                                   [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/alerts?status=new,acknowledged&min_severity=2", None,              [401, 200, 200, 200, 200]),
    ("POST",  "/api/v1/alerts",                   Some(r#"{"type":"edr","source":"edr","sourceRef":"E-9","title":"Mimikatz"}"#), [401, 403, 201, 201, 403]),
    ("POST",  "/api/v1/alerts",                   Some(r#"[{"type":"edr","source":"edr","sourceRef":"E-9","title":"Mimikatz"}]"#), [401, 403, 200, 200, 403]),
    ("POST",  "/api/v1/events",                   Some(r#"{"Image":"C:\\x.exe"}"#),    [401, 403, 409, 409, 403]),
    ("GET",   "/api/v1/alerts/1",                 None,                                   [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/alerts/1/history",         None,                                   [401, 200, 200, 200, 200]),
    ("POST",  "/api/v1/alerts/1/acknowledge",     None,                                   [401, 403, 200, 200, 403]),
    ("POST",  "/api/v1/alerts/1/dismiss",         Some(r#"{"reason":"benign","note":"admin scan"}"#), [401, 403, 200, 200, 403]),
    ("POST",  "/api/v1/alerts/1/reopen",          Some(r#"{"reason":"more hosts"}"#),     [401, 403, 422, 422, 403]),
    ("POST",  "/api/v1/alerts/1/promote",         None,                                   [401, 403, 201, 201, 403]),
    ("POST",  "/api/v1/alerts/1/merge",           Some(r#"{"incident":"1"}"#),            [401, 403, 200, 200, 403]),
    ("POST",  "/api/v1/alerts/1/merge",           Some(r#"{"incident":"2"}"#),            [401, 403, 200, 403, 403]),
    ("GET",   "/api/v1/search?q=phishing",        None,                                   [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/observables?value=evil.example", None,                             [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/taxonomy",                 None,                                   [401, 200, 200, 200, 200]),
    ("GET",   "/api/v1/users",                    None,                                   [401, 200, 403, 403, 403]),
    ("POST",  "/api/v1/users",                    Some(r#"{"username":"nina","role":"viewer"}"#), [401, 201, 403, 403, 403]),
    ("GET",   "/api/v1/users/vic",                None,                                   [401, 200, 403, 403, 403]),
    ("PATCH", "/api/v1/users/vic",                Some(r#"{"role":"handler"}"#),          [401, 200, 403, 403, 403]),
    // Pages (browser sessions; anonymous visitors are sent to the login page).
    ("GET",   "/login",                           None,                                   [200, 200, 200, 200, 200]),
    ("GET",   "/",                                None,                                   [303, 303, 303, 303, 303]),
    ("GET",   "/incidents",                       None,                                   [303, 200, 200, 200, 200]),
    ("GET",   "/incidents/new",                   None,                                   [303, 403, 200, 200, 403]),
    ("POST",  "/incidents",                       Some("title=Scan"),                     [303, 403, 303, 303, 403]),
    ("GET",   "/incidents/1",                     None,                                   [303, 200, 200, 200, 200]),
    ("POST",  "/incidents/1/transition",          Some("to=triage"),                      [303, 403, 303, 303, 403]),
    ("POST",  "/incidents/2/transition",          Some("to=triage"),                      [303, 403, 303, 403, 403]),
    ("POST",  "/incidents/1/edit",                Some("title=Phishing+wave+2"),          [303, 403, 303, 303, 403]),
    ("POST",  "/incidents/1/assign",              Some("assignee=hank"),                  [303, 403, 303, 303, 403]),
    ("POST",  "/incidents/2/assign",              Some("assignee=hank"),                  [303, 403, 303, 403, 403]),
    ("POST",  "/incidents/1/classify",            Some("classification=fraud/phishing"),  [303, 403, 303, 303, 403]),
    ("POST",  "/incidents/2/classify",            Some("classification=fraud/phishing"),  [303, 403, 303, 403, 403]),
    ("POST",  "/incidents/1/severity",            Some("functional=low&information=none&recoverability=regular"), [303, 403, 303, 303, 403]),
    ("POST",  "/incidents/1/markings",            Some("tlp=red&pap=green"),              [303, 403, 303, 303, 403]),
    ("POST",  "/incidents/1/tags",                Some("tags=phishing"),                  [303, 403, 303, 303, 403]),
    ("POST",  "/incidents/1/observables",         Some("text=203.0.113.7&ioc=1"),         [303, 403, 303, 303, 403]),
    ("POST",  "/incidents/1/timeline",            Some("occurred_at=2026-11-20T09:00:00Z&precision=minute&source=log&description=x&tactic=&technique="), [303, 403, 303, 303, 403]),
    ("POST",  "/incidents/1/observables/1/ioc",   Some("ioc=1"),                          [303, 403, 404, 404, 403]),
    ("POST",  "/incidents/1/observables",         Some("text=WS-042&kind=hostname"),      [303, 403, 303, 303, 403]),
    ("POST",  "/incidents/1/timeline/1/withdraw", Some("reason=duplicate"),               [303, 403, 404, 404, 403]),
    ("POST",  "/incidents/1/scope",               Some("business_units=Finance&sites=Paris&systems=O365"), [303, 403, 303, 303, 403]),
    ("POST",  "/incidents/1/members",             Some("user=hera&role=scribe"),          [303, 403, 303, 303, 403]),
    ("POST",  "/incidents/1/actions",             Some("kind=containment&description=isolated&outcome=ok"), [303, 403, 303, 303, 403]),
    ("POST",  "/incidents/1/tasks",               Some("title=reset+passwords&owner=&due="), [303, 403, 303, 303, 403]),
    ("POST",  "/incidents/1/notes",               Some("text=called+the+clerk&interviewee="), [303, 403, 303, 303, 403]),
    ("POST",  "/incidents/1/time",                Some("minutes=30&activity=triage"),     [303, 403, 303, 303, 403]),
    ("POST",  "/incidents/1/assets",              Some("kind=host&name=WS-042&criticality=high&compromise=confirmed"), [303, 403, 303, 303, 403]),
    ("GET",   "/search?q=phishing",               None,                                   [303, 200, 200, 200, 200]),
    ("GET",   "/admin/users",                     None,                                   [303, 200, 403, 403, 403]),
    ("POST",  "/admin/users",                     Some("username=nina&role=viewer"),      [303, 200, 403, 403, 403]),
    ("POST",  "/admin/users/vic/toggle",          None,                                   [303, 303, 403, 403, 403]),
    ("POST",  "/settings/language",               Some("lang=fr&back=/incidents"),        [303, 303, 303, 303, 303]),
    ("POST",  "/logout",                          None,                                   [303, 303, 303, 303, 303]),
    ("GET",   "/assets/app.css",                  None,                                   [200, 200, 200, 200, 200]),
    ("GET",   "/api/status",                      None,                                   [200, 200, 200, 200, 200]),
    ("POST",  "/api/v1/alert",                    Some(r#"{"type":"siem","source":"splunk","sourceRef":"X-1","title":"T","description":"d"}"#), [401, 403, 201, 201, 403]),
    ("GET",   "/api/v1/alert/1",                  None,                                   [401, 200, 200, 200, 200]),
    ("PATCH", "/api/v1/alert/1",                  Some(r#"{"status":"InProgress"}"#),     [401, 403, 200, 200, 403]),
    ("POST",  "/api/v1/alert/1/observable",       Some(r#"{"dataType":"ip","data":"10.0.0.9"}"#), [401, 403, 201, 201, 403]),
    ("POST",  "/api/v1/alert/1/case",             None,                                   [401, 403, 201, 201, 403]),
    ("POST",  "/api/v1/alert/1/merge/1",          None,                                   [401, 403, 200, 200, 403]),
    ("POST",  "/api/v1/alert/1/merge/2",          None,                                   [401, 403, 200, 403, 403]),
    ("POST",  "/api/v1/case",                     Some(r#"{"title":"Case","description":"d","severity":3,"tags":["x"]}"#), [401, 403, 201, 201, 403]),
    ("GET",   "/api/v1/case/1",                   None,                                   [401, 200, 200, 200, 200]),
    ("PATCH", "/api/v1/case/1",                   Some(r#"{"tags":["a"]}"#),              [401, 403, 200, 200, 403]),
    ("PATCH", "/api/v1/case/2",                   Some(r#"{"tags":["a"]}"#),              [401, 403, 200, 403, 403]),
    ("POST",  "/api/v1/case/1/observable",        Some(r#"{"dataType":"domain","data":"evil.example"}"#), [401, 403, 201, 201, 403]),
    ("POST",  "/api/v1/query",                    Some(r#"{"query":[{"_name":"listAlert"}]}"#), [401, 200, 200, 200, 200]),
    ("GET",   "/alerts",                          None,                                   [303, 200, 200, 200, 200]),
    ("POST",  "/alerts/1/acknowledge",            None,                                   [303, 403, 303, 303, 403]),
    ("POST",  "/alerts/1/dismiss",                Some("reason=benign&note=scan"),        [303, 403, 303, 303, 403]),
    ("POST",  "/alerts/1/promote",                None,                                   [303, 403, 303, 303, 403]),
    ("GET",   "/alerts/1",                        None,                                   [303, 200, 200, 200, 200]),
    ("POST",  "/alerts/1/assign",                 Some("assignee=hank"),                  [303, 403, 303, 303, 403]),
    ("POST",  "/alerts/1/merge",                  Some("incident=1"),                     [303, 403, 303, 303, 403]),
    ("POST",  "/alerts/1/merge",                  Some("incident=2"),                     [303, 403, 303, 403, 403]),
    ("GET",   "/incidents/1/postmortem",          None,                                   [303, 200, 200, 200, 200]),
    ("POST",  "/incidents/1/postmortem/texts",    Some("summary=A+lookalike+domain"),     [303, 403, 303, 303, 403]),
    ("POST",  "/incidents/1/postmortem/root-causes/1", Some("category=process&text=No+runbook+for+VPN+patches"), [303, 403, 404, 404, 403]),
    ("POST",  "/incidents/2/postmortem/texts",    Some("summary=A+lookalike+domain"),     [303, 403, 303, 403, 403]),
    ("POST",  "/incidents/1/postmortem/status",   Some("to=approved"),                    [303, 403, 422, 403, 403]),
    ("POST",  "/incidents/1/recommendations/9",   Some("action=Enforce+DMARC&due=2027-01-01"), [303, 403, 404, 404, 403]),
    ("POST",  "/incidents/1/postmortem/share",    Some("report=final&to=Legal"),          [303, 403, 409, 403, 403]),
    ("POST",  "/incidents/1/postmortem/inputs",   Some("went-wrong=The+alert+waited&anonymous=yes"), [303, 403, 303, 303, 403]),
    ("POST",  "/incidents/1/postmortem/meeting",  Some("at=2026-11-26T15%3A00&attendees=maria%0D%0Ahank"), [303, 403, 303, 303, 403]),
    ("POST",  "/incidents/1/recommendations",     Some("action=DMARC&type=prevent&impact=5&effort=2"), [303, 403, 303, 303, 403]),
    ("GET",   "/playbooks",                       None,                                   [303, 200, 200, 200, 200]),
    ("GET",   "/playbooks/phishing?lang=fr",      None,                                   [303, 200, 200, 200, 200]),
    ("POST",  "/playbooks/ddos/versions",         Some("body=---%0Aslug%3A+ddos%0Alang%3A+en%0A---%0A%23+DDoS%0A-+%5B+%5D+Call+the+ISP%0A"), [303, 403, 303, 403, 403]),
    ("GET",   "/incidents/1/notifications",       None,                                   [303, 200, 200, 200, 200]),
    ("POST",  "/incidents/1/flags",               Some("flag=personal_data&flag=significant"), [303, 403, 303, 303, 403]),
    ("POST",  "/incidents/2/flags",               Some("flag=personal_data"),             [303, 403, 303, 403, 403]),
    ("POST",  "/incidents/1/regulatory-facts",    Some("contact=DPO&malicious=yes&data_subjects=patients%3A+12000"), [303, 403, 303, 303, 403]),
    ("POST",  "/incidents/1/notifications",       Some("recipients=IT&channel=phone&summary=told+IT"), [303, 403, 303, 303, 403]),
    ("POST",  "/incidents/1/regulatory-clocks",   Some("clock=classified_major&at=2026-11-20T10%3A00&source=minutes"), [303, 403, 303, 303, 403]),
    ("GET",   "/directory",                       None,                                   [303, 200, 200, 200, 200]),
    ("POST",  "/directory",                       Some("name=CNIL&kind=group&scope=external&category=regulator&email=notifications%40cnil.fr&language=fr"), [303, 303, 303, 403, 403]),
    ("GET",   "/obligations",                     None,                                   [303, 200, 200, 200, 200]),
    ("GET",   "/recommendations",                 None,                                   [303, 200, 200, 200, 200]),
    ("GET",   "/report",                          None,                                   [303, 200, 200, 200, 200]),
    ("GET",   "/reports",                         None,                                   [303, 200, 200, 200, 200]),
];

#[tokio::test]
async fn role_matrix() {
    let roles = ["root", "maria", "hank", "vic"];
    let mut differences = Vec::new();
    let mut cells = 0;
    for (method, path, body, expected) in MATRIX {
        for (i, want) in expected.iter().enumerate() {
            // A fresh store per cell, so that no cell sees another's writes.
            let f = fixture().await;
            let is_api = path.starts_with("/api/");
            let who = match i {
                0 => Who::Anonymous,
                n if is_api => Who::Token(roles[n - 1]),
                n => Who::Session(roles[n - 1]),
            };
            // Form posts without a body still carry the CSRF token.
            let body = match (body, *method) {
                (None, "POST") if !is_api => Some("x=1"),
                (b, _) => *b,
            };
            let (status, text, _) = call(&f.app, who, method, path, body).await;
            cells += 1;
            if status.as_u16() != *want {
                differences.push(format!(
                    "{method} {path} as {who:?}: expected {want}, got {status} {}",
                    text.chars().take(160).collect::<String>()
                ));
            }
            if is_api && !status.is_success() && status.as_u16() != 405 {
                assert!(
                    text.starts_with("{\"type\":\"/problems/"),
                    "{method} {path}: not a problem document: {text}"
                );
            }
        }
    }
    assert!(
        differences.is_empty(),
        "{} of {cells} cells differ:\n{}",
        differences.len(),
        differences.join("\n")
    );
    assert_eq!(cells, MATRIX.len() * 5);
}

#[tokio::test]
async fn openapi_document_lists_every_api_route() {
    let f = fixture().await;
    let (status, text, _) = call(
        &f.app,
        Who::Token("vic"),
        "GET",
        "/api/v1/openapi.json",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths: BTreeMap<String, serde_json::Value> =
        serde_json::from_value(doc["paths"].clone()).unwrap();
    for (method, path, _, _) in MATRIX.iter().filter(|r| r.1.starts_with("/api/")) {
        let templated = path
            .split('?')
            .next()
            .unwrap()
            .replace("/incidents/1", "/incidents/{incident}")
            .replace("/incidents/2", "/incidents/{incident}")
            .replace("/users/vic", "/users/{username}")
            .replace("/alerts/1/", "/alerts/{alert}/")
            .replace("/alerts/1", "/alerts/{alert}")
            .replace("/merge/1", "/merge/{case}")
            .replace("/merge/2", "/merge/{case}")
            .replace("/alert/1", "/alert/{id}")
            .replace("/case/1", "/case/{id}")
            .replace("/case/2", "/case/{id}")
            .replace("/timeline/1/", "/timeline/{id}/")
            .replace("/recommendations/1/", "/recommendations/{id}/")
            .replace("/root-causes/1", "/root-causes/{id}")
            .replace("/recommendations/9", "/recommendations/{id}")
            .replace("/info-requests/1/", "/info-requests/{id}/")
            .replace("/playbooks/phishing", "/playbooks/{slug}")
            .replace("/playbooks/ddos/", "/playbooks/{slug}/")
            .replace("/notifications/99/", "/notifications/{id}/")
            .replace("/proposals/r-9/", "/proposals/{rule}/")
            .replace("/notification-rules/r-9", "/notification-rules/{id}")
            .replace("/reports/final", "/reports/{kind}")
            .replace("/reports/sec-8k", "/reports/{kind}")
            .replace("/reports/sec-9k", "/reports/{kind}");
        let op = paths
            .get(&templated)
            .and_then(|p| p.get(method.to_lowercase()));
        assert!(op.is_some(), "{method} {templated} is not documented");
    }
}
