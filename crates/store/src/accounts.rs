//! Accounts, API tokens and sessions: the types the store keeps for authentication.

use std::fmt;

use debrief_domain::{Language, Role, Timestamp, Username, Zone};
use serde::Serialize;

/// A person who can sign in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: String,
    pub username: Username,
    pub display_name: String,
    pub role: Role,
    pub language: Option<Language>,
    /// The zone they read and type times in; the installation's when `None`.
    pub timezone: Option<Zone>,
    pub disabled: bool,
    pub created_at: Timestamp,
    /// The password was given to them (generated, or the first start's): they must choose
    /// their own before doing anything else in the browser.
    #[serde(default)]
    pub must_change_password: bool,
}

/// A user with their password hash, for sign-in only. `Debug` hides the hash.
#[derive(Clone)]
pub struct UserRecord {
    pub user: User,
    pub password_hash: String,
}

impl fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserRecord")
            .field("user", &self.user)
            .field("password_hash", &"[redacted]")
            .finish()
    }
}

/// A user to create. `Debug` hides the hash.
#[derive(Clone)]
pub struct NewUser {
    pub username: Username,
    pub display_name: String,
    pub role: Role,
    pub password_hash: String,
    pub language: Option<Language>,
    /// Whether they must choose their own password at their next sign-in.
    pub must_change_password: bool,
}

impl fmt::Debug for NewUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewUser")
            .field("username", &self.username)
            .field("role", &self.role)
            .field("password_hash", &"[redacted]")
            .finish()
    }
}

/// Changes to a user; `None` leaves a field as it is.
#[derive(Clone, Default)]
pub struct UserChanges {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub disabled: Option<bool>,
    pub language: Option<Option<Language>>,
    pub timezone: Option<Option<Zone>>,
    pub password_hash: Option<String>,
    pub must_change_password: Option<bool>,
}

impl fmt::Debug for UserChanges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserChanges")
            .field("display_name", &self.display_name)
            .field("role", &self.role)
            .field("disabled", &self.disabled)
            .field("language", &self.language)
            .field("timezone", &self.timezone)
            .field(
                "password_hash",
                &self.password_hash.as_ref().map(|_| "[redacted]"),
            )
            .field("must_change_password", &self.must_change_password)
            .finish()
    }
}

/// An API token's metadata (the token itself is shown once, at creation, and never stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: String,
    pub username: String,
    pub name: String,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

/// A browser session as its holder (or an admin) sees it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionInfo {
    /// The first 16 hex digits of the hash of its cookie: enough to name it, useless to use it.
    pub id: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    /// When it was last used (to the minute).
    pub last_seen_at: Timestamp,
}

/// Where a browser session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SessionStage {
    /// Signed in: the session opens every page its account may see.
    Full,
    /// The password was right and the account has a second factor: the session only opens the
    /// page that asks for it.
    SecondFactor,
    /// The password was right, a second factor is required and the account has none yet: the
    /// session only opens the page where one is added.
    Enrol,
}

impl SessionStage {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStage::Full => "full",
            SessionStage::SecondFactor => "second-factor",
            SessionStage::Enrol => "enrol",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "full" => Some(SessionStage::Full),
            "second-factor" => Some(SessionStage::SecondFactor),
            "enrol" => Some(SessionStage::Enrol),
            _ => None,
        }
    }
}

/// A live browser session.
#[derive(Clone)]
pub struct Session {
    pub user: User,
    pub csrf_token: String,
    pub expires_at: Timestamp,
    pub stage: SessionStage,
    /// When it was last used (the idle lifetime counts from here).
    pub last_seen_at: Timestamp,
    /// The state of a passkey ceremony under way in this session (server-side, JSON).
    pub challenge: Option<String>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("user", &self.user.username)
            .field("stage", &self.stage)
            .field("expires_at", &self.expires_at)
            .field("last_seen_at", &self.last_seen_at)
            .finish_non_exhaustive()
    }
}

/// What kind of second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FactorKind {
    /// A time-based one-time password app (RFC 6238).
    Totp,
    /// A WebAuthn credential (security key, platform authenticator).
    Passkey,
}

impl FactorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FactorKind::Totp => "totp",
            FactorKind::Passkey => "passkey",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "totp" => Some(FactorKind::Totp),
            "passkey" => Some(FactorKind::Passkey),
            _ => None,
        }
    }
}

/// A second factor of an account. `secret` is the TOTP key (base32) or the passkey's stored
/// credential (JSON); it never leaves the server, and `Debug` and `Serialize` hide it.
#[derive(Clone, Serialize)]
pub struct SecondFactor {
    pub id: String,
    pub kind: FactorKind,
    pub label: String,
    #[serde(skip)]
    pub secret: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

impl fmt::Debug for SecondFactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecondFactor")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("label", &self.label)
            .field("secret", &"[redacted]")
            .field("created_at", &self.created_at)
            .field("last_used_at", &self.last_used_at)
            .finish()
    }
}
