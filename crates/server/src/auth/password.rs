//! Passwords: the policy (length, not the account's name, zxcvbn), argon2id hashing and
//! checking, generated passwords, and a person's change of their own password.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use debrief_store::accounts::User;

use crate::AppState;

/// A random password for new accounts: 20 characters from an unambiguous alphabet.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut buf = [0u8; 20];
    if let Err(e) = getrandom::fill(&mut buf) {
        panic!("no operating-system randomness available: {e}");
    }
    buf.iter()
        .map(|b| ALPHABET[(*b as usize) % ALPHABET.len()] as char)
        .collect()
}

/// Why a password is refused; its text (English) says what to change, and pages show it in
/// the reader's language by its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WeakPassword {
    TooShort(usize),
    TooLong,
    Blank,
    /// It holds the account's name.
    HasName(String),
    /// Easy to guess: about 10^n guesses, and the estimator's hints.
    Guessable {
        log10: u32,
        hints: String,
    },
}

impl std::fmt::Display for WeakPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WeakPassword::TooShort(n) => {
                write!(f, "the password has {n} characters; use at least 12")
            }
            WeakPassword::TooLong => f.write_str("the password is longer than 256 characters"),
            WeakPassword::Blank => {
                f.write_str("the password is only spaces; choose one with words or characters")
            }
            WeakPassword::HasName(name) => write!(
                f,
                "the password contains the account's name `{name}`; choose one without it"
            ),
            WeakPassword::Guessable { log10, hints } => write!(
                f,
                "the password is too easy to guess (about 10^{log10} guesses; at least 10^10 is needed){hints}"
            ),
        }
    }
}

/// Checks a password's strength. At least 12 and at most 256 characters, not the account's own
/// name (nor containing it), and not easy to guess: the zxcvbn estimator must rate it at least
/// 3 of 4 ("safely unguessable", about 10¹⁰ guesses), with the account's names and the
/// product's counted as words an attacker tries first.
pub fn check_password(password: &str, names: &[&str]) -> Result<(), WeakPassword> {
    let n = password.chars().count();
    if n < 12 {
        return Err(WeakPassword::TooShort(n));
    }
    if n > 256 {
        return Err(WeakPassword::TooLong);
    }
    if password.trim().is_empty() {
        return Err(WeakPassword::Blank);
    }
    let folded = password.to_lowercase();
    for name in names.iter().map(|n| n.trim().to_lowercase()) {
        if name.chars().count() >= 3 && folded.contains(&name) {
            return Err(WeakPassword::HasName(name));
        }
    }
    let mut inputs: Vec<&str> = names.to_vec();
    inputs.extend(["debrief", "password", "incident", "security"]);
    let estimate = zxcvbn::zxcvbn(password, &inputs);
    if estimate.score() < zxcvbn::Score::Three {
        let mut hints = String::new();
        if let Some(f) = estimate.feedback() {
            if let Some(w) = f.warning() {
                hints.push_str(&format!(": {w}"));
            }
            for s in f.suggestions() {
                hints.push_str(&format!(" {s}"));
            }
        }
        return Err(WeakPassword::Guessable {
            log10: estimate.guesses_log10().max(0.0).round() as u32,
            hints,
        });
    }
    Ok(())
}

/// Why a person's change of their own password was refused.
#[derive(Debug)]
pub enum PasswordChangeRefused {
    /// The current password is wrong.
    WrongCurrent,
    /// Too many checks of this account's password lately: seconds to wait.
    Locked(u64),
    /// The new password does not meet the policy.
    Weak(WeakPassword),
    /// The two copies of the new password differ.
    Mismatch,
    /// The new password is the current one.
    Same,
    /// The store failed.
    Store(debrief_store::StoreError),
}

/// A person changes their own password: the current one is checked (under the sign-in limits,
/// so a stolen session cannot be used to guess it), the new one must meet the policy and
/// differ from it; then every session of theirs ends and they no longer have to change it.
pub async fn change_own_password(
    state: &AppState,
    user: &User,
    address: &str,
    current: &str,
    new: &str,
    confirm: &str,
) -> Result<User, PasswordChangeRefused> {
    use PasswordChangeRefused as R;
    if new != confirm {
        return Err(R::Mismatch);
    }
    check_password(new, &[user.username.as_str(), &user.display_name]).map_err(R::Weak)?;
    if new == current {
        return Err(R::Same);
    }
    let attempt = state
        .limiter
        .begin(user.username.as_str(), address)
        .await
        .map_err(R::Locked)?;
    let record = state
        .store
        .user_record(user.username.as_str())
        .await
        .map_err(R::Store)?;
    let (given, hash) = (current.to_string(), record.password_hash.clone());
    let ok = tokio::task::spawn_blocking(move || verify_password(&given, &hash))
        .await
        .unwrap_or(false);
    if !ok {
        attempt.failed();
        tracing::warn!(username = %user.username, %address, "password change: wrong current password");
        return Err(R::WrongCurrent);
    }
    attempt.succeeded().await;
    let new = new.to_string();
    let hash = tokio::task::spawn_blocking(move || hash_password(&new))
        .await
        .map_err(|_| {
            R::Store(debrief_store::StoreError::Corrupt(
                "password hashing failed".into(),
            ))
        })?
        .map_err(|e| R::Store(debrief_store::StoreError::Corrupt(e)))?;
    let caller = debrief_app::Caller::account(&user.username, user.role);
    let updated = state.app.set_own_password(&caller, hash).await;
    state.tokens.clear();
    state.basic.clear();
    updated.map_err(|e| match e {
        debrief_app::AppError::Store(s) => R::Store(s),
        other => R::Store(debrief_store::StoreError::Corrupt(other.to_string())),
    })
}

/// Hashes a password with argon2id (default parameters, random salt) into a PHC string.
pub fn hash_password(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash the password: {e}"))
}

/// Whether `password` matches the PHC string `hash`.
pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash to verify against when the user does not exist, so that timing does not reveal it.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not a real password, only for timing").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterY", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn weak_passwords_and_the_users_own_name_are_refused() {
        for weak in [
            "aaaaaaaaaaaa",
            "            ",
            "password1234",
            "123456789012",
            "qwertyuiopas",
            "Debrief2026!",
            "hank-hank-hank",
            "HankHankHank!!",
            "correcthorse",
        ] {
            assert!(
                check_password(weak, &["hank", "Hank Miller"]).is_err(),
                "{weak:?}"
            );
        }
        let e = check_password("hank1234567890", &["hank"]).unwrap_err();
        assert_eq!(e, WeakPassword::HasName("hank".into()));
        for strong in [
            "correct horse battery staple",
            "Vq8#tL2m!pR9zW",
            "tartine-velo-orage-piano",
        ] {
            assert!(check_password(strong, &["hank"]).is_ok(), "{strong:?}");
        }
        let generated = generate_password();
        assert!(
            check_password(&generated, &["admin"]).is_ok(),
            "{generated}"
        );
    }
}
