//! The Rust reference the Python and Node suites check themselves against,
//! calling the core directly (the very functions the server uses), never
//! through the bindings:
//!
//! ```text
//! oracle sign <secret> <id> <timestamp> <body-file>   # headers as the server's delivery job signs them (JSON)
//! oracle verify <secret> <body-file> <now> <headers-json-file>
//!                                                      # "ok", or the SignatureError and exit status 1
//! oracle extract <corpus-dir>                          # pdf_text + extract_fields of every text PDF (JSON)
//! ```

use std::path::Path;
use std::process::ExitCode;

use certwatch_core::extraction::{extract_fields, pdf_text, Hints, PdfLimits};
use certwatch_core::webhooks::signing::{self, SignatureError};
use serde_json::{json, Value};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["sign", secret, id, ts, body] => sign(secret, id, ts, Path::new(body)),
        ["verify", secret, body, now, headers] => verify(secret, Path::new(body), now, Path::new(headers)),
        ["extract", dir] => extract(Path::new(dir)),
        _ => Err("usage: oracle sign|verify|extract … (see the module docs)".to_owned()),
    };
    match result {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("read {}: {e}", path.display()))
}

fn sign(secret: &str, id: &str, ts: &str, body: &Path) -> Result<String, String> {
    let ts: i64 = ts.parse().map_err(|e| format!("timestamp: {e}"))?;
    let h = signing::sign(secret, id, ts, &read(body)?).map_err(|e| e.to_string())?;
    let map: serde_json::Map<String, Value> = h.pairs().iter().map(|(k, v)| ((*k).to_owned(), json!(v))).collect();
    Ok(Value::Object(map).to_string())
}

fn verify(secret: &str, body: &Path, now: &str, headers: &Path) -> Result<String, String> {
    let now: i64 = now.parse().map_err(|e| format!("now: {e}"))?;
    let headers: Value = serde_json::from_slice(&read(headers)?).map_err(|e| e.to_string())?;
    let get = |name: &str| {
        headers
            .as_object()
            .and_then(|m| m.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
            .and_then(|(_, v)| v.as_str())
            .ok_or(SignatureError::MalformedHeader)
    };
    let body = read(body)?;
    let check = || -> Result<(), SignatureError> {
        signing::verify_standard(
            secret,
            get(signing::HEADER_ID)?,
            get(signing::HEADER_TIMESTAMP)?,
            get(signing::HEADER_SIGNATURE)?,
            &body,
            now,
            signing::DEFAULT_TOLERANCE_SECS,
        )?;
        signing::verify_github(secret, &body, get(signing::HEADER_X_SIGNATURE)?)
    };
    check().map(|()| "ok".to_owned()).map_err(|e| e.to_string())
}

fn extract(dir: &Path) -> Result<String, String> {
    let manifest: Value = serde_json::from_slice(&read(&dir.join("manifest.json"))?).map_err(|e| e.to_string())?;
    let docs = manifest["documents"].as_array().ok_or("manifest without documents")?;
    let mut out = serde_json::Map::new();
    for d in docs.iter().filter(|d| d["format"] == "text_pdf") {
        let file = d["file"].as_str().ok_or("document without file")?;
        let path = dir.join(d["path"].as_str().ok_or("document without path")?);
        let text = pdf_text(&read(&path)?, &PdfLimits::default()).map_err(|e| format!("{file}: {e}"))?;
        let hints = Hints {
            filename: Some(file.to_owned()),
            reference_date: d["reference_date"].as_str().and_then(|s| s.parse().ok()),
        };
        let extraction = extract_fields(&text.text(), &hints);
        out.insert(file.to_owned(), json!({"text": text.text(), "extraction": extraction}));
    }
    Ok(Value::Object(out).to_string())
}
