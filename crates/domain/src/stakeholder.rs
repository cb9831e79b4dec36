//! The stakeholder directory's rules: who can be notified (a person or a group, internal or
//! external, of a category such as regulator or insurer), through which channels, in which
//! language.

use serde::{Deserialize, Serialize};

use crate::enums::closed_enum;
use crate::error::DomainError;
use crate::user::Language;

closed_enum!(
    /// Whether a directory entry is one person or a group (a mailbox, a team, an authority).
    StakeholderKind, "kind" { Person = "person", Group = "group" }
);
closed_enum!(
    /// Whether a directory entry is inside the organisation or outside it (what a TLP marking
    /// lets reach it).
    Reach, "scope" { Internal = "internal", External = "external" }
);
closed_enum!(
    /// Who a directory entry is to the organisation.
    StakeholderCategory, "category" {
        Regulator = "regulator", Csirt = "csirt", LawEnforcement = "law-enforcement",
        Customer = "customer", Partner = "partner", Supplier = "supplier", Insurer = "insurer",
        Executive = "executive", Legal = "legal", Communications = "communications", It = "it",
        Staff = "staff", Public = "public", Other = "other"
    }
);
closed_enum!(
    /// The shape of the JSON a webhook is sent.
    WebhookFormat, "webhook format" {
        Generic = "generic", Slack = "slack", Teams = "teams", Mattermost = "mattermost"
    }
);

/// A checked directory entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewStakeholder {
    pub name: String,
    pub kind: StakeholderKind,
    pub scope: Reach,
    pub category: StakeholderCategory,
    pub email: Option<String>,
    pub webhook_url: Option<String>,
    pub webhook_format: Option<WebhookFormat>,
    pub language: Language,
    /// The user account this entry stands for (the incident lead's address for escalations).
    pub username: Option<String>,
}

impl NewStakeholder {
    /// Checks an entry: a name, known kind/scope/category, at least one channel, an e-mail
    /// address that looks like one, an http(s) webhook with a known format.
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        name: &str,
        kind: StakeholderKind,
        scope: Reach,
        category: StakeholderCategory,
        email: Option<&str>,
        webhook_url: Option<&str>,
        webhook_format: Option<WebhookFormat>,
        language: Option<Language>,
    ) -> Result<NewStakeholder, DomainError> {
        let name = crate::text::Title::parse(name)?.into_inner();
        let email = email.map(str::trim).filter(|e| !e.is_empty());
        if let Some(e) = email
            && (e.contains(char::is_whitespace)
                || !e.contains('@')
                || e.starts_with('@')
                || e.ends_with('@'))
        {
            return Err(DomainError::InvalidField {
                field: "email",
                problem: format!("`{e}` is not an e-mail address"),
            });
        }
        let webhook_url = webhook_url.map(str::trim).filter(|u| !u.is_empty());
        if let Some(u) = webhook_url
            && !(u.starts_with("https://") || u.starts_with("http://"))
        {
            return Err(DomainError::InvalidField {
                field: "webhook_url",
                problem: "must be an http or https address".into(),
            });
        }
        if email.is_none() && webhook_url.is_none() {
            return Err(DomainError::InvalidField {
                field: "channels",
                problem: "give an e-mail address, a webhook, or both".into(),
            });
        }
        // A webhook without a format is sent the generic shape.
        let webhook_format = webhook_url.map(|_| webhook_format.unwrap_or(WebhookFormat::Generic));
        Ok(NewStakeholder {
            name,
            kind,
            scope,
            category,
            email: email.map(str::to_string),
            webhook_url: webhook_url.map(str::to_string),
            webhook_format,
            language: language.unwrap_or(Language::En),
            username: None,
        })
    }

    /// [`NewStakeholder::parse`] from text (a file, a test): each choice read by its own
    /// parser, a blank webhook format or language left to its default.
    #[allow(clippy::too_many_arguments)]
    pub fn from_text(
        name: &str,
        kind: &str,
        scope: &str,
        category: &str,
        email: Option<&str>,
        webhook_url: Option<&str>,
        webhook_format: Option<&str>,
        language: Option<&str>,
    ) -> Result<NewStakeholder, DomainError> {
        fn blank(v: Option<&str>) -> Option<&str> {
            v.map(str::trim).filter(|v| !v.is_empty())
        }
        NewStakeholder::parse(
            name,
            kind.parse()?,
            scope.parse()?,
            category.parse()?,
            email,
            webhook_url,
            blank(webhook_format).map(str::parse).transpose()?,
            blank(language).map(str::parse).transpose()?,
        )
    }

    /// Links the entry to a user account (`None` or blank: no link).
    pub fn for_user(mut self, username: Option<&str>) -> Result<NewStakeholder, DomainError> {
        self.username = match username.map(str::trim).filter(|u| !u.is_empty()) {
            Some(u) => Some(crate::user::Username::parse(u)?.as_str().to_string()),
            None => None,
        };
        Ok(self)
    }
}

