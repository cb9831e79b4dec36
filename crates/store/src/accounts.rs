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
}

/// A live browser session.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub csrf_token: String,
    pub expires_at: Timestamp,
}
