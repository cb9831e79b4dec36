//! Strong sign-in: a person's second factors (TOTP keys, RFC 6238, and passkeys), their one-time
//! recovery codes, the admin's requirement that every local account have a second factor, and an
//! admin's reset of a lost one (recorded in the hash-chained access log). The WebAuthn ceremony
//! itself is the server's (`auth/passkey.rs`); what it proves is stored and checked here, so that
//! the pages, the API and the CLI apply one rule.

use debrief_domain::{Action, DomainError, Timestamp};
use debrief_store::access::AccessRecord;
use debrief_store::accounts::{FactorKind, SecondFactor, SessionStage, User};
use sha2::Digest;
use totp_rs::{Algorithm, Secret, Totp};

use crate::{App, AppError, Caller, Result};

/// The setting that requires a second factor of every local account (`true`/`false`).
const REQUIRE_SETTING: &str = "require_second_factor";
/// How many recovery codes a person gets.
pub const RECOVERY_CODES: usize = 10;
/// Bytes of a TOTP key: 160 bits, as RFC 4226 recommends.
const TOTP_KEY_BYTES: usize = 20;

/// A person's second factors as they (or an admin) see them: never a secret.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Factors {
    pub username: String,
    pub factors: Vec<SecondFactor>,
    /// Unused recovery codes.
    pub recovery_codes_left: u64,
    /// Whether the installation requires a second factor of password sign-ins.
    pub required: bool,
}

/// A TOTP key offered to a person, before they prove their app holds it.
#[derive(Clone)]
pub struct TotpOffer {
    /// The key, base32 (what an app asks for when the code cannot be scanned).
    pub secret: String,
    /// The `otpauth://` address the QR code carries.
    pub url: String,
}

impl std::fmt::Debug for TotpOffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpOffer { [redacted] }")
    }
}

/// A factor just added, with the recovery codes made for a person's first factor (shown once).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Enrolled {
    pub factor: SecondFactor,
    /// Plain recovery codes, only when this was the first factor (else empty).
    pub recovery_codes: Vec<String>,
}

/// What proved the second factor at a sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proof {
    /// A code from this TOTP factor.
    Totp { label: String },
    /// A recovery code; this many are left.
    RecoveryCode { left: u64 },
}

fn totp(secret: &[u8], username: &str) -> Result<Totp> {
    totp_rs::Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(Secret::new(secret.to_vec().into_boxed_slice()))
        .with_issuer(Some("Debrief"))
        .with_account_name(username)
        .build()
        .map_err(|e| {
            DomainError::InvalidField {
                field: "secret",
                problem: format!("is not a usable TOTP key: {e}"),
            }
            .into()
        })
}

/// The TOTP step a code matches now (±1 step of 30 s), if it does.
fn totp_step(secret_b32: &str, username: &str, code: &str) -> Result<Option<i64>> {
    let bytes = Secret::try_from_base32(secret_b32.trim())
        .map_err(|_| DomainError::InvalidField {
            field: "secret",
            problem: "is not base32".into(),
        })?
        .as_bytes()
        .to_vec();
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    Ok(totp(&bytes, username)?
        .check_current(&code)
        .map(|s| s as i64))
}

/// A recovery code as stored: SHA-256 of its letters and digits, lower case (dashes and spaces
/// are only for reading it out).
fn recovery_hash(code: &str) -> String {
    let folded: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    hex::encode(sha2::Sha256::digest(folded.as_bytes()))
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    if let Err(e) = getrandom::fill(&mut buf) {
        panic!("no operating-system randomness available: {e}");
    }
    buf
}

