//! Compiles the PostgreSQL variants of the API hardening tests when `DEBRIEF_TEST_POSTGRES_URL` is
//! set, so that they exist (and must pass) exactly when a server is named, and are never reported
//! as passed without one.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    println!("cargo::rerun-if-env-changed=DEBRIEF_TEST_POSTGRES_URL");
    if std::env::var("DEBRIEF_TEST_POSTGRES_URL").is_ok_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=postgres_tests");
    }
}
