//! The seal of a rendered document: what it was rendered from (the incident, the journal entry
//! it stops at and that entry's hash, the template version, the time) and the SHA-256 of its
//! body, signed with the installation's Ed25519 key. One changed byte of the body breaks the
//! hash; one changed byte of the seal breaks the signature.
//!
//! Markdown and HTML carry the seal as a last line `<!-- debrief-seal {…} -->`; JSON documents
//! are `{"document": …, "seal": …}`; a PDF carries it on a comment line after `%%EOF`; a DOCX
//! (a ZIP archive) as the archive's comment, which ZIP readers and word processors ignore —
//! in a compact form ([`ZipSeal`]), since LibreOffice does not open an archive whose comment
//! is longer than about 500 bytes.

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

/// A ZIP archive's end-of-central-directory record: its signature, and its length without the
/// archive comment (whose length is the record's last two bytes).
const EOCD: &[u8] = b"PK\x05\x06";
const EOCD_LEN: usize = 22;

/// Where a ZIP archive's end record starts, if it has one.
fn end_record(zip: &[u8]) -> Option<usize> {
    zip.windows(EOCD.len())
        .rposition(|w| w == EOCD)
        .filter(|at| at + EOCD_LEN <= zip.len())
}

/// The archive without its comment (the bytes a ZIP seal covers), and the comment.
fn split_zip(zip: &[u8]) -> Option<(Vec<u8>, &[u8])> {
    let at = end_record(zip)?;
    let len = u16::from_le_bytes([zip[at + 20], zip[at + 21]]) as usize;
    let comment = zip.get(at + EOCD_LEN..at + EOCD_LEN + len)?;
    let mut body = zip[..at + 20].to_vec();
    body.extend_from_slice(&[0, 0]);
    Some((body, comment))
}

/// A seal as a ZIP comment: the same fields under one-letter names, the hashes, key and
/// signature in base64 instead of hex (about 380 bytes instead of 530).
#[derive(Debug, Serialize, Deserialize)]
struct ZipSeal {
    /// Marks the comment as a Debrief seal, version 1.
    #[serde(rename = "debrief-seal")]
    version: u8,
    #[serde(rename = "i")]
    incident: i64,
    #[serde(rename = "k")]
    kind: String,
    #[serde(rename = "f")]
    format: String,
    #[serde(rename = "l")]
    lang: String,
    #[serde(rename = "s")]
    journal_seq: u64,
    #[serde(rename = "h")]
    journal_head: String,
    #[serde(rename = "t")]
    template_version: String,
    #[serde(rename = "g")]
    generated_at: String,
    #[serde(rename = "d")]
    sha256: String,
    #[serde(rename = "p")]
    public_key: String,
    #[serde(rename = "x")]
    signature: String,
}

impl ZipSeal {
    fn of(s: &Seal) -> ZipSeal {
        use base64::Engine;
        let b64 = |h: &str| {
            hex::decode(h)
                .map(|b| base64::engine::general_purpose::STANDARD_NO_PAD.encode(b))
                .unwrap_or_else(|_| h.to_string())
        };
        ZipSeal {
            version: 1,
            incident: s.incident,
            kind: s.kind.clone(),
            format: s.format.clone(),
            lang: s.lang.clone(),
            journal_seq: s.journal_seq,
            journal_head: b64(&s.journal_head),
            template_version: s.template_version.clone(),
            generated_at: s.generated_at.clone(),
            sha256: b64(&s.sha256),
            public_key: b64(&s.public_key),
            signature: b64(&s.signature),
        }
    }

    fn seal(self) -> Result<Seal, IntegrityError> {
        use base64::Engine;
        let hex = |field: &str, b: &str| {
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(b)
                .map(hex::encode)
                .map_err(|e| IntegrityError::BadSeal(format!("{field}: {e}")))
        };
        Ok(Seal {
            incident: self.incident,
            kind: self.kind,
            format: self.format,
            lang: self.lang,
            journal_seq: self.journal_seq,
            journal_head: hex("journal head", &self.journal_head)?,
            template_version: self.template_version,
            generated_at: self.generated_at,
            sha256: hex("sha256", &self.sha256)?,
            public_key: hex("public key", &self.public_key)?,
            signature: hex("signature", &self.signature)?,
        })
    }
}

