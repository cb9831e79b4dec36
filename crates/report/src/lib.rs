//! Incident reports: documents rendered as pure functions of an incident snapshot, a template
//! and a locale (Markdown, self-contained HTML, JSON), and the seal that signs each of them with
//! the installation's key and ties it to the journal it was rendered from.

pub mod integrity;
