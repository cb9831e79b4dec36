//! Observables and indicators of compromise: their types, validation and normalisation
//! (refanging `hxxp://evil[.]com`, lower-case domains, canonical IP addresses), and extraction
//! from a pasted block of text.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::error::DomainError;

/// What an observable is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ObservableKind {
    Ipv4,
    Ipv6,
    Cidr,
    Domain,
    Url,
    Email,
    Md5,
    Sha1,
    Sha256,
    Filename,
    Filepath,
    Hostname,
    UserAccount,
    RegistryKey,
    Process,
    Cve,
    Asn,
    UserAgent,
    Mutex,
    Other,
}

impl ObservableKind {
    pub const ALL: [ObservableKind; 20] = [
        ObservableKind::Ipv4,
        ObservableKind::Ipv6,
        ObservableKind::Cidr,
        ObservableKind::Domain,
        ObservableKind::Url,
        ObservableKind::Email,
        ObservableKind::Md5,
        ObservableKind::Sha1,
        ObservableKind::Sha256,
        ObservableKind::Filename,
        ObservableKind::Filepath,
        ObservableKind::Hostname,
        ObservableKind::UserAccount,
        ObservableKind::RegistryKey,
        ObservableKind::Process,
        ObservableKind::Cve,
        ObservableKind::Asn,
        ObservableKind::UserAgent,
        ObservableKind::Mutex,
        ObservableKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ObservableKind::Ipv4 => "ipv4",
            ObservableKind::Ipv6 => "ipv6",
            ObservableKind::Cidr => "cidr",
            ObservableKind::Domain => "domain",
            ObservableKind::Url => "url",
            ObservableKind::Email => "email",
            ObservableKind::Md5 => "md5",
            ObservableKind::Sha1 => "sha1",
            ObservableKind::Sha256 => "sha256",
            ObservableKind::Filename => "filename",
            ObservableKind::Filepath => "filepath",
            ObservableKind::Hostname => "hostname",
            ObservableKind::UserAccount => "user-account",
            ObservableKind::RegistryKey => "registry-key",
            ObservableKind::Process => "process",
            ObservableKind::Cve => "cve",
            ObservableKind::Asn => "asn",
            ObservableKind::UserAgent => "user-agent",
            ObservableKind::Mutex => "mutex",
            ObservableKind::Other => "other",
        }
    }
}

impl fmt::Display for ObservableKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ObservableKind {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('_', "-");
        ObservableKind::ALL
            .into_iter()
            .find(|k| k.as_str() == wanted)
            .ok_or_else(|| DomainError::Unknown {
                what: "observable type",
                value: s.to_string(),
                expected: ObservableKind::ALL.map(|k| k.as_str()).join(", "),
            })
    }
}

/// Undoes the usual defanging: `hxxp` → `http`, `[.]` `(.)` `[dot]` → `.`, `[@]` `[at]` → `@`,
/// `[:]` → `:`, `[://]` → `://`.
pub fn refang(text: &str) -> String {
    static PATTERNS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
        [
            (r"(?i)\bhxxp(s?)\b", "http$1"),
            (r"(?i)\bfxp\b", "ftp"),
            (r"\[://\]", "://"),
            (r"(?i)\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\s\[dot\]\s", "."),
            (r"(?i)\[@\]|\(@\)|\[at\]|\(at\)", "@"),
            (r"\[:\]", ":"),
        ]
        .into_iter()
        .filter_map(|(p, r)| Regex::new(p).ok().map(|re| (re, r)))
        .collect()
    });
    let mut out = text.to_string();
    for (re, with) in PATTERNS.iter() {
        out = re.replace_all(&out, *with).into_owned();
    }
    out
}

fn invalid(kind: ObservableKind, value: &str, why: &str) -> DomainError {
    DomainError::InvalidField {
        field: "observable",
        problem: format!("`{value}` is not a valid {kind}: {why}"),
    }
}

fn valid_domain(d: &str) -> bool {
    d.len() <= 253
        && d.contains('.')
        && d.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        })
        && d.rsplit('.')
            .next()
            .is_some_and(|tld| tld.chars().any(|c| c.is_alphabetic()))
}

