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

/// Limits password checks, so that guessing is slow whatever the concurrency: at most
/// [`LoginLimiter::PER_USER`] checks per user name and [`LoginLimiter::PER_ADDRESS`] per client
/// address within [`LoginLimiter::WINDOW`]. A check is counted when it *starts* (the count and the
/// decision are one step under the lock), so parallel attempts cannot all pass the check before
/// any of them is recorded. A successful sign-in starts the user's count again; its address
/// keeps only its failures.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    counts: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    users: HashMap<String, Window>,
    addresses: HashMap<String, Window>,
}

/// Checks started within a window that began at `since`.
#[derive(Debug, Clone, Copy)]
struct Window {
    checks: u32,
    since: Instant,
}

impl Window {
    fn current(map: &mut HashMap<String, Window>, key: &str) -> Window {
        let now = Instant::now();
        let w = map.entry(key.to_string()).or_insert(Window {
            checks: 0,
            since: now,
        });
        if w.since.elapsed() >= LoginLimiter::WINDOW {
            *w = Window {
                checks: 0,
                since: now,
            };
        }
        *w
    }

    fn wait(&self) -> u64 {
        LoginLimiter::WINDOW
            .saturating_sub(self.since.elapsed())
            .as_secs()
            .max(1)
    }
}

/// One password check under way; say how it ended with [`Attempt::failed`] or
/// [`Attempt::succeeded`]. Dropped without either (the check never ran: a store error), it gives
/// its place back.
#[derive(Debug)]
pub struct Attempt<'a> {
    limiter: &'a LoginLimiter,
    user: String,
    address: String,
    ended: bool,
}

impl Attempt<'_> {
    /// The password was wrong (or the account unusable): the check stays counted.
    pub fn failed(mut self) {
        self.ended = true;
    }

    /// The password was right: the user's count starts again, and this check is not held
    /// against the address.
    pub fn succeeded(mut self) {
        self.ended = true;
        let mut counts = self.limiter.lock();
        counts.users.remove(&self.user);
        if let Some(w) = counts.addresses.get_mut(&self.address) {
            w.checks = w.checks.saturating_sub(1);
        }
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if self.ended {
            return;
        }
        let mut guard = self.limiter.lock();
        let counts = &mut *guard;
        for (map, key) in [
            (&mut counts.users, &self.user),
            (&mut counts.addresses, &self.address),
        ] {
            if let Some(w) = map.get_mut(key) {
                w.checks = w.checks.saturating_sub(1);
            }
        }
    }
}

impl LoginLimiter {
    /// Password checks per user name and window, whatever the address.
    pub const PER_USER: u32 = 5;
    /// Password checks per client address and window, whatever the user name.
    pub const PER_ADDRESS: u32 = 30;
    pub const WINDOW: Duration = Duration::from_secs(15 * 60);

    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts a password check for `username` from `address`, or `Err(seconds)` to wait when
    /// either has used up its checks for the window.
    pub fn begin(&self, username: &str, address: &str) -> Result<Attempt<'_>, u64> {
        let user = username.trim().to_lowercase();
        let mut guard = self.lock();
        let counts = &mut *guard;
        if counts.users.len() + counts.addresses.len() > 200_000 {
            counts.users.retain(|_, w| w.since.elapsed() < Self::WINDOW);
            counts
                .addresses
                .retain(|_, w| w.since.elapsed() < Self::WINDOW);
        }
        let u = Window::current(&mut counts.users, &user);
        let a = Window::current(&mut counts.addresses, address);
        if u.checks >= Self::PER_USER {
            return Err(u.wait());
        }
        if a.checks >= Self::PER_ADDRESS {
            return Err(a.wait());
        }
        for (map, key) in [
            (&mut counts.users, user.as_str()),
            (&mut counts.addresses, address),
        ] {
            if let Some(w) = map.get_mut(key) {
                w.checks += 1;
            }
        }
        Ok(Attempt {
            limiter: self,
            user,
            address: address.to_string(),
            ended: false,
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
    fn limiter_counts_checks_as_they_start() {
        let l = LoginLimiter::default();
        // Five checks under way at once for one user, from any addresses: the sixth waits.
        let held: Vec<Attempt<'_>> = (0..5)
            .map(|n| l.begin("Alice", &format!("10.0.0.{n}")).unwrap())
            .collect();
        assert!(l.begin("alice", "10.9.9.9").is_err());
        assert!(l.begin("bob", "10.9.9.9").is_ok(), "other users go on");
        for a in held {
            a.failed();
        }
        assert!(
            l.begin("alice", "10.0.0.1").is_err(),
            "failures stay counted"
        );
        // A check that never ran gives its place back; a success starts the count again.
        let l = LoginLimiter::default();
        for _ in 0..4 {
            l.begin("carol", "1.2.3.4").unwrap().failed();
        }
        drop(l.begin("carol", "1.2.3.4").unwrap());
        l.begin("carol", "1.2.3.4").unwrap().succeeded();
        for _ in 0..5 {
            l.begin("carol", "1.2.3.4").unwrap().failed();
        }
        assert!(l.begin("carol", "1.2.3.4").is_err());
    }

    #[test]
    fn limiter_also_counts_per_address() {
        let l = LoginLimiter::default();
        for n in 0..LoginLimiter::PER_ADDRESS {
            l.begin(&format!("user{n}"), "192.0.2.1").unwrap().failed();
        }
        assert!(l.begin("someone-else", "192.0.2.1").is_err());
        assert!(l.begin("someone-else", "192.0.2.2").is_ok());
    }

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