/// How an approved report reaches a directory entry: the sealed document attached to an
/// e-mail, or a link to Debrief, where the reader signs in and need-to-know is checked again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Carry {
    Attached,
    Link,
}

/// Why a report may not go to an entry at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShareRefusal {
    /// The marking does not reach the entry's scope, and no account of the incident's team
    /// stands behind it.
    Marking {
        tlp: crate::triage::Tlp,
        scope: Reach,
    },
    /// The entry stands for an account that may not see the incident (restricted to its team).
    AccountCannotSee { username: String },
    /// A team account named as a recipient has no directory entry standing for it: Debrief
    /// knows no address to reach them at.
    AccountWithoutEntry { username: String },
}

impl std::fmt::Display for ShareRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ShareRefusal::Marking { tlp, scope } => write!(
                f,
                "{} does not allow handing the report to an {scope} entry; link the entry to the account of someone on the incident's team so that they read it in Debrief",
                tlp.marking()
            ),
            ShareRefusal::AccountCannotSee { username } => write!(
                f,
                "the entry's account `{username}` may not see this incident (it is restricted to its team): give them access first"
            ),
            ShareRefusal::AccountWithoutEntry { username } => write!(
                f,
                "the account `{username}` has no directory entry to reach them by: add one that stands for their account, with their e-mail address"
            ),
        }
    }
}

impl ShareRefusal {
    /// The refusal in the reader's words: a message key and its arguments.
    pub fn key(&self) -> (&'static str, Vec<(&'static str, String)>) {
        match self {
            ShareRefusal::Marking { tlp, scope } => (
                "share-refused-marking",
                vec![
                    ("tlp", tlp.marking()),
                    ("scope", scope.as_str().to_string()),
                ],
            ),
            ShareRefusal::AccountCannotSee { username } => (
                "share-refused-account",
                vec![("username", username.clone())],
            ),
            ShareRefusal::AccountWithoutEntry { username } => (
                "share-refused-no-entry",
                vec![("username", username.clone())],
            ),
        }
    }
}

/// The incident's title as a message leaving Debrief (an e-mail, a chat webhook) may carry it:
/// withheld under TLP:RED, whose facts are for named participants only — the number alone
/// names the incident there.
pub fn outbound_title(incident: &crate::Incident) -> Option<&str> {
    (incident.tlp != crate::triage::Tlp::Red).then_some(incident.title.as_str())
}

/// Whether a report marked `tlp` may leave Debrief for an entry of `scope`: TLP:RED never
/// (named people read it where it is kept), TLP:AMBER+STRICT only within the organisation,
/// TLP:AMBER, GREEN and CLEAR to anyone the sender chooses (the marking printed on every page
/// tells them how far it may go).
pub fn marking_reaches(tlp: crate::triage::Tlp, scope: Reach) -> bool {
    use crate::triage::Tlp;
    match tlp {
        Tlp::Red => false,
        Tlp::AmberStrict => scope == Reach::Internal,
        Tlp::Amber | Tlp::Green | Tlp::Clear => true,
    }
}

