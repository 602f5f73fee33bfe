//! The SSRF check for outbound requests to user-supplied URLs: only
//! `http`/`https`, no credentials in the URL, and every address the host
//! resolved to must be public — unless an allow-list entry covers it.
//! IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible and NAT64 IPv6 forms are
//! judged by the IPv4 address they embed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;
use url::Url;

/// Why a target was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// Not an absolute `http`/`https` URL with a host.
    #[error("webhook URLs must be http or https URLs with a host")]
    Scheme,
    /// User name or password in the URL.
    #[error("webhook URLs must not carry credentials")]
    Credentials,
    /// The host resolved to nothing.
    #[error("the host did not resolve")]
    Unresolved,
    /// The address is not public and no allow-list entry permits it.
    #[error("address {0} is private, loopback, link-local or otherwise not public")]
    Forbidden(IpAddr),
}

/// Checks the URL's form (scheme, no credentials).
pub fn check_url(url: &Url) -> Result<(), TargetError> {
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(TargetError::Scheme);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(TargetError::Credentials);
    }
    Ok(())
}

/// Checks `url` and the addresses its host resolved to: all of them must be
/// public or inside one of `allow`.
pub fn check_target(url: &Url, resolved: &[IpAddr], allow: &[IpNet]) -> Result<(), TargetError> {
    check_url(url)?;
    if resolved.is_empty() {
        return Err(TargetError::Unresolved);
    }
    for ip in resolved {
        check_ip(*ip, allow)?;
    }
    Ok(())
}

/// Checks one address against the rules and the allow-list.
pub fn check_ip(ip: IpAddr, allow: &[IpNet]) -> Result<(), TargetError> {
    let canonical = canonical(ip);
    if allow.iter().any(|n| n.contains(&ip) || n.contains(&canonical)) {
        return Ok(());
    }
    if is_public(canonical) {
        Ok(())
    } else {
        Err(TargetError::Forbidden(ip))
    }
}

/// The IPv4 address an IPv6 address embeds (mapped, compatible, NAT64), or
/// the address itself.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return IpAddr::V4(v4);
            }
            let s = v6.segments();
            // NAT64 well-known prefix 64:ff9b::/96.
            if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                return IpAddr::V4(embedded_v4(v6));
            }
            // Deprecated IPv4-compatible ::a.b.c.d (not :: and ::1).
            if s[..6] == [0, 0, 0, 0, 0, 0] && (s[6] != 0 || s[7] > 1) {
                return IpAddr::V4(embedded_v4(v6));
            }
            ip
        }
    }
}

fn embedded_v4(v6: Ipv6Addr) -> Ipv4Addr {
    let o = v6.octets();
    Ipv4Addr::new(o[12], o[13], o[14], o[15])
}

/// Whether a (canonical) address is a public unicast address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_unspecified()
                || v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0 // "this network"
                || (a == 100 && (64..128).contains(&b)) // CGNAT 100.64/10
                || (a == 192 && b == 0 && v4.octets()[2] == 0) // IETF protocol assignments
                || (a == 198 && (18..20).contains(&b)) // benchmarking
                || a >= 240) // reserved
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            !(v6.is_unspecified()
                || v6.is_loopback()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (s[0] & 0xffc0) == 0xfec0 // site-local fec0::/10
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || s[0] == 0x2002 // 6to4 (embeds arbitrary IPv4)
                || (s[0] == 0x2001 && s[1] == 0)) // Teredo
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("url")
    }
    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn non_public_addresses_are_refused() {
        let u = url("https://hooks.example.com/x");
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd12::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "::7f00:1",
        ] {
            assert_eq!(check_target(&u, &[ip(bad)], &[]), Err(TargetError::Forbidden(ip(bad))), "{bad}");
        }
        for good in ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "::ffff:93.184.216.34"] {
            assert_eq!(check_target(&u, &[ip(good)], &[]), Ok(()), "{good}");
        }
        // One bad address among good ones is enough to refuse.
        assert!(check_target(&u, &[ip("93.184.216.34"), ip("127.0.0.1")], &[]).is_err());
        assert_eq!(check_target(&u, &[], &[]), Err(TargetError::Unresolved));
    }

    #[test]
    fn the_allow_list_permits_named_ranges_only() {
        let u = url("http://127.0.0.1:8080/hook");
        let allow: Vec<IpNet> = vec!["127.0.0.0/8".parse().expect("net")];
        assert_eq!(check_target(&u, &[ip("127.0.0.1")], &allow), Ok(()));
        assert_eq!(check_target(&u, &[ip("::ffff:127.0.0.1")], &allow), Ok(()));
        assert!(check_target(&u, &[ip("10.0.0.1")], &allow).is_err());
    }

    #[test]
    fn url_form_is_checked() {
        let ok = [ip("93.184.216.34")];
        assert_eq!(check_target(&url("ftp://example.com/"), &ok, &[]), Err(TargetError::Scheme));
        assert_eq!(check_target(&url("https://u:p@example.com/"), &ok, &[]), Err(TargetError::Credentials));
    }
}
