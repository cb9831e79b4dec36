//! Browser tests in real Chromium through chromedriver (Debian's `chromium` and
//! `chromium-driver`): sign in, declare an incident, move it through two transitions, read the
//! journal, search the list, switch to French. Screenshots go to `target/screenshots/`.
//!
//! When chromedriver is missing these tests say so and stop — unless `DEBRIEF_REQUIRE_BROWSER=1`
//! (set by `.ci/run`), in which case a missing browser is a failure.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use debrief_domain::{Role, Username};
use debrief_server::{AppState, Config, auth, ensure_admin, router};
use debrief_store::accounts::NewUser;
use debrief_store::testing::TestDb;
use fantoccini::{Client, ClientBuilder, Locator};

/// chromedriver and the Chromium it starts. Dropped — when the test ends, fails or panics — it
/// ends them all: chromedriver's whole process group, then every process that names this test's
/// own profile folder (a Chromium whose driver is gone is re-parented and would live on).
struct Driver {
    child: Child,
    profile: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = Command::new("pkill")
            .arg("-KILL")
            .arg("-f")
            .arg(self.profile.as_os_str())
            .status();
    }
}

fn chromedriver() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("CHROMEDRIVER") {
        return Some(PathBuf::from(p));
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("chromedriver"))
            .find(|p| p.is_file())
    })
}

fn screenshots_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An account `username` whose password is `{username}-password-1`.
async fn add_account(
    store: &dyn debrief_store::Store,
    username: &str,
    display_name: &str,
    role: Role,
) {
    store
        .create_user(NewUser {
            username: Username::parse(username).unwrap(),
            display_name: display_name.into(),
            role,
            password_hash: auth::hash_password(&format!("{username}-password-1")).unwrap(),
            language: None,
            must_change_password: false,
        })
        .await
        .unwrap();
}

/// A running Debrief on a random port, with `admin` and a manager `maria`.
async fn start_server() -> (String, TestDb) {
    start_server_with(|_| {}).await
}