/// How the approved report goes to one entry of `scope`, which has an e-mail address or not.
/// `account` is the account that stands behind the entry, if any, and whether it may see the
/// incident. The document is attached when the marking reaches the entry and it has an e-mail
/// address; otherwise a link is sent when someone who may read it in Debrief stands behind the
/// entry, or when the marking reaches a channel that only takes messages (a webhook).
pub fn carry(
    tlp: crate::triage::Tlp,
    scope: Reach,
    email: bool,
    account: Option<(&str, bool)>,
) -> Result<Carry, ShareRefusal> {
    let reaches = marking_reaches(tlp, scope);
    match (reaches, email, account) {
        (true, true, _) => Ok(Carry::Attached),
        (_, _, Some((_, true))) | (true, false, _) => Ok(Carry::Link),
        (false, _, Some((username, false))) => Err(ShareRefusal::AccountCannotSee {
            username: username.to_string(),
        }),
        (false, _, None) => Err(ShareRefusal::Marking { tlp, scope }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_red_incident_leaves_its_title_behind() {
        let mut j = crate::testkit::Journal::new();
        assert_eq!(outbound_title(&j.state()), Some("Phishing wave"));
        let e = j
            .state()
            .set_markings(Some(crate::triage::Tlp::Red), None)
            .unwrap();
        j.push(e);
        assert_eq!(outbound_title(&j.state()), None);
    }

    #[test]
    fn entries_are_checked() {
        let anssi = NewStakeholder::from_text(
            "ANSSI (CERT-FR)",
            "group",
            "external",
            "csirt",
            Some("cert-fr@ssi.gouv.fr"),
            None,
            None,
            Some("fr"),
        )
        .unwrap();
        assert_eq!(
            (anssi.category.as_str(), anssi.language),
            ("csirt", Language::Fr)
        );
        let soc = NewStakeholder::from_text(
            "SOC channel",
            "group",
            "internal",
            "it",
            None,
            Some("https://hooks.slack.com/x"),
            Some("Slack"),
            None,
        )
        .unwrap();
        assert_eq!(soc.webhook_format, Some(WebhookFormat::Slack));
        for (bad, says) in [
            (
                NewStakeholder::from_text(
                    "",
                    "person",
                    "internal",
                    "it",
                    Some("a@b"),
                    None,
                    None,
                    None,
                ),
                "empty",
            ),
            (
                NewStakeholder::from_text(
                    "X",
                    "robot",
                    "internal",
                    "it",
                    Some("a@b"),
                    None,
                    None,
                    None,
                ),
                "kind",
            ),
            (
                NewStakeholder::from_text("X", "person", "internal", "it", None, None, None, None),
                "channel",
            ),
            (
                NewStakeholder::from_text(
                    "X",
                    "person",
                    "internal",
                    "it",
                    Some("not an address"),
                    None,
                    None,
                    None,
                ),
                "e-mail",
            ),
            (
                NewStakeholder::from_text(
                    "X",
                    "person",
                    "internal",
                    "it",
                    None,
                    Some("ftp://x"),
                    None,
                    None,
                ),
                "http",
            ),
            (
                NewStakeholder::from_text(
                    "X",
                    "person",
                    "internal",
                    "it",
                    None,
                    Some("https://x"),
                    Some("irc"),
                    None,
                ),
                "format",
            ),
        ] {
            let e = bad.unwrap_err().to_string().to_lowercase();
            assert!(e.contains(says), "{e}");
        }
    }

    #[test]
    fn a_report_goes_as_far_as_its_marking() {
        use crate::triage::Tlp;
        assert_eq!(
            carry(Tlp::Amber, Reach::External, true, None),
            Ok(Carry::Attached)
        );
        assert_eq!(
            carry(Tlp::Green, Reach::External, true, None),
            Ok(Carry::Attached)
        );
        assert_eq!(
            carry(Tlp::AmberStrict, Reach::External, true, None),
            Err(ShareRefusal::Marking {
                tlp: Tlp::AmberStrict,
                scope: Reach::External
            })
        );
        assert_eq!(
            carry(Tlp::AmberStrict, Reach::Internal, true, None),
            Ok(Carry::Attached)
        );
        // A channel that only takes messages gets a link, never the document.
        assert_eq!(
            carry(Tlp::Clear, Reach::External, false, None),
            Ok(Carry::Link)
        );
        // TLP:RED stays in Debrief: a link to someone who may read it there, nobody else.
        assert_eq!(
            carry(Tlp::Red, Reach::Internal, true, Some(("maria", true))),
            Ok(Carry::Link)
        );
        assert_eq!(
            carry(Tlp::Red, Reach::Internal, true, Some(("maria", false))),
            Err(ShareRefusal::AccountCannotSee {
                username: "maria".into()
            })
        );
        assert!(matches!(
            carry(Tlp::Red, Reach::Internal, true, None),
            Err(ShareRefusal::Marking { .. })
        ));
        let (key, args) = carry(Tlp::Red, Reach::External, true, None)
            .unwrap_err()
            .key();
        assert_eq!(key, "share-refused-marking");
        assert_eq!(args[0].1, "TLP:RED");
    }
}
