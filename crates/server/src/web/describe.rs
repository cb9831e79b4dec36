//! One journal entry described for people, in their language: the one describer of the pages,
//! the CLI and the reports (`debrief_report::journal`).

use debrief_domain::{JournalEntry, Language, Zone};

/// One journal entry, described for people in their language: what it did, and its reason.
pub(super) fn describe(lang: Language, zone: &Zone, e: &JournalEntry) -> (String, String) {
    let d = debrief_report::journal::describe(lang, zone, e);
    (d.what, d.why)
}
