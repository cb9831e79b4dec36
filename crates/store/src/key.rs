//! The installation key: an Ed25519 key pair that signs the ledger head (and, later, reports).

use std::fmt;
use std::path::Path;

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

/// The installation's signing key. Its `Debug` shows only the public half.
#[derive(Clone)]
pub struct InstallationKey(SigningKey);

/// A key file that cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read the installation key `{path}`: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write the installation key `{path}`: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("the installation key `{path}` is malformed (expected 64 hex digits)")]
    Malformed { path: String },
    #[error(
        "`{path}` already holds another installation key than the backup's: restore into a new data directory, or move that key file away"
    )]
    Different { path: String },
    #[error("no random numbers available to make a key: {0}")]
    Random(String),
}

impl InstallationKey {
    /// A fresh random key.
    pub fn generate() -> Result<Self, KeyError> {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(|e| KeyError::Random(e.to_string()))?;
        Ok(Self(SigningKey::from_bytes(&secret)))
    }

    /// Reads the key at `path`, creating it (mode 0600) if the file does not exist.
    pub fn load_or_create(path: &Path) -> Result<Self, KeyError> {
        let shown = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let mut secret = [0u8; 32];
                hex::decode_to_slice(text.trim(), &mut secret)
                    .map_err(|_| KeyError::Malformed { path: shown })?;
                Ok(Self(SigningKey::from_bytes(&secret)))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate()?;
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(|source| KeyError::Write {
                        path: shown.clone(),
                        source,
                    })?;
                }
                write_private(path, &hex::encode(key.0.to_bytes())).map_err(|source| {
                    KeyError::Write {
                        path: shown,
                        source,
                    }
                })?;
                Ok(key)
            }
            Err(source) => Err(KeyError::Read {
                path: shown,
                source,
            }),
        }
    }

    /// Installs the key `secret_hex` (64 hex digits) at `path`, as a restore does: kept if the
    /// same key is already there, refused if another one is.
    pub fn install(path: &Path, secret_hex: &str) -> Result<Self, KeyError> {
        let shown = path.display().to_string();
        let mut secret = [0u8; 32];
        hex::decode_to_slice(secret_hex.trim(), &mut secret).map_err(|_| KeyError::Malformed {
            path: shown.clone(),
        })?;
        let key = Self(SigningKey::from_bytes(&secret));
        if path.exists() {
            let there = Self::load_or_create(path)?;
            if there.public_hex() != key.public_hex() {
                return Err(KeyError::Different { path: shown });
            }
            return Ok(key);
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| KeyError::Write {
                path: shown.clone(),
                source,
            })?;
        }
        write_private(path, &hex::encode(secret)).map_err(|source| KeyError::Write {
            path: shown,
            source,
        })?;
        Ok(key)
    }

    /// The public key, hex.
    pub fn public_hex(&self) -> String {
        hex::encode(self.0.verifying_key().to_bytes())
    }

    /// Signs `message`; the signature as hex.
    pub fn sign_hex(&self, message: &[u8]) -> String {
        hex::encode(self.0.sign(message).to_bytes())
    }

    /// Whether `signature_hex` is this key's signature of `message`.
    pub fn verify_hex(&self, message: &[u8], signature_hex: &str) -> bool {
        verify_with(&self.0.verifying_key(), message, signature_hex)
    }
}

/// Whether `signature_hex` is `key`'s signature of `message`.
pub fn verify_with(key: &VerifyingKey, message: &[u8], signature_hex: &str) -> bool {
    let mut bytes = [0u8; 64];
    if hex::decode_to_slice(signature_hex, &mut bytes).is_err() {
        return false;
    }
    key.verify(message, &Signature::from_bytes(&bytes)).is_ok()
}

impl fmt::Debug for InstallationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "InstallationKey(public: {}, secret: [redacted])",
            self.public_hex()
        )
    }
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(contents.as_bytes())?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_the_secret() {
        let key = InstallationKey::generate().unwrap();
        let shown = format!("{key:?}");
        assert!(shown.contains("[redacted]"));
        assert!(!shown.contains(&hex::encode(key.0.to_bytes())));
    }

    #[test]
    fn created_key_is_reloaded_and_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/installation.key");
        let a = InstallationKey::load_or_create(&path).unwrap();
        let b = InstallationKey::load_or_create(&path).unwrap();
        assert_eq!(a.public_hex(), b.public_hex());
        let sig = a.sign_hex(b"head");
        assert!(b.verify_hex(b"head", &sig));
        assert!(!b.verify_hex(b"head!", &sig));
    }
}
