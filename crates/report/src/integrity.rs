//! The seal of a rendered document: what it was rendered from (the incident, the journal entry
//! it stops at and that entry's hash, the template version, the time) and the SHA-256 of its
//! body, signed with the installation's Ed25519 key. One changed byte of the body breaks the
//! hash; one changed byte of the seal breaks the signature.
//!
//! Markdown and HTML carry the seal as a last line `<!-- debrief-seal {…} -->`; JSON documents
//! are `{"document": …, "seal": …}`.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const OPEN: &str = "<!-- debrief-seal ";
const CLOSE: &str = " -->";

/// What a seal states.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seal {
    pub incident: i64,
    pub kind: String,
    pub format: String,
    pub lang: String,
    /// The last journal entry the document reflects, and its hash.
    pub journal_seq: u64,
    pub journal_head: String,
    pub template_version: String,
    pub generated_at: String,
    /// SHA-256 of the document's body (everything but the seal).
    pub sha256: String,
    pub public_key: String,
    /// Ed25519 over [`Seal::message`].
    #[serde(default)]
    pub signature: String,
}

/// Why a document does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntegrityError {
    #[error("the document has no Debrief seal (was it rendered by `debrief report`?)")]
    NoSeal,
    #[error("the seal cannot be read: {0}")]
    BadSeal(String),
    #[error(
        "the document was changed after it was sealed: its SHA-256 is {actual}, the seal says {sealed}"
    )]
    Altered { sealed: String, actual: String },
    #[error("the seal's signature does not verify with the key {0}")]
    BadSignature(String),
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Seal {
    /// The bytes signed: every field but the signature, as canonical JSON.
    pub fn message(&self) -> Vec<u8> {
        let mut unsigned = self.clone();
        unsigned.signature = String::new();
        debrief_domain::canonical::encode(&serde_json::to_value(&unsigned).unwrap_or_default())
            .unwrap_or_default()
            .into_bytes()
    }
}

/// Seals `body`: fills the seal's hash, signs it with `sign` (message → hex signature) and
/// returns the whole document.
pub fn seal(format: &str, body: &str, mut s: Seal, sign: impl Fn(&[u8]) -> String) -> String {
    if format == "json" {
        let document: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        let canonical = debrief_domain::canonical::encode(&document).unwrap_or_default();
        s.sha256 = sha256(canonical.as_bytes());
        s.signature = sign(&s.message());
        let whole = serde_json::json!({"document": document, "seal": s});
        return serde_json::to_string_pretty(&whole).unwrap_or_default() + "\n";
    }
    // The seal goes on a line of its own: the body it covers ends with a line break.
    let body = if body.ends_with('\n') {
        body.to_string()
    } else {
        format!("{body}\n")
    };
    s.sha256 = sha256(body.as_bytes());
    s.signature = sign(&s.message());
    let line = serde_json::to_string(&s).unwrap_or_default();
    format!("{body}{OPEN}{line}{CLOSE}\n")
}

/// The seal and the body's hash as the document has them now.
pub fn open(document: &str) -> Result<(Seal, String), IntegrityError> {
    let trimmed = document.trim_start();
    if trimmed.starts_with('{') {
        let whole: serde_json::Value =
            serde_json::from_str(document).map_err(|e| IntegrityError::BadSeal(e.to_string()))?;
        let seal: Seal =
            serde_json::from_value(whole.get("seal").cloned().ok_or(IntegrityError::NoSeal)?)
                .map_err(|e| IntegrityError::BadSeal(e.to_string()))?;
        let body = whole.get("document").cloned().unwrap_or_default();
        let canonical = debrief_domain::canonical::encode(&body)
            .map_err(|e| IntegrityError::BadSeal(e.to_string()))?;
        return Ok((seal, sha256(canonical.as_bytes())));
    }
    let at = document.rfind(OPEN).ok_or(IntegrityError::NoSeal)?;
    let (body, rest) = document.split_at(at);
    let json = rest
        .trim_end()
        .strip_prefix(OPEN)
        .and_then(|r| r.strip_suffix(CLOSE))
        .ok_or(IntegrityError::NoSeal)?;
    let seal: Seal =
        serde_json::from_str(json).map_err(|e| IntegrityError::BadSeal(e.to_string()))?;
    Ok((seal, sha256(body.as_bytes())))
}