/// [`start_server`] with its configuration adjusted.
async fn start_server_with(adjust: impl FnOnce(&mut Config)) -> (String, TestDb) {
    let db = TestDb::sqlite();
    let key = db.key();
    let store = debrief_store::open(&db.url, key.clone()).await.unwrap();
    ensure_admin(
        &debrief_app::App::new(store.clone()),
        Some("granite-owl-lantern-7".into()),
    )
    .await
    .unwrap();
    add_account(&*store, "maria", "Maria Lopez", Role::Manager).await;
    debrief_server::api::playbooks::seed_playbooks(&debrief_app::App::new(store.clone()))
        .await
        .unwrap();
    let mut config = Config {
        evidence_dir: db.dir.path().join("evidence"),
        ..Config::default()
    };
    adjust(&mut config);
    let app = router(AppState::new(store, key, config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    // `localhost` is a secure context, so the session cookie's `Secure` flag works over HTTP.
    (format!("http://localhost:{port}"), db)
}

async fn browser() -> Option<(Client, Driver, tempfile::TempDir)> {
    let Some(path) = chromedriver() else {
        if std::env::var("DEBRIEF_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
            panic!(
                "DEBRIEF_REQUIRE_BROWSER=1 but chromedriver was not found: apt-get install -y chromium chromium-driver"
            );
        }
        eprintln!(
            "BROWSER TESTS NOT RUN: chromedriver not found (apt-get install -y chromium chromium-driver)"
        );
        return None;
    };
    let port = free_port();
    let profile = tempfile::tempdir().unwrap();
    let child = {
        use std::os::unix::process::CommandExt;
        Command::new(&path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group, so that it and its browser can be ended together.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", path.display()))
    };
    let driver = Driver {
        child,
        profile: profile.path().to_path_buf(),
    };
    let mut caps = serde_json::Map::new();
    let mut args = vec![
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-crash-reporter",
        "--disable-breakpad",
        "--window-size=1280,900",
    ]
    .into_iter()
    .map(String::from)
    .collect::<Vec<_>>();
    args.push(format!("--user-data-dir={}", profile.path().display()));
    let mut opts = serde_json::json!({ "args": args });
    if std::path::Path::new("/usr/bin/chromium").exists() {
        opts["binary"] = "/usr/bin/chromium".into();
    }
    caps.insert("goog:chromeOptions".into(), opts);
    let url = format!("http://127.0.0.1:{port}");
    let mut last = None;
    for _ in 0..50 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(c) => return Some((c, driver, profile)),
            Err(e) => {
                last = Some(e);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    panic!("chromedriver did not accept a session: {last:?}");
}

/// A GET with a cookie, outside the browser: the status.
async fn get_with_cookie(url: &str, cookie: &str) -> u16 {
    use http_body_util::BodyExt;
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Empty<axum::body::Bytes>>();
    let req = axum::http::Request::get(url)
        .header("cookie", cookie)
        .body(http_body_util::Empty::new())
        .unwrap();
    let res = client.request(req).await.unwrap();
    let status = res.status().as_u16();
    let _ = res.into_body().collect().await;
    status
}

/// Switches the page to `lang` with the language menu, and waits for the page in it.
async fn switch_language(c: &Client, lang: &str) {
    c.find(Locator::Css("#lang-switch"))
        .await
        .unwrap()
        .select_by_value(lang)
        .await
        .unwrap();
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath(&format!("//html[@lang='{lang}']")))
        .await
        .unwrap();
}

/// Scrolls the element `css` into view (before a screenshot).
async fn scroll_to(c: &Client, css: &str) {
    c.execute(
        &format!("document.querySelector({css:?}).scrollIntoView()"),
        vec![],
    )
    .await
    .unwrap();
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    std::fs::write(screenshots_dir().join(format!("{name}.png")), png).unwrap();
}

async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

async fn fill(c: &Client, css: &str, keys: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .send_keys(keys)
        .await
        .unwrap();
}

/// The text of `css`, found again when the page was replaced between finding and reading it
/// (a form's answer loading).
async fn text(c: &Client, css: &str) -> String {
    let started = std::time::Instant::now();
    loop {
        let found = c
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap();
        match found.text().await {
            Ok(t) => return t,
            Err(e) if started.elapsed() < Duration::from_secs(10) => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("{css}: {e}"),
        }
    }
}

async fn sign_in(c: &Client, base: &str, user: &str, password: &str) {
    c.goto(&format!("{base}/login?lang=en")).await.unwrap();
    fill(c, "#username", user).await;
    fill(c, "#password", password).await;
    click(c, "#sign-in").await;
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_url(&url(&format!("{base}/incidents")))
        .await
        .unwrap();
}

/// The text of `css` once it contains `needle` (the page reloads after each form; an element
/// of the previous page may go stale while it does).
async fn wait_text(c: &Client, css: &str, needle: &str) -> String {
    let started = std::time::Instant::now();
    loop {
        if let Ok(e) = c.find(Locator::Css(css)).await
            && let Ok(t) = e.text().await
            && t.contains(needle)
        {
            return t;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{css} never contained {needle:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn url(s: &str) -> url::Url {
    s.parse().unwrap()
}

async fn transition(c: &Client, to: &str) {
    let select = c.find(Locator::Css("#to")).await.unwrap();
    select.select_by_value(to).await.unwrap();
    click(c, "#transition").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incident_from_sign_in_to_french() {
    let Some((c, _driver, _profile)) = browser().await else {
        return;
    };
    let (base, _db) = start_server().await;

    // The login page, then signing in.
    c.goto(&format!("{base}/login?lang=en")).await.unwrap();
    shot(&c, "login-en").await;
    sign_in(&c, &base, "maria", "maria-password-1").await;
    assert!(text(&c, "body").await.contains("No incidents match."));

    // Declare an incident.
    click(&c, "#new-incident").await;
    c.wait()
        .for_element(Locator::Css("#title"))
        .await
        .unwrap()
        .send_keys("Phishing wave targeting finance")
        .await
        .unwrap();
    c.find(Locator::Css("#summary"))
        .await
        .unwrap()
        .send_keys("40 users received a fake invoice; 3 entered credentials.")
        .await
        .unwrap();
    fill(&c, "#reporter", "jane@example.org").await;
    fill(&c, "#detection_source", "mail gateway").await;
    click(&c, "#create").await;
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_url(&url(&format!("{base}/incidents/1")))
        .await
        .unwrap();
    assert_eq!(text(&c, "#status").await, "New");

    // Two transitions.
    transition(&c, "triage").await;
    c.wait()
        .for_element(Locator::XPath("//span[@id='status' and text()='Triage']"))
        .await
        .unwrap();
    transition(&c, "investigating").await;
    c.wait()
        .for_element(Locator::XPath(
            "//span[@id='status' and text()='Investigating']",
        ))
        .await
        .unwrap();

    // The journal: three entries, newest first, and a verified chain.
    let rows = c
        .find_all(Locator::Css("table.journal tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 3);
    let newest = rows[0].text().await.unwrap();
    assert!(
        newest.contains("Status Triage → Investigating") && newest.contains("maria"),
        "{newest}"
    );
    assert!(
        rows[2]
            .text()
            .await
            .unwrap()
            .contains("Declared: Phishing wave targeting finance")
    );
    assert!(text(&c, "#chain").await.contains("Chain verified"));
    shot(&c, "incident-en").await;

    // A second incident, then the list and its live search.
    c.goto(&format!("{base}/incidents/new")).await.unwrap();
    c.wait()
        .for_element(Locator::Css("#title"))
        .await
        .unwrap()
        .send_keys("Ransomware on FS01")
        .await
        .unwrap();
    click(&c, "#create").await;
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_url(&url(&format!("{base}/incidents/2")))
        .await
        .unwrap();
    c.goto(&format!("{base}/incidents")).await.unwrap();
    assert_eq!(
        c.find_all(Locator::Css("#incident-rows tbody tr"))
            .await
            .unwrap()
            .len(),
        2
    );
    shot(&c, "incidents-en").await;
    // Keyboard: `/` focuses the search box; typing filters the list in place (htmx).
    fill(&c, "body", "/").await;
    let focused = c
        .execute("return document.activeElement.id", vec![])
        .await
        .unwrap();
    assert_eq!(focused, "q");
    fill(&c, "#q", "phish").await;
    let mut filtered = 0;
    for _ in 0..50 {
        filtered = c
            .find_all(Locator::Css("#incident-rows tbody tr"))
            .await
            .unwrap()
            .len();
        if filtered == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        filtered, 1,
        "the search filtered the list without a page load"
    );
    assert!(text(&c, "#incident-rows").await.contains("Phishing wave"));

    // Switch to French: the language menu submits by itself.
    c.goto(&format!("{base}/incidents")).await.unwrap();
    switch_language(&c, "fr").await;
    let body = text(&c, "body").await;
    assert!(
        body.contains("Nouvel incident")
            && body.contains("En investigation")
            && body.contains("Rechercher"),
        "{body}"
    );
    shot(&c, "incidents-fr").await;
    c.goto(&format!("{base}/incidents/1")).await.unwrap();
    let body = text(&c, "body").await;
    for label in [
        "Horodatages clés",
        "Chaîne vérifiée",
        "Statut Tri → En investigation",
        "Changer le statut",
    ] {
        assert!(
            body.contains(label),
            "missing French label {label:?} in {body}"
        );
    }
    shot(&c, "incident-fr").await;

    // A report downloaded with this session is in the incident's access log (who, what, from
    // where), not in its journal.
    let session = c.get_named_cookie("debrief_session").await.unwrap();
    let status = get_with_cookie(
        &format!("{base}/api/v1/incidents/1/reports/final?format=md&lang=fr"),
        &format!("debrief_session={}", session.value()),
    )
    .await;
    assert_eq!(status, 200);
    // (A new load of the page: going to its own #fragment would only scroll.)
    c.goto(&format!("{base}/incidents")).await.unwrap();
    c.goto(&format!("{base}/incidents/1#access-log"))
        .await
        .unwrap();
    let log = wait_text(
        &c,
        "#access-log",
        "Rapport d’incident final · Markdown · en français",
    )
    .await;
    assert!(
        log.contains("Journal des accès")
            && log.contains("maria")
            && log.contains("état à l’entrée 3 du journal"),
        "{log}"
    );
    shot(&c, "access-log-fr").await;

    // The same page on a phone.
    c.set_window_size(390, 844).await.unwrap();
    c.goto(&format!("{base}/incidents/1")).await.unwrap();
    shot(&c, "incident-fr-phone").await;
    let overflow = c
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth + 1",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(overflow, false, "no horizontal scrolling on a phone");
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_adds_a_user_and_viewers_cannot_write() {
    let Some((c, _driver, _profile)) = browser().await else {
        return;
    };
    let (base, _db) = start_server().await;
    sign_in(&c, &base, "admin", "granite-owl-lantern-7").await;
    c.goto(&format!("{base}/admin/users")).await.unwrap();
    c.wait()
        .for_element(Locator::Css("#u-name"))
        .await
        .unwrap()
        .send_keys("vera")
        .await
        .unwrap();
    c.find(Locator::Css("#u-role"))
        .await
        .unwrap()
        .select_by_value("viewer")
        .await
        .unwrap();
    click(&c, "#add-user").await;
    let notice = text(&c, "#new-password").await;
    let password = notice.split_whitespace().last().unwrap().to_string();
    assert_eq!(password.len(), 20, "{notice}");
    shot(&c, "users-en").await;
    // Sign out, sign in as the new viewer: no "New incident" anywhere.
    c.find(Locator::XPath("//form[@action='/logout']//button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("#username"))
        .await
        .unwrap();
    // Her password was given to her: the first sign-in leads to choosing her own, in French
    // too, before anything else.
    c.goto(&format!("{base}/login?lang=fr")).await.unwrap();
    fill(&c, "#username", "vera").await;
    fill(&c, "#password", &password).await;
    click(&c, "#sign-in").await;
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_url(&url(&format!("{base}/settings/password")))
        .await
        .unwrap();
    assert!(text(&c, "body").await.contains("Choisissez le vôtre"));
    shot(&c, "password-must-change-fr").await;
    c.goto(&format!("{base}/incidents")).await.unwrap();
    assert_eq!(
        c.current_url().await.unwrap().path(),
        "/settings/password",
        "every page leads back to the password until it is changed"
    );
    fill(&c, "#current", &password).await;
    fill(&c, "#new", "aaaaaaaaaaaa").await;
    fill(&c, "#confirm", "aaaaaaaaaaaa").await;
    click(&c, "#change-password").await;
    assert!(
        wait_text(&c, ".alert", "deviner")
            .await
            .contains("trop facile"),
        "too easy to guess, said in French"
    );
    shot(&c, "password-refused-fr").await;
    fill(&c, "#current", &password).await;
    fill(&c, "#new", "tartine velo orage piano").await;
    fill(&c, "#confirm", "tartine velo orage piano").await;
    click(&c, "#change-password").await;
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_url(&url(&format!("{base}/incidents")))
        .await
        .unwrap();
    assert!(
        c.find_all(Locator::Css("#new-incident"))
            .await
            .unwrap()
            .is_empty()
    );
    c.goto(&format!("{base}/incidents/new")).await.unwrap();
    assert!(text(&c, "body").await.contains("read-only"));
    c.close().await.unwrap();
}

#[path = "browser/record.rs"]
mod record;

#[path = "browser/alerts.rs"]
mod alerts;
#[path = "browser/learn.rs"]
mod learn;
#[path = "browser/live.rs"]
mod live;
#[path = "browser/notifications.rs"]
mod notifications;
#[path = "browser/postmortem.rs"]
mod postmortem;

/// A test that fails with its browser open leaves no Chromium (nor chromedriver) behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_test_leaves_no_browser_behind() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move {
        let Some((c, driver, _profile)) = browser().await else {
            let _ = tx.send(None);
            return;
        };
        c.goto("about:blank").await.unwrap();
        let _ = tx.send(Some(driver.profile.clone()));
        panic!("a test failing with its browser open");
    });
    let Some(profile) = rx.await.unwrap() else {
        return;
    };
    assert!(task.await.is_err(), "the test failed");
    let running = || {
        let out = Command::new("pgrep")
            .arg("-f")
            .arg(profile.as_os_str())
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    for _ in 0..50 {
        if running().is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("Chromium still runs after its test failed: {}", running());
}