/// Ten recovery codes like `k7qm-w2zr-tx4p` (60 bits each, from an alphabet without look-alikes).
fn new_recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    (0..RECOVERY_CODES)
        .map(|_| {
            let chars: Vec<char> = random_bytes(12)
                .iter()
                .map(|b| ALPHABET[(*b as usize) % ALPHABET.len()] as char)
                .collect();
            chars
                .chunks(4)
                .map(|c| c.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect()
}

impl App {
    /// Whether the installation requires a second factor of every local account.
    pub async fn second_factor_required(&self) -> Result<bool> {
        Ok(self.store.setting(REQUIRE_SETTING).await?.as_deref() == Some("true"))
    }

    /// Requires (or stops requiring) a second factor of every local account (admins): recorded
    /// in the access log with the reason. Accounts without one must add one at their next page.
    pub async fn require_second_factor(
        &self,
        caller: &Caller,
        required: bool,
        reason: &str,
    ) -> Result<()> {
        caller.may(Action::Administer)?;
        let reason = reason.trim();
        self.store
            .set_setting(
                REQUIRE_SETTING,
                if required { "true" } else { "false" },
                caller.actor().as_str(),
            )
            .await?;
        let what = if required {
            "second factor required of every local account"
        } else {
            "second factor no longer required"
        };
        self.account_event(caller, "second-factor-policy", what, reason)
            .await?;
        tracing::info!(by = %caller.actor(), required, "second-factor requirement changed");
        Ok(())
    }

    /// A person's second factors (their own, or anyone's for an admin).
    pub async fn second_factors(&self, caller: &Caller, username: &str) -> Result<Factors> {
        self.own_or_admin(caller, username)?;
        let name = username.trim().to_lowercase();
        // The account must exist: an unknown name is "no user", not an empty list.
        self.store.user_record(&name).await?;
        Ok(Factors {
            username: name.clone(),
            factors: self.store.second_factors(&name).await?,
            recovery_codes_left: self.store.recovery_codes_left(&name).await?,
            required: self.second_factor_required().await?,
        })
    }

    /// Where a password sign-in of `user` stands once the password is right: signed in, the
    /// second factor awaited (they have one), or one to add (the installation requires it). The
    /// one rule for the sign-in page and HTTP Basic alike.
    pub async fn after_password(&self, user: &User) -> Result<SessionStage> {
        Ok(if self.has_second_factor(user).await? {
            SessionStage::SecondFactor
        } else if self.second_factor_required().await? {
            SessionStage::Enrol
        } else {
            SessionStage::Full
        })
    }

    /// Whether a person has at least one second factor (asked at each password sign-in).
    pub async fn has_second_factor(&self, user: &User) -> Result<bool> {
        Ok(!self
            .store
            .second_factors(user.username.as_str())
            .await?
            .is_empty())
    }

    /// A new TOTP key for the caller to put in their authenticator app; nothing is stored until
    /// [`App::enrol_totp`] gets a code it made.
    pub fn offer_totp(&self, caller: &Caller) -> Result<TotpOffer> {
        let bytes = random_bytes(TOTP_KEY_BYTES);
        let t = totp(&bytes, caller.actor().as_str())?;
        Ok(TotpOffer {
            secret: Secret::new(bytes.into_boxed_slice()).to_base32(),
            url: t.to_url().map_err(|e| AppError::Conflict(e.to_string()))?,
        })
    }

    /// Adds a TOTP factor to the caller once a code from their app matches the key (at least
    /// 160 bits). A first factor comes with new recovery codes.
    pub async fn enrol_totp(
        &self,
        caller: &Caller,
        label: &str,
        secret: &str,
        code: &str,
    ) -> Result<Enrolled> {
        let me = self.signed_in(caller)?;
        let key =
            Secret::try_from_base32(secret.trim()).map_err(|_| DomainError::InvalidField {
                field: "secret",
                problem: "is not a base32 TOTP key; start again from the settings page".into(),
            })?;
        if key.as_bytes().len() < TOTP_KEY_BYTES {
            return Err(DomainError::InvalidField {
                field: "secret",
                problem: format!(
                    "is {} bits; a TOTP key needs at least 160",
                    key.as_bytes().len() * 8
                ),
            }
            .into());
        }
        let Some(step) = totp_step(secret, &me, code)? else {
            return Err(DomainError::InvalidField {
                field: "code",
                problem: "does not match the key: type the 6 digits your app shows now (check that this device's clock is right)".into(),
            }
            .into());
        };
        let label = factor_label(label, "Authenticator app")?;
        let factor = self
            .store
            .add_second_factor(&me, FactorKind::Totp, &label, &key.to_base32())
            .await?;
        // The code just typed signs nobody in later.
        self.store.use_totp_step(&factor.id, step).await?;
        self.enrolled(caller, &me, factor).await
    }

    /// Adds a passkey the server's WebAuthn ceremony registered (its stored credential, JSON).
    pub async fn enrol_passkey(
        &self,
        caller: &Caller,
        label: &str,
        credential: &str,
    ) -> Result<Enrolled> {
        let me = self.signed_in(caller)?;
        let label = factor_label(label, "Passkey")?;
        let factor = self
            .store
            .add_second_factor(&me, FactorKind::Passkey, &label, credential)
            .await?;
        self.enrolled(caller, &me, factor).await
    }

    async fn enrolled(&self, caller: &Caller, me: &str, factor: SecondFactor) -> Result<Enrolled> {
        let recovery_codes = if self.store.recovery_codes_left(me).await? == 0 {
            self.replace_recovery_codes(me).await?
        } else {
            Vec::new()
        };
        tracing::info!(user = %me, kind = factor.kind.as_str(), "second factor added");
        let what = format!("{} `{}` added", factor.kind.as_str(), factor.label);
        self.account_event(caller, "second-factor-added", &what, "")
            .await?;
        Ok(Enrolled {
            factor,
            recovery_codes,
        })
    }

    async fn replace_recovery_codes(&self, username: &str) -> Result<Vec<String>> {
        let codes = new_recovery_codes();
        let hashes: Vec<String> = codes.iter().map(|c| recovery_hash(c)).collect();
        self.store.set_recovery_codes(username, &hashes).await?;
        Ok(codes)
    }

    /// New recovery codes for the caller (the old ones stop working); they must have a second
    /// factor.
    pub async fn new_recovery_codes(&self, caller: &Caller) -> Result<Vec<String>> {
        let me = self.signed_in(caller)?;
        if self.store.second_factors(&me).await?.is_empty() {
            return Err(AppError::Conflict(
                "add a second factor first; recovery codes stand in for it".into(),
            ));
        }
        let codes = self.replace_recovery_codes(&me).await?;
        self.account_event(caller, "recovery-codes", "new recovery codes", "")
            .await?;
        Ok(codes)
    }

    /// Removes one of a person's second factors (their own, or anyone's for an admin). Removing
    /// the last one also removes the recovery codes.
    pub async fn remove_second_factor(
        &self,
        caller: &Caller,
        username: &str,
        id: &str,
    ) -> Result<()> {
        self.own_or_admin(caller, username)?;
        let name = username.trim().to_lowercase();
        self.store.remove_second_factor(&name, id).await?;
        if self.store.second_factors(&name).await?.is_empty() {
            self.store.set_recovery_codes(&name, &[]).await?;
        }
        let what = format!("a second factor of {name} removed");
        self.account_event(caller, "second-factor-removed", &what, "")
            .await?;
        Ok(())
    }

    /// An admin's reset of a person's lost second factor: every factor and recovery code goes,
    /// every session of theirs ends, and the reset is recorded with its reason in the access
    /// log. The person signs in with their password and adds a new factor.
    pub async fn reset_second_factors(
        &self,
        caller: &Caller,
        username: &str,
        reason: &str,
    ) -> Result<u64> {
        caller.may(Action::Administer)?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(DomainError::Empty { field: "reason" }.into());
        }
        let name = username.trim().to_lowercase();
        let n = self.store.reset_second_factors(&name).await?;
        let what = format!("second factor of {name} reset ({n} removed)");
        self.account_event(caller, "second-factor-reset", &what, reason)
            .await?;
        tracing::warn!(by = %caller.actor(), user = %name, removed = n, "second factor reset");
        Ok(n)
    }

    /// Checks the second factor a person typed at sign-in: a TOTP code (each code once) or a
    /// recovery code (each once). `None`: neither matched.
    pub async fn prove_second_factor(&self, user: &User, code: &str) -> Result<Option<Proof>> {
        let name = user.username.as_str();
        let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.len() == 6 && digits.chars().all(|c| c.is_ascii_digit()) {
            for f in self.store.second_factors(name).await? {
                if f.kind != FactorKind::Totp {
                    continue;
                }
                if let Some(step) = totp_step(&f.secret, name, &digits)? {
                    if self.store.use_totp_step(&f.id, step).await? {
                        return Ok(Some(Proof::Totp { label: f.label }));
                    }
                    // A code seen already: refused like a wrong one.
                    tracing::warn!(user = %name, "a TOTP code was replayed");
                    return Ok(None);
                }
            }
            return Ok(None);
        }
        if self
            .store
            .use_recovery_code(name, &recovery_hash(code))
            .await?
        {
            let left = self.store.recovery_codes_left(name).await?;
            tracing::warn!(user = %name, left, "signed in with a recovery code");
            return Ok(Some(Proof::RecoveryCode { left }));
        }
        Ok(None)
    }

    /// A person's passkeys with their stored credentials, for the server's WebAuthn ceremony at
    /// sign-in (the person has just given their password).
    pub async fn passkeys_for_sign_in(&self, user: &User) -> Result<Vec<SecondFactor>> {
        Ok(self
            .store
            .second_factors(user.username.as_str())
            .await?
            .into_iter()
            .filter(|f| f.kind == FactorKind::Passkey)
            .collect())
    }

    /// Records that a passkey signed a person in, with its credential as the ceremony updated it.
    pub async fn passkey_used(&self, id: &str, credential: &str) -> Result<()> {
        Ok(self.store.used_passkey(id, credential).await?)
    }

    /// The signed-in person's own name (the terminal's operator has no second factor to manage).
    fn signed_in(&self, caller: &Caller) -> Result<String> {
        if caller.role().is_none() {
            return Err(debrief_domain::Denied(
                "second factors are a signed-in person's own; sign in to add one".into(),
            )
            .into());
        }
        Ok(caller.actor().as_str().to_string())
    }

    /// Records an account event (a factor added, reset, the requirement changed) in the access
    /// log, whose hash chain `debrief verify` checks.
    async fn account_event(
        &self,
        caller: &Caller,
        kind: &str,
        what: &str,
        reason: &str,
    ) -> Result<()> {
        let what = if reason.is_empty() {
            what.to_string()
        } else {
            format!("{what}: {reason}")
        };
        self.store
            .record_access(AccessRecord {
                at: Timestamp::now(),
                actor: caller.actor().as_str().to_string(),
                action: "account".into(),
                incident_id: None,
                number: None,
                what,
                kind: kind.into(),
                format: String::new(),
                lang: String::new(),
                entry: None,
                sha256: None,
                address: caller.address().unwrap_or("cli").to_string(),
            })
            .await?;
        Ok(())
    }
}

/// A factor's name as its owner gave it (or the default), one line of at most 60 characters.
fn factor_label(label: &str, default: &str) -> Result<String> {
    let label = label.trim();
    if label.is_empty() {
        return Ok(default.to_string());
    }
    Ok(debrief_domain::text::Label::parse_as("label", label)?
        .into_inner()
        .chars()
        .take(60)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_distinct_and_read_out_loosely() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), RECOVERY_CODES);
        assert_eq!(codes[0].len(), 14, "{}", codes[0]);
        // Typed in capitals, without dashes, with spaces: the same code.
        let typed = codes[0].replace('-', " ").to_uppercase();
        assert_eq!(recovery_hash(&typed), recovery_hash(&codes[0]));
        assert_ne!(recovery_hash(&codes[1]), recovery_hash(&codes[0]));
    }

    #[test]
    fn a_totp_code_matches_its_key_only() {
        let bytes = random_bytes(TOTP_KEY_BYTES);
        let b32 = Secret::new(bytes.clone().into_boxed_slice()).to_base32();
        let now = totp(&bytes, "hera").unwrap().generate_current().to_string();
        assert!(totp_step(&b32, "hera", &now).unwrap().is_some());
        let other = Secret::new(random_bytes(TOTP_KEY_BYTES).into_boxed_slice()).to_base32();
        assert!(totp_step(&other, "hera", &now).unwrap().is_none());
    }
}
