//! Helpers of the bulk-upload tests: the labelled corpus, multipart
//! uploads over real HTTP, and a worker that runs the processing jobs
//! against the server's blob directory.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use certwatch_core::bulk_upload::{Ocr, ProcessUploadItem, ProcessingPorts, PROCESS_UPLOAD_ITEM};
use certwatch_core::jobs::{Worker, WorkerConfig};
use certwatch_core::monitoring::Extractor;
use serde_json::Value;

use crate::http::{Answer, TestServer};

/// The corpus directory (`../../shared/corpus` or `CERTWATCH_CORPUS_DIR`);
/// fails saying how to provide it.
pub fn corpus_dir() -> PathBuf {
    let dir = std::env::var_os("CERTWATCH_CORPUS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"));
    assert!(
        dir.join("manifest.json").is_file(),
        "the certificate corpus is missing: expected {}/manifest.json (the shared/ directory beside the main \
         repository, or set CERTWATCH_CORPUS_DIR to a copy of shared/corpus)",
        dir.display()
    );
    dir
}

/// Every document label of the corpus.
pub fn corpus_documents() -> Vec<Value> {
    let dir = corpus_dir();
    let raw = std::fs::read_to_string(dir.join("manifest.json")).expect("read manifest");
    let m: Value = serde_json::from_str(&raw).expect("manifest is JSON");
    m["documents"].as_array().expect("documents").clone()
}

/// The bytes of a labelled document.
pub fn corpus_file(label: &Value) -> Vec<u8> {
    let path = corpus_dir().join(label["path"].as_str().expect("path"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// A `multipart/form-data` body with one `files` part per file.
pub fn multipart(files: &[(String, Vec<u8>)]) -> (String, Vec<u8>) {
    let boundary = format!("cwboundary{}", uuid::Uuid::new_v4().simple());
    let mut body = Vec::new();
    for (name, bytes) in files {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let escaped = name.replace('"', "%22").replace(['\r', '\n'], "");
        body.extend_from_slice(
            format!(
                "Content-Disposition: form-data; name=\"files\"; filename=\"{escaped}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Uploads `files` as one batch.
pub async fn upload(srv: &TestServer, token: &str, files: &[(String, Vec<u8>)]) -> Answer {
    let (ct, body) = multipart(files);
    let res = srv
        .client
        .post(format!("{}/api/bulk-upload/batches", srv.base))
        .header("Authorization", format!("Token {token}"))
        .header("Content-Type", ct)
        .body(body)
        .send()
        .await
        .expect("upload sent");
    let status = res.status().as_u16();
    let content_type = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let text = res.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer { status, content_type, body, text }
}

/// The directory the server stores uploads in.
pub fn blob_dir(srv: &TestServer) -> PathBuf {
    srv.outbox.dir().join("bulk_uploads")
}

/// A worker that runs bulk-upload jobs with the server's blob store and
/// the given OCR (rules extraction).
pub fn worker(srv: &TestServer, ocr: Arc<dyn Ocr>) -> Worker {
    worker_with(srv, ocr, Arc::new(certwatch_core::monitoring::RuleBasedExtractor))
}

/// A worker that runs bulk-upload jobs with the server's blob store, the
/// given OCR and the given extractor.
pub fn worker_with(srv: &TestServer, ocr: Arc<dyn Ocr>, extractor: Arc<dyn Extractor>) -> Worker {
    let ports =
        ProcessingPorts { blobs: Arc::new(certwatch_store::LocalDirBlobStore::new(blob_dir(srv))), ocr, extractor };
    let config = WorkerConfig { concurrency: 2, bulk_upload: ports.clone(), ..WorkerConfig::default() };
    Worker::new(srv.core.clone(), config).with_handler(PROCESS_UPLOAD_ITEM, Arc::new(ProcessUploadItem { ports }))
}

/// Runs due bulk-upload jobs until none is queued or running — the test
/// server's own in-process worker may take some of them, so this also
/// waits for those; how many ran here.
pub async fn drain(w: &Worker) -> usize {
    use certwatch_core::jobs::JobStatus;
    let core = w.core();
    let mut n = 0;
    for _ in 0..6000 {
        let done = w.run_once().await.expect("run jobs");
        n += done.len();
        if done.is_empty() {
            let busy = crate::jobs_of_kind(core, PROCESS_UPLOAD_ITEM, &[JobStatus::Queued, JobStatus::Running]).await;
            if busy.is_empty() {
                return n;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
    panic!("bulk-upload jobs still queued or running after 2 minutes");
}
