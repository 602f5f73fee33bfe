//! A CertWatch webhook receiver that verifies every delivery on its own
//! (hmac + sha2, nothing from CertWatch), rejects stale timestamps and
//! answers duplicates without acting on them twice.
//!
//! ```sh
//! WEBHOOK_SECRET='whsec_…' cargo run --example webhook_receiver -- 127.0.0.1:9000
//! ```
//!
//! then create a subscriber with `"webhook_url": "http://127.0.0.1:9000/hook"`
//! (a loopback URL needs `WEBHOOK_ALLOWED_NETWORKS=127.0.0.0/8` on the
//! server) and `POST /api/webhooks/subscribers/{id}/test`.
//!
//! What is checked, in order:
//! 1. `webhook-timestamp` is within 5 minutes of now (replay window);
//! 2. `webhook-signature` is `v1,<base64 HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{raw body}")>`
//!    with key = base64-decode(secret without `whsec_`) — this covers the id
//!    and the timestamp, so neither can be swapped;
//! 3. `X-Webhook-Signature` is `sha256=<hex HMAC-SHA256(secret string as bytes, raw body)>`;
//! 4. `webhook-id` (the delivery id, the same on every retry) was not
//!    processed before: a retry after a lost answer is acknowledged, not redone.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use poem::http::{HeaderMap, StatusCode};
use poem::listener::TcpListener;
use poem::web::Data;
use poem::{handler, post, Body, EndpointExt, Route, Server};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// How far a timestamp may be from now.
const TOLERANCE_SECS: i64 = 300;

struct Receiver {
    secret: String,
    seen: Mutex<HashSet<String>>,
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Result<&'a str, &'static str> {
    h.get(name).and_then(|v| v.to_str().ok()).ok_or("missing signature header")
}

fn mac(key: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length; this cannot fail.
    HmacSha256::new_from_slice(key).unwrap_or_else(|_| unreachable!())
}

/// Verifies one delivery; returns its id.
fn verify(secret: &str, h: &HeaderMap, body: &[u8], now: i64) -> Result<String, &'static str> {
    let id = header(h, "webhook-id")?;
    let ts = header(h, "webhook-timestamp")?;
    let t: i64 = ts.parse().map_err(|_| "bad timestamp")?;
    if (now - t).abs() > TOLERANCE_SECS {
        return Err("timestamp outside the replay window");
    }
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").ok_or("secret must start with whsec_")?)
        .map_err(|_| "secret is not base64")?;
    let mut m = mac(&key);
    m.update(format!("{id}.{ts}.").as_bytes());
    m.update(body);
    let expected = m.finalize().into_bytes();
    // Several space-separated signatures may be sent; one must match.
    let ok = header(h, "webhook-signature")?
        .split(' ')
        .filter_map(|s| s.strip_prefix("v1,"))
        .filter_map(|b| STANDARD.decode(b).ok())
        .any(|sig| mac_eq(&sig, &expected));
    if !ok {
        return Err("webhook-signature mismatch");
    }
    let hex_sig = header(h, "x-webhook-signature")?.strip_prefix("sha256=").ok_or("bad X-Webhook-Signature")?;
    let mut m = mac(secret.as_bytes());
    m.update(body);
    m.verify_slice(&hex::decode(hex_sig).map_err(|_| "bad X-Webhook-Signature")?)
        .map_err(|_| "X-Webhook-Signature mismatch")?;
    Ok(id.to_owned())
}

/// Constant-time comparison.
fn mac_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[handler]
async fn hook(headers: &HeaderMap, body: Body, rx: Data<&Arc<Receiver>>) -> (StatusCode, String) {
    let Ok(bytes) = body.into_bytes_limit(1024 * 1024).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "body too large".into());
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    match verify(&rx.secret, headers, &bytes, now) {
        Err(why) => {
            eprintln!("refused: {why}");
            (StatusCode::UNAUTHORIZED, why.into())
        }
        Ok(id) => {
            let first = rx.seen.lock().map(|mut s| s.insert(id.clone())).unwrap_or(false);
            if first {
                println!("delivery {id}: {}", String::from_utf8_lossy(&bytes));
            } else {
                println!("delivery {id}: duplicate, acknowledged");
            }
            (StatusCode::NO_CONTENT, String::new())
        }
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:9000".into());
    let Ok(secret) = std::env::var("WEBHOOK_SECRET") else {
        eprintln!("set WEBHOOK_SECRET to the subscriber's signing secret (whsec_…)");
        std::process::exit(2);
    };
    let rx = Arc::new(Receiver { secret, seen: Mutex::new(HashSet::new()) });
    println!("receiving webhooks on http://{addr}/hook");
    Server::new(TcpListener::bind(addr)).run(Route::new().at("/hook", post(hook)).data(rx)).await
}
