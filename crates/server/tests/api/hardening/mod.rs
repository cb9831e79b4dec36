//! The security probe's findings, each pinned by a test that failed before its fix: timestamps
//! out of range at intake and unreadable stored values, TheHive routes that wrote before they
//! validated, the sign-in limits under concurrency and behind proxies, open redirects, webhook
//! secrets, HSTS, spreadsheet formulas, control characters, passwords, and reads kept out of the
//! journal. The tests that involve the store run on SQLite and, when `DEBRIEF_TEST_POSTGRES_URL`
//! is set at build time, on PostgreSQL.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use debrief_store::testing::TestDb;
use serde_json::Value;

use crate::support::*;

mod edge;
mod store;

pub(crate) fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// A request from a given peer address, with extra headers.
pub(crate) fn from_peer(
    method: &str,
    path: &str,
    peer: &str,
    headers: &[(&str, &str)],
    body: Option<String>,
) -> Request<Body> {
    let mut req = Request::builder().method(method).uri(path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut req = req
        .body(body.map(Body::from).unwrap_or_else(Body::empty))
        .unwrap();
    let addr: SocketAddr = format!("{peer}:40000").parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(addr));
    req
}

/// The ledger's head: how many journal entries the whole database holds.
pub(crate) async fn entries(f: &Fixture) -> i64 {
    f.state.store.head().await.unwrap().gseq
}

/// Runs SQL on the fixture's database directly.
pub(crate) async fn raw_sql(db: &TestDb, sql: &str) {
    db.raw_sql(sql).await;
}

pub(crate) fn assert_problem(
    status: StatusCode,
    text: &str,
    headers: &header::HeaderMap,
    naming: &str,
) {
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    assert_eq!(headers[header::CONTENT_TYPE], "application/problem+json");
    assert!(
        parse(text)["detail"]
            .as_str()
            .unwrap_or("")
            .contains(naming),
        "the problem should name `{naming}`: {text}"
    );
}

/// Every list an alert appears in answers.
pub(crate) async fn lists_answer(f: &Fixture) {
    for (who, path) in [
        (Who::Token("maria"), "/api/v1/alerts"),
        (Who::Token("maria"), "/api/v1/alerts?status=new"),
        (Who::Session("maria"), "/alerts"),
        (Who::Session("vic"), "/reports"),
        (Who::Session("maria"), "/alerts/1"),
    ] {
        let (s, text, _) = call(&f.app, who, "GET", path, None).await;
        assert_eq!(s, StatusCode::OK, "{path}: {text}");
    }
    let (s, text, _) = call(
        &f.app,
        Who::Token("maria"),
        "POST",
        "/api/v1/query",
        Some(r#"{"query":[{"_name":"listAlert"}]}"#),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "TheHive listAlert: {text}");
}
