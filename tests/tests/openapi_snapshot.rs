//! The OpenAPI document the server publishes at `/api/schema` is pinned in
//! `certwatch-http/openapi.json`, so every change to the API surface shows
//! up in review. Run with `UPDATE_SNAPSHOTS=1` to rewrite the snapshot
//! after an intended change.

use std::path::PathBuf;

use certwatch_tests::http::TestServer;
use certwatch_tests::Backend;

fn snapshot_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../certwatch-http/openapi.json")
}

#[tokio::test]
async fn openapi_document_matches_the_snapshot() {
    let srv = TestServer::spawn(Backend::Sqlite).await;
    let served = srv.call("GET", "/api/schema", None, None).await;
    assert_eq!(served.status, 200, "{}", served.text);
    let pretty = serde_json::to_string_pretty(&served.body).expect("serialise") + "\n";
    let path = snapshot_path();
    if std::env::var("UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &pretty).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        return;
    }
    let stored = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("cannot read the snapshot {}: {e}; create it with UPDATE_SNAPSHOTS=1", path.display())
    });
    let stored_doc: serde_json::Value = serde_json::from_str(&stored).expect("the snapshot is JSON");
    if stored_doc != served.body {
        let first_difference = stored
            .lines()
            .zip(pretty.lines())
            .enumerate()
            .find(|(_, (a, b))| a != b)
            .map(|(i, (a, b))| format!("line {}:\n  snapshot: {a}\n  served:   {b}", i + 1))
            .unwrap_or_else(|| "the documents differ in length".into());
        panic!(
            "the OpenAPI document differs from {}; if the change is intended, rerun with UPDATE_SNAPSHOTS=1\n{first_difference}",
            path.display()
        );
    }
}
