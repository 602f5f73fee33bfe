"""The Python examples, run as a user would, so they cannot rot."""

import importlib.util
import json
import shutil
import threading
import time
import urllib.error
import urllib.request

import certwatch
from conftest import REPO, onboard, run_example

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def test_webhook_receiver_accepts_server_signatures_only(oracle, tmp_path, capfd):
    spec = importlib.util.spec_from_file_location("receiver", REPO / "examples" / "python" / "webhook_receiver.py")
    receiver = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(receiver)
    server = receiver.make_server(SECRET)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    body = json.dumps({"type": "certificate.updated", "data": {"id": "c1"}}).encode()
    (tmp_path / "body").write_bytes(body)
    headers = json.loads(oracle("sign", SECRET, "d-1", int(time.time()), tmp_path / "body").stdout)

    def post(data, hdrs):
        req = urllib.request.Request(url, data=data, headers={**hdrs, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    try:
        assert post(body, headers) == 200
        assert post(body + b" ", headers) == 401
        assert post(body, {}) == 401
    finally:
        server.shutdown()
    assert '"webhook_id": "d-1"' in capfd.readouterr().out


def test_bulk_load_into_the_same_database(tmp_path):
    url = f"sqlite://{tmp_path / 'server.sqlite'}"
    store = certwatch.open(url, migrate=True)
    session, token = onboard(store)
    csv = tmp_path / "suppliers.csv"
    csv.write_text(
        "name,external_id,country,lei,website,site,site_address\n"
        "Muster GmbH,ERP-1,DE,5493001KJTIIGC8Y1R12,https://muster.example,Werk 1,Hafenstr. 1\n"
        "Acme Ltd,ERP-2,gb,,,,\n"
        "Bad Country,ERP-3,XX,,,,\n"
        "Duplicate,ERP-1,DE,,,,\n",
        encoding="utf-8",
    )
    p = run_example("bulk_load_suppliers.py", "--database-url", url, "--token", token, csv)
    assert p.returncode == 3, p.stderr
    summary = json.loads(p.stdout)
    assert summary["created"] == 2
    assert [(f["line"], f["error"]) for f in summary["failed"]] == [(4, "invalid"), (5, "conflict")]
    page = session.list_organizations()
    assert sorted(o["name"] for o in page["items"]) == ["Acme Ltd", "Muster GmbH"]
    muster = next(o for o in page["items"] if o["name"] == "Muster GmbH")
    assert [s["name"] for s in session.list_sites(muster["id"])] == ["Werk 1"]
    bad = run_example("bulk_load_suppliers.py", "--database-url", url, "--token", "bogus", csv)
    assert bad.returncode == 1 and "unknown token" in bad.stderr


def test_extract_folder(corpus, tmp_path):
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    docs = [d for d in manifest["documents"] if d["format"] == "text_pdf"][:3]
    scan = next(d for d in manifest["documents"] if d["format"] == "scanned_pdf")
    for d in [*docs, scan]:
        shutil.copy(corpus / d["path"], tmp_path / d["file"])
    (tmp_path / "broken.pdf").write_bytes(b"not a pdf")
    p = run_example("extract_folder.py", tmp_path, "--reference-date", manifest["reference_date"])
    assert p.returncode == 0, p.stderr
    lines = {r["file"]: r for r in map(json.loads, p.stdout.splitlines())}
    assert len(lines) == 5
    assert "not a readable PDF" in lines["broken.pdf"]["error"]
    assert "OCR" in lines[scan["file"]]["error"]
    for d in docs:
        text = certwatch.pdf_text((corpus / d["path"]).read_bytes())["text"]
        want = certwatch.extract_fields(text, filename=d["file"], reference_date=manifest["reference_date"])
        assert lines[d["file"]]["certificate_number"] == (want["fields"]["certificate_number"] or {}).get("value")
        assert lines[d["file"]]["expiry_date"] == (want["fields"]["expiry_date"] or {}).get("value")
