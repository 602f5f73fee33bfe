//! `X-Forwarded-For` parsing for the client address behind trusted
//! proxies: never panics, and with a known peer there is always an answer.
#![no_main]

use std::net::{IpAddr, Ipv4Addr};

use certwatch_core::net::client_ip;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else { return };
    let Ok(header) = std::str::from_utf8(rest) else { return };
    let peer = Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)));
    let got = client_ip(peer, Some(header), usize::from(n % 8));
    assert!(got.is_some());
    assert_eq!(client_ip(peer, Some(header), 0), peer, "no trusted proxy: the header is ignored");
});
