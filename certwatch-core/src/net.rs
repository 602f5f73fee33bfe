//! Client addresses and address allow-lists: which IP a request really
//! came from behind a known number of reverse proxies, and whether it may
//! reach the operator endpoints. Pure functions over untrusted header text
//! (fuzzed in `fuzz/`).

use std::net::IpAddr;

use ipnet::IpNet;

/// The client address of a request that arrived from `peer`, given its
/// `X-Forwarded-For` header and the number of trusted reverse proxies in
/// front of the server.
///
/// Each trusted proxy appends the address it received the request from, so
/// with `n` trusted proxies the client is the `n`-th entry from the right
/// (the last one is the nearest proxy's peer). Entries left of that are
/// written by the client and never trusted. With 0 trusted proxies, or a
/// header too short or malformed at that position, the peer address is the
/// answer.
pub fn client_ip(peer: Option<IpAddr>, forwarded_for: Option<&str>, trusted_proxies: usize) -> Option<IpAddr> {
    if trusted_proxies == 0 {
        return peer;
    }
    let Some(header) = forwarded_for else { return peer };
    let hops: Vec<&str> = header.split(',').map(str::trim).collect();
    if hops.len() < trusted_proxies {
        return peer;
    }
    let candidate = hops[hops.len() - trusted_proxies];
    parse_hop(candidate).or(peer)
}

/// One `X-Forwarded-For` entry: an IPv4 or IPv6 address, optionally with a
/// port (`1.2.3.4:5678`, `[::1]:80`).
fn parse_hop(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(sa) = s.parse::<std::net::SocketAddr>() {
        return Some(sa.ip());
    }
    let unbracketed = s.strip_prefix('[').and_then(|r| r.strip_suffix(']'))?;
    unbracketed.parse().ok()
}

/// Whether `ip` is allowed by `allow` (empty list: everyone; no address: nobody).
pub fn ip_allowed(ip: Option<IpAddr>, allow: &[IpNet]) -> bool {
    if allow.is_empty() {
        return true;
    }
    let Some(ip) = ip else { return false };
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    allow.iter().any(|net| net.contains(&ip))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn forwarded_for_with_trusted_proxies() {
        let peer = Some(ip("10.0.0.2"));
        assert_eq!(client_ip(peer, Some("1.1.1.1, 2.2.2.2"), 0), peer, "header ignored without trusted proxies");
        assert_eq!(client_ip(peer, Some("6.6.6.6, 1.1.1.1"), 1), Some(ip("1.1.1.1")), "spoofed left entry ignored");
        assert_eq!(client_ip(peer, Some("6.6.6.6, 1.1.1.1, 10.0.0.9"), 2), Some(ip("1.1.1.1")));
        assert_eq!(client_ip(peer, Some("1.1.1.1"), 2), peer, "too few hops");
        assert_eq!(client_ip(peer, Some("garbage"), 1), peer);
        assert_eq!(client_ip(peer, Some("[2001:db8::1]:443"), 1), Some(ip("2001:db8::1")));
        assert_eq!(client_ip(peer, Some("1.2.3.4:80"), 1), Some(ip("1.2.3.4")));
    }

    #[test]
    fn allow_lists() {
        let allow: Vec<IpNet> = vec!["10.0.0.0/8".parse().expect("net"), "::1/128".parse().expect("net")];
        assert!(ip_allowed(Some(ip("10.9.8.7")), &allow));
        assert!(ip_allowed(Some(ip("::ffff:10.1.1.1")), &allow), "v4-mapped v6");
        assert!(ip_allowed(Some(ip("::1")), &allow));
        assert!(!ip_allowed(Some(ip("11.0.0.1")), &allow));
        assert!(!ip_allowed(None, &allow));
        assert!(ip_allowed(None, &[]));
    }

    proptest! {
        /// Whatever a client writes into the header, with trusted proxies the
        /// answer is the peer or the entry the nearest proxies vouch for.
        #[test]
        fn spoofing_never_wins(spoof in ".{0,60}", real in any::<[u8; 4]>(), n in 0usize..3) {
            let peer = Some(ip("192.0.2.1"));
            let real = IpAddr::from(real);
            let mut header = spoof.clone();
            for _ in 0..n {
                header.push_str(&format!(", {real}"));
            }
            let got = client_ip(peer, Some(&header), n);
            prop_assert!(got == peer || got == Some(real), "{got:?}");
        }
    }
}