/// Checks `raw` as a `kind` and returns its canonical form.
pub fn normalize(kind: ObservableKind, raw: &str) -> Result<String, DomainError> {
    use ObservableKind::*;
    let value = refang(raw.trim());
    let value = value.trim();
    if value.is_empty() {
        return Err(invalid(kind, raw, "it is empty"));
    }
    if value.chars().count() > 2048 {
        return Err(invalid(
            kind,
            &raw.chars().take(40).collect::<String>(),
            "longer than 2048 characters",
        ));
    }
    if kind != Other && value.chars().any(|c| c.is_control() && c != '\t') {
        return Err(invalid(kind, raw, "it contains control characters"));
    }
    let hex = |n: usize| -> Result<String, DomainError> {
        let v = value.to_ascii_lowercase();
        if v.len() == n && v.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(v)
        } else {
            Err(invalid(
                kind,
                raw,
                &format!("expected {n} hexadecimal digits"),
            ))
        }
    };
    Ok(match kind {
        Ipv4 => value
            .parse::<Ipv4Addr>()
            .map_err(|_| invalid(kind, raw, "expected four numbers 0–255 like 203.0.113.7"))?
            .to_string(),
        Ipv6 => value
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<Ipv6Addr>()
            .map_err(|_| invalid(kind, raw, "expected an IPv6 address like 2001:db8::1"))?
            .to_string(),
        Cidr => {
            let (addr, len) = value
                .split_once('/')
                .ok_or_else(|| invalid(kind, raw, "expected address/prefix like 10.0.0.0/8"))?;
            let ip: IpAddr = addr
                .parse()
                .map_err(|_| invalid(kind, raw, "the address part is not an IP address"))?;
            let len: u8 = len
                .parse()
                .map_err(|_| invalid(kind, raw, "the prefix length is not a number"))?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            if len > max {
                return Err(invalid(
                    kind,
                    raw,
                    &format!("the prefix length must be at most {max}"),
                ));
            }
            format!("{ip}/{len}")
        }
        Domain | Hostname => {
            let d = value.trim_end_matches('.').to_lowercase();
            if kind == Domain && !valid_domain(&d) {
                return Err(invalid(kind, raw, "expected a name like example.com"));
            }
            if kind == Hostname && (d.contains(char::is_whitespace) || d.contains('/')) {
                return Err(invalid(kind, raw, "host names have no spaces or slashes"));
            }
            d
        }
        Url => {
            let (scheme, rest) = value
                .split_once("://")
                .ok_or_else(|| invalid(kind, raw, "expected scheme://host/…"))?;
            let scheme = scheme.to_ascii_lowercase();
            if scheme.is_empty()
                || !scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
            {
                return Err(invalid(kind, raw, "the scheme is not valid"));
            }
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            let (authority, tail) = rest.split_at(end);
            let host = authority.rsplit('@').next().unwrap_or(authority);
            if host.is_empty() || host.contains(char::is_whitespace) {
                return Err(invalid(kind, raw, "it has no host"));
            }
            format!("{scheme}://{}{tail}", authority.to_lowercase())
        }
        Email => {
            let (local, domain) = value
                .rsplit_once('@')
                .ok_or_else(|| invalid(kind, raw, "expected name@domain"))?;
            let domain = domain.trim_end_matches('.').to_lowercase();
            if local.is_empty() || local.contains(char::is_whitespace) || !valid_domain(&domain) {
                return Err(invalid(kind, raw, "expected name@domain"));
            }
            format!("{local}@{domain}")
        }
        Md5 => hex(32)?,
        Sha1 => hex(40)?,
        Sha256 => hex(64)?,
        Cve => {
            let v = value.to_ascii_uppercase();
            static CVE: LazyLock<Option<Regex>> =
                LazyLock::new(|| Regex::new(r"^CVE-\d{4}-\d{4,}$").ok());
            if !CVE.as_ref().is_some_and(|re| re.is_match(&v)) {
                return Err(invalid(kind, raw, "expected CVE-YYYY-NNNN"));
            }
            v
        }
        Asn => {
            let digits = value
                .trim_start_matches(['A', 'a'])
                .trim_start_matches(['S', 's']);
            let n: u32 = digits
                .parse()
                .map_err(|_| invalid(kind, raw, "expected AS followed by a number"))?;
            format!("AS{n}")
        }
        Filename | Filepath | UserAccount | RegistryKey | Process | UserAgent | Mutex | Other => {
            value.to_string()
        }
    })
}