/// Seals a ZIP archive (a DOCX): the seal is the archive's comment. An archive that is not a ZIP
/// comes back as it was, and then does not verify.
pub fn seal_zip(zip: &[u8], mut s: Seal, sign: impl Fn(&[u8]) -> String) -> Vec<u8> {
    let Some((mut body, _)) = split_zip(zip) else {
        return zip.to_vec();
    };
    s.sha256 = hex::encode(Sha256::digest(&body));
    s.signature = sign(&s.message());
    let json = serde_json::to_string(&ZipSeal::of(&s)).unwrap_or_default();
    let len = u16::try_from(json.len()).unwrap_or(0);
    let at = body.len() - 2;
    body[at..].copy_from_slice(&len.to_le_bytes());
    if len > 0 {
        body.extend_from_slice(json.as_bytes());
    }
    body
}

/// [`check`] for any document as bytes: a sealed PDF or DOCX, or a text document.
pub fn check_bytes(
    document: &[u8],
    verify: impl Fn(&str, &[u8], &str) -> bool,
) -> Result<Seal, IntegrityError> {
    if document.starts_with(b"PK\x03\x04") {
        let (body, comment) = split_zip(document).ok_or(IntegrityError::NoSeal)?;
        if comment.is_empty() {
            return Err(IntegrityError::NoSeal);
        }
        let seal: ZipSeal =
            serde_json::from_slice(comment).map_err(|e| IntegrityError::BadSeal(e.to_string()))?;
        return verified(seal.seal()?, &body, verify);
    }
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
    verified(seal, body, verify)
}

/// The seal, if `body` still has its hash and its signature verifies.
fn verified(
    seal: Seal,
    body: &[u8],
    verify: impl Fn(&str, &[u8], &str) -> bool,
) -> Result<Seal, IntegrityError> {
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
        sign_with("pk", m)
    }
    fn sign_with(pk: &str, m: &[u8]) -> String {
        sha256(&[pk.as_bytes(), m].concat())
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

    #[test]
    fn a_sealed_docx_verifies_opens_as_a_zip_and_one_changed_byte_does_not() {
        let source = serde_json::json!({
            "title": "#7 Phishing", "lang": "en", "footer": "TLP:GREEN",
            "blocks": [{"kind": "p", "text": "Body", "runs": [["", "Body"]]}]
        });
        let docx = crate::docx::render(&source.to_string()).unwrap();
        assert_eq!(check_bytes(&docx, verify), Err(IntegrityError::NoSeal));
        let sealed = seal_zip(
            &docx,
            Seal {
                format: "docx".into(),
                public_key: "ef".repeat(32),
                ..blank()
            },
            |m| sign_with(&"ef".repeat(32), m),
        );
        let s = check_bytes(&sealed, verify).unwrap();
        assert_eq!((s.incident, s.format.as_str()), (7, "docx"));
        // Still a ZIP archive a reader opens, the seal as its comment.
        let archive = zip::ZipArchive::new(std::io::Cursor::new(&sealed)).unwrap();
        let comment = std::str::from_utf8(archive.comment()).unwrap();
        assert!(comment.contains("\"k\":\"final\""), "{comment}");
        let mut altered = sealed.clone();
        altered[40] ^= 1;
        assert!(matches!(
            check_bytes(&altered, verify),
            Err(IntegrityError::Altered { .. })
        ));
        // The seal says a later journal entry: same length, so still a well-formed archive.
        let (from, to) = (b"\"s\":12", b"\"s\":13");
        let at = sealed.windows(from.len()).rposition(|w| w == from).unwrap();
        let mut forged = sealed.clone();
        forged[at..at + to.len()].copy_from_slice(to);
        assert!(matches!(
            check_bytes(&forged, verify),
            Err(IntegrityError::BadSignature(_))
        ));
    }

    #[test]
    fn a_zip_seal_stays_short_enough_for_libreoffice() {
        // The longest kind, a large incident and journal, real-size hashes, key and signature.
        let s = Seal {
            incident: 9_999_999,
            kind: "nis2-early-warning".into(),
            format: "docx".into(),
            journal_seq: 9_999_999,
            journal_head: "ab".repeat(32),
            generated_at: "2026-12-07T06:53:11.123456Z".into(),
            sha256: "cd".repeat(32),
            public_key: "ef".repeat(32),
            signature: "01".repeat(64),
            ..blank()
        };
        let json = serde_json::to_string(&ZipSeal::of(&s)).unwrap();
        assert!(json.len() < 450, "{} bytes: {json}", json.len());
        let back: ZipSeal = serde_json::from_str(&json).unwrap();
        assert_eq!(back.seal().unwrap(), s);
    }
}
