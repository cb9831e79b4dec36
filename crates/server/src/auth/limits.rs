//! Limits and origins: the sign-in limiter (checks counted as they start, per user name and per
//! address), the cache of Basic credentials recently checked, and the reverse proxies whose
//! forwarding headers are believed.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::http::HeaderMap;
use sha2::{Digest, Sha256};

/// Limits password checks, so that guessing is slow whatever the concurrency and whichever
/// instance answers: at most [`LoginLimiter::PER_USER`] checks per user name and
/// [`LoginLimiter::PER_ADDRESS`] per client address within [`LoginLimiter::WINDOW`], counted in
/// the database (`sign_in_checks`) that every instance of an installation shares. A check is
/// counted when it *starts* (the count and the decision are one step, taken in turn across
/// instances), so parallel attempts cannot all pass the check before any of them is recorded. A
/// successful sign-in starts the user's count again; its address keeps only its failures.
#[derive(Clone)]
pub struct LoginLimiter {
    app: debrief_app::App,
}

impl std::fmt::Debug for LoginLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginLimiter").finish_non_exhaustive()
    }
}

/// One password check under way; say how it ended with [`Attempt::failed`] or
/// [`Attempt::succeeded`]. Dropped without either (the check never ran: a store error), it gives
/// its place back.
#[derive(Debug)]
pub struct Attempt {
    limiter: Option<LoginLimiter>,
    user: String,
    address: String,
}

impl Attempt {
    /// The password was wrong (or the account unusable): the check stays counted.
    pub fn failed(mut self) {
        self.limiter = None;
    }

    /// The password was right: the user's count starts again, and this check is not held
    /// against the address.
    pub async fn succeeded(mut self) {
        if let Some(l) = self.limiter.take() {
            let done = async {
                l.app.clear_sign_in_checks(&self.user).await?;
                l.app.give_back_sign_in_check(&[&self.address]).await
            };
            if let Err(e) = done.await {
                tracing::warn!(error = %e, "sign-in limiter: cannot clear the count");
            }
        }
    }
}

impl Drop for Attempt {
    fn drop(&mut self) {
        let Some(l) = self.limiter.take() else {
            return;
        };
        let keys = [
            std::mem::take(&mut self.user),
            std::mem::take(&mut self.address),
        ];
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
                if let Err(e) = l.app.give_back_sign_in_check(&keys).await {
                    tracing::warn!(error = %e, "sign-in limiter: cannot give a check back");
                }
            });
        }
    }
}

impl LoginLimiter {
    /// Password checks per user name and window, whatever the address.
    pub const PER_USER: u32 = 5;
    /// Password checks per client address and window, whatever the user name.
    pub const PER_ADDRESS: u32 = 30;
    pub const WINDOW: Duration = Duration::from_secs(15 * 60);

    /// A limiter counting through the application layer, in the installation's database.
    pub fn new(app: debrief_app::App) -> Self {
        LoginLimiter { app }
    }

    /// Starts a password check for `username` from `address`, or `Err(seconds)` to wait when
    /// either has used up its checks for the window. When the database cannot count, the check
    /// goes on uncounted (it needs the database to succeed anyway).
    pub async fn begin(&self, username: &str, address: &str) -> Result<Attempt, u64> {
        let user = format!("user:{}", username.trim().to_lowercase());
        let address = format!("addr:{address}");
        let now = jiff::Timestamp::now().as_second();
        let window = i64::try_from(Self::WINDOW.as_secs()).unwrap_or(i64::MAX);
        let counters = [
            (user.as_str(), Self::PER_USER),
            (address.as_str(), Self::PER_ADDRESS),
        ];
        let counted = match self.app.count_sign_in_check(&counters, window, now).await {
            Ok(Ok(())) => true,
            Ok(Err(wait)) => return Err(wait),
            Err(e) => {
                tracing::warn!(error = %e, "sign-in limiter: cannot count this check");
                false
            }
        };
        Ok(Attempt {
            limiter: counted.then(|| self.clone()),
            user,
            address,
        })
    }
}

/// User names and passwords that passed a check less than [`BasicCache::TTL`] ago, kept only as
/// a keyed hash: a TheHive client sending Basic credentials with every request is not held to
/// the sign-in limit (nor to an argon2 check) for each of them. Failures are never cached.
#[derive(Debug)]
pub struct BasicCache {
    key: [u8; 32],
    entries: Mutex<HashMap<[u8; 32], Instant>>,
}

impl Default for BasicCache {
    fn default() -> Self {
        let mut key = [0u8; 32];
        if let Err(e) = getrandom::fill(&mut key) {
            panic!("no operating-system randomness available: {e}");
        }
        Self {
            key,
            entries: Mutex::default(),
        }
    }
}

impl BasicCache {
    pub const TTL: Duration = Duration::from_secs(5);