/// Checks a document: its body still has the sealed hash, and `verify(public key, message,
/// signature)` accepts the seal.
pub fn check(
    document: &str,
    verify: impl Fn(&str, &[u8], &str) -> bool,
) -> Result<Seal, IntegrityError> {
    let (seal, actual) = open(document)?;
    if actual != seal.sha256 {
        return Err(IntegrityError::Altered {
            sealed: seal.sha256,
            actual,
        });
    }
    if !verify(&seal.public_key, &seal.message(), &seal.signature) {
        return Err(IntegrityError::BadSignature(seal.public_key));
    }
    Ok(seal)
}

/// The PDF seal line: PDF readers ignore what follows `%%EOF`; a comment line keeps the file a
/// valid PDF.
const PDF_OPEN: &[u8] = b"\n%debrief-seal ";

/// Seals a PDF: the seal goes on a comment line after the document.
pub fn seal_pdf(body: &[u8], mut s: Seal, sign: impl Fn(&[u8]) -> String) -> Vec<u8> {
    s.sha256 = hex::encode(Sha256::digest(body));
    s.signature = sign(&s.message());
    let mut out = body.to_vec();
    out.extend_from_slice(PDF_OPEN);
    out.extend_from_slice(serde_json::to_string(&s).unwrap_or_default().as_bytes());
    out.push(b'\n');
    out
}

/// [`check`] for any document as bytes: a sealed PDF, or a text document.
pub fn check_bytes(
    document: &[u8],
    verify: impl Fn(&str, &[u8], &str) -> bool,
) -> Result<Seal, IntegrityError> {
    if !document.starts_with(b"%PDF") {
        let text = std::str::from_utf8(document).map_err(|_| IntegrityError::NoSeal)?;
        return check(text, verify);
    }
    let at = document
        .windows(PDF_OPEN.len())
        .rposition(|w| w == PDF_OPEN)
        .ok_or(IntegrityError::NoSeal)?;
    let (body, rest) = document.split_at(at);
    let json = std::str::from_utf8(&rest[PDF_OPEN.len()..])
        .map_err(|e| IntegrityError::BadSeal(e.to_string()))?;
    let seal: Seal =
        serde_json::from_str(json.trim()).map_err(|e| IntegrityError::BadSeal(e.to_string()))?;
    let actual = hex::encode(Sha256::digest(body));
    if actual != seal.sha256 {
        return Err(IntegrityError::Altered {
            sealed: seal.sha256,
            actual,
        });
    }
    if !verify(&seal.public_key, &seal.message(), &seal.signature) {
        return Err(IntegrityError::BadSignature(seal.public_key));
    }
    Ok(seal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blank() -> Seal {
        Seal {
            incident: 7,
            kind: "final".into(),
            format: "md".into(),
            lang: "en".into(),
            journal_seq: 12,
            journal_head: "ab".repeat(32),
            template_version: "1".into(),
            generated_at: "2026-11-24T10:00:00Z".into(),
            sha256: String::new(),
            public_key: "pk".into(),
            signature: String::new(),
        }
    }

    /// A toy signature for the test only: the hash of key and message.
    fn sign(m: &[u8]) -> String {
        sha256(&[b"pk".as_slice(), m].concat())
    }
    fn verify(pk: &str, m: &[u8], sig: &str) -> bool {
        sha256(&[pk.as_bytes(), m].concat()) == sig
    }

    #[test]
    fn a_sealed_document_verifies_and_one_changed_byte_does_not() {
        for format in ["md", "json"] {
            let body = if format == "json" {
                r#"{"title": "Phishing"}"#
            } else {
                "# Phishing\n\nBody.\n"
            };
            let doc = seal(
                format,
                body,
                Seal {
                    format: format.into(),
                    ..blank()
                },
                sign,
            );
            let s = check(&doc, verify).unwrap();
            assert_eq!((s.incident, s.journal_seq), (7, 12));
            let altered = doc.replacen("Phishing", "Phishinf", 1);
            assert!(
                matches!(check(&altered, verify), Err(IntegrityError::Altered { .. })),
                "{format}"
            );
            let reseq = doc
                .replacen("\"journal_seq\":12", "\"journal_seq\":13", 1)
                .replacen("\"journal_seq\": 12", "\"journal_seq\": 13", 1);
            assert!(
                matches!(check(&reseq, verify), Err(IntegrityError::BadSignature(_))),
                "{format}"
            );
        }
        assert_eq!(check("# nothing", verify), Err(IntegrityError::NoSeal));
    }
}
