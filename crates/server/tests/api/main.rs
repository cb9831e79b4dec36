//! Router tests of the JSON API and the pages, without a socket (`oneshot`), on a real SQLite
//! store: the whole role matrix, authentication, CSRF, problem+json errors.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod alerts;
mod auth;
mod errors;
mod factors;
mod hardening;
mod learn;
mod metrics;
mod notify;
mod obligations;
mod parity;
mod postmortem;
mod readable;
mod record;
mod report;
mod restricted;
mod review;
mod roles;
mod samm;
mod share;
mod support;
mod thehive;