    fn digest(&self, username: &str, password: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.key);
        h.update(username.as_bytes());
        h.update([0]);
        h.update(password.as_bytes());
        h.finalize().into()
    }

    /// Whether these credentials passed a check within `TTL`.
    pub fn recently_checked(&self, username: &str, password: &str) -> bool {
        let d = self.digest(username, password);
        let map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&d).is_some_and(|at| at.elapsed() < Self::TTL)
    }

    /// Forgets every entry (a password changed or a user disabled in this process).
    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// Records credentials that just passed a check.
    pub fn remember(&self, username: &str, password: &str) {
        let d = self.digest(username, password);
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 10_000 {
            map.retain(|_, at| at.elapsed() < Self::TTL);
        }
        map.insert(d, Instant::now());
    }
}

/// Where requests come from when Debrief sits behind reverse proxies: the proxies' addresses
/// (`trusted_proxies`). Only a request whose peer is one of them has its `X-Forwarded-For` and
/// `X-Forwarded-Proto` believed; anyone else could write those headers.
#[derive(Debug, Clone, Default)]
pub struct Proxies {
    trusted: Vec<ipnet::IpNet>,
}

impl Proxies {
    /// Parses addresses and networks (`10.0.0.5`, `10.0.0.0/8`, `::1`).
    pub fn parse(list: &[String]) -> Result<Proxies, String> {
        let mut trusted = Vec::new();
        for item in list.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
            let net = item
                .parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    format!(
                        "trusted proxy `{item}` is not an IP address or network (10.0.0.5, 10.0.0.0/8, ::1)"
                    )
                })?;
            trusted.push(net);
        }
        Ok(Proxies { trusted })
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.trusted.iter().any(|n| n.contains(&ip))
    }

    /// The client's address: the peer's, or — when the peer is a trusted proxy — the nearest
    /// address in `X-Forwarded-For` that is not itself a trusted proxy.
    pub fn client(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> String {
        let Some(peer) = peer else {
            return "local".into();
        };
        if !self.trusts(peer) {
            return canonical(peer).to_string();
        }
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        let mut client = canonical(peer);
        for hop in hops.iter().rev() {
            match hop.parse::<IpAddr>() {
                Ok(ip) => {
                    client = canonical(ip);
                    if !self.trusts(ip) {
                        break;
                    }
                }
                // Not an address: nothing further left can be believed.
                Err(_) => break,
            }
        }
        client.to_string()
    }

    /// Whether the request reached a trusted proxy over HTTPS (`X-Forwarded-Proto: https`, or
    /// `proto=https` in RFC 7239's `Forwarded`).
    pub fn forwarded_https(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> bool {
        let first = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .map(str::trim)
        };
        let x_forwarded =
            first("x-forwarded-proto").is_some_and(|p| p.eq_ignore_ascii_case("https"));
        let forwarded = first("forwarded").is_some_and(|f| {
            f.split(';').any(|pair| {
                pair.split_once('=').is_some_and(|(k, v)| {
                    k.trim().eq_ignore_ascii_case("proto")
                        && v.trim().trim_matches('"').eq_ignore_ascii_case("https")
                })
            })
        });
        peer.is_some_and(|p| self.trusts(p)) && (x_forwarded || forwarded)
    }
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The peer's address, when the server knows it.
pub fn peer_ip(ext: &axum::http::Extensions) -> Option<IpAddr> {
    ext.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let proxies = Proxies::parse(&["10.0.0.0/8".into(), "::1".into()]).unwrap();
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            "203.0.113.9, 198.51.100.7, 10.1.1.1".parse().unwrap(),
        );
        h.insert("x-forwarded-proto", "https".parse().unwrap());
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let stranger: IpAddr = "192.0.2.44".parse().unwrap();
        // The nearest untrusted hop is the client; what it says before that is its own claim.
        assert_eq!(proxies.client(Some(proxy), &h), "198.51.100.7");
        assert!(proxies.forwarded_https(Some(proxy), &h));
        assert_eq!(proxies.client(Some(stranger), &h), "192.0.2.44");
        assert!(!proxies.forwarded_https(Some(stranger), &h));
        assert_eq!(proxies.client(Some(proxy), &HeaderMap::new()), "10.0.0.2");
        let mapped: IpAddr = "::ffff:10.0.0.3".parse().unwrap();
        assert_eq!(proxies.client(Some(mapped), &h), "198.51.100.7");
        let mut junk = HeaderMap::new();
        junk.insert("x-forwarded-for", "1.2.3.4, nonsense".parse().unwrap());
        assert_eq!(proxies.client(Some(proxy), &junk), "10.0.0.2");
        assert!(Proxies::parse(&["not-an-ip".into()]).is_err());
        assert!(Proxies::default().client(None, &h) == "local");
    }
}