/// Finds observables in free text (an e-mail, a report, a log excerpt), refanged and
/// normalised, without duplicates, in the order they first appear.
pub fn extract(text: &str) -> Vec<(ObservableKind, String)> {
    use ObservableKind::*;
    static PATTERNS: LazyLock<Vec<(ObservableKind, Regex)>> = LazyLock::new(|| {
        [
            (Url, r#"(?i)\b(?:https?|ftp)://[^\s<>"'`]+"#),
            (Email, r"(?i)\b[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}\b"),
            (Cve, r"(?i)\bCVE-\d{4}-\d{4,}\b"),
            (Cidr, r"\b(?:\d{1,3}\.){3}\d{1,3}/\d{1,2}\b"),
            (Ipv4, r"\b(?:\d{1,3}\.){3}\d{1,3}\b"),
            (Ipv6, r"(?i)(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}"),
            (Sha256, r"(?i)\b[0-9a-f]{64}\b"),
            (Sha1, r"(?i)\b[0-9a-f]{40}\b"),
            (Md5, r"(?i)\b[0-9a-f]{32}\b"),
            (
                Domain,
                r"(?i)\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}\b",
            ),
        ]
        .into_iter()
        .filter_map(|(k, p)| Regex::new(p).ok().map(|re| (k, re)))
        .collect()
    });
    let text = refang(text);
    // Spans already claimed by a more specific match (an e-mail's domain is not a domain too).
    let mut taken: Vec<(usize, usize)> = Vec::new();
    let mut found: Vec<(usize, ObservableKind, String)> = Vec::new();
    for (kind, re) in PATTERNS.iter() {
        for m in re.find_iter(&text) {
            if taken.iter().any(|(s, e)| m.start() < *e && *s < m.end()) {
                continue;
            }
            let raw = m
                .as_str()
                .trim_end_matches(['.', ',', ';', ')', ']', '>', '\'', '"']);
            // File names such as `invoice.pdf` look like domains: skip common file extensions.
            if *kind == Domain {
                let ext = raw.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
                if [
                    "exe", "dll", "pdf", "doc", "docx", "xls", "xlsx", "zip", "txt", "ps1", "bat",
                    "js", "vbs", "lnk", "iso", "png", "jpg",
                ]
                .contains(&ext.as_str())
                {
                    continue;
                }
            }
            if let Ok(value) = normalize(*kind, raw) {
                taken.push((m.start(), m.end()));
                if !found.iter().any(|(_, k, v)| k == kind && *v == value) {
                    found.push((m.start(), *kind, value));
                }
            }
        }
    }
    found.sort_by_key(|(pos, _, _)| *pos);
    found.into_iter().map(|(_, k, v)| (k, v)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ObservableKind::*;

    #[test]
    fn refangs_the_usual_forms() {
        assert_eq!(refang("hxxps://evil[.]com/a"), "https://evil.com/a");
        assert_eq!(refang("bad(.)example[dot]org"), "bad.example.org");
        assert_eq!(refang("joe[at]evil[.]com"), "joe@evil.com");
        assert_eq!(refang("hXXp[://]x[.]io"), "http://x.io");
    }

    #[test]
    fn normalises_each_kind() {
        assert_eq!(normalize(Domain, "Evil[.]COM.").unwrap(), "evil.com");
        assert_eq!(
            normalize(Url, "HXXP://Evil[.]com/Path?q=A").unwrap(),
            "http://evil.com/Path?q=A"
        );
        assert_eq!(normalize(Ipv6, "2001:DB8:0:0::1").unwrap(), "2001:db8::1");
        assert_eq!(normalize(Ipv4, " 203.0.113.7 ").unwrap(), "203.0.113.7");
        assert_eq!(normalize(Cidr, "10.0.0.0/8").unwrap(), "10.0.0.0/8");
        assert_eq!(
            normalize(Email, "Joe.Bloggs@Example.COM").unwrap(),
            "Joe.Bloggs@example.com"
        );
        assert_eq!(
            normalize(Sha256, &"AB".repeat(32)).unwrap(),
            "ab".repeat(32)
        );
        assert_eq!(normalize(Cve, "cve-2024-3400").unwrap(), "CVE-2024-3400");
        assert_eq!(normalize(Asn, "as13335").unwrap(), "AS13335");
        assert_eq!(
            normalize(Filepath, r" C:\Users\Public\a.exe ").unwrap(),
            r"C:\Users\Public\a.exe"
        );
    }

    #[test]
    fn malformed_values_say_what_was_expected() {
        let cases = [
            (Ipv4, "300.1.1.1", "0–255"),
            (Ipv4, "1.2.3", "0–255"),
            (Md5, "abc", "32 hexadecimal digits"),
            (Domain, "localhost", "example.com"),
            (Url, "evil.com/path", "scheme://"),
            (Cidr, "10.0.0.0/33", "at most 32"),
            (Cve, "CVE-24-1", "CVE-YYYY-NNNN"),
            (Email, "nobody", "name@domain"),
            (Other, "   ", "empty"),
        ];
        for (kind, raw, hint) in cases {
            let err = normalize(kind, raw).unwrap_err().to_string();
            assert!(err.contains(hint), "{kind} {raw}: {err}");
        }
    }

    #[test]
    fn extracts_from_a_pasted_report() {
        let text = "Phish from joe[at]evil-mail[.]com linking hxxps://login.micros0ft[.]com/auth?x=1.\n\
                    Beacon to 203.0.113.7 and 2001:db8::dead:beef, payload invoice.pdf.exe \n\
                    sha256 E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855, md5 d41d8cd98f00b204e9800998ecf8427e \n\
                    exploits CVE-2024-3400; C2 domain update-check.net; range 198.51.100.0/24. Again: 203.0.113.7";
        let found = extract(text);
        let expect = vec![
            (Email, "joe@evil-mail.com".to_string()),
            (Url, "https://login.micros0ft.com/auth?x=1".to_string()),
            (Ipv4, "203.0.113.7".to_string()),
            (Ipv6, "2001:db8::dead:beef".to_string()),
            (
                Sha256,
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".to_string(),
            ),
            (Md5, "d41d8cd98f00b204e9800998ecf8427e".to_string()),
            (Cve, "CVE-2024-3400".to_string()),
            (Domain, "update-check.net".to_string()),
            (Cidr, "198.51.100.0/24".to_string()),
        ];
        assert_eq!(found, expect);
    }
}
