"""The store handle on SQLite and Postgres: the same services as the server."""

import datetime
import uuid

import pytest

import certwatch
from conftest import PASSWORD, onboard


def test_tenant_admin_lifecycle(database_url):
    store = certwatch.open(database_url, migrate=True)
    assert store.backend == database_url.split(":")[0]
    email = f"ada-{uuid.uuid4().hex[:8]}@example.com"
    reg = store.register(email, PASSWORD, "Ada's Parts", full_name="Ada")
    assert reg["role"] == "admin" and reg["email"] == email and reg["tenant_slug"].startswith("ada-s-parts")
    with pytest.raises(certwatch.AuthenticationError, match="not verified"):
        store.login(email, PASSWORD)
    with pytest.raises(certwatch.AuthenticationError, match="unknown verification token"):
        store.verify_email("nope")
    assert store.verify_email(reg["verification_token"])["is_active"] is True
    with pytest.raises(certwatch.AuthenticationError, match="already used"):
        store.verify_email(reg["verification_token"])
    with pytest.raises(certwatch.Conflict):
        store.register(email, PASSWORD, "Again")
    with pytest.raises(certwatch.ValidationError) as e:
        store.register("not-an-email", "x", "")
    assert {v["field"] for v in e.value.errors} >= {"email", "tenant_name"}
    login = store.login(email, PASSWORD)
    with pytest.raises(certwatch.AuthenticationError):
        store.login(email, "wrong password!")
    session = store.session(login["token"])
    assert (session.tenant_id, session.user_id, session.role) == (reg["tenant_id"], reg["user_id"], "admin")
    with pytest.raises(certwatch.AuthenticationError, match="unknown token"):
        store.session("bogus")


def test_suppliers_and_certificates(database_url):
    store = certwatch.open(database_url, migrate=True)
    s, _ = onboard(store)
    org = s.create_organization(name="Muster GmbH", country="de", lei="5493001KJTIIGC8Y1R12", external_id="ERP-1")
    assert (org["country"], org["lei"], org["external_id"]) == ("DE", "5493001KJTIIGC8Y1R12", "ERP-1")
    with pytest.raises(certwatch.Conflict, match="external_id"):
        s.create_organization(name="Other", external_id="ERP-1")
    with pytest.raises(certwatch.ValidationError) as e:
        s.create_organization(name="Bad", country="XX", website="ftp://x")
    assert {v["field"] for v in e.value.errors} == {"country", "website"}
    with pytest.raises(certwatch.ValidationError):
        s.create_organization(country="DE")  # no name

    site = s.create_site(org["id"], name="Werk Nord", address="Hafenstr. 1, Hamburg")
    assert site["organization_id"] == org["id"]
    assert [x["name"] for x in s.list_sites(org["id"])] == ["Werk Nord"]
    with pytest.raises(certwatch.NotFound, match="organization not found"):
        s.create_site(str(uuid.uuid4()), name="Ghost")
    with pytest.raises(certwatch.ValidationError):
        s.list_sites("not-a-uuid")

    soon = datetime.date.today() + datetime.timedelta(days=10)
    cert = s.create_certificate(
        organization_id=org["id"],
        certificate_type="ISO_9001",
        certificate_number="12 100 4711",
        status="ACTIVE",
        expiry_date=soon,
        site_ids=[site["id"]],
    )
    assert (cert["status"], cert["expiry_date"], cert["site_ids"]) == ("ACTIVE", soon.isoformat(), [site["id"]])
    with pytest.raises(certwatch.ValidationError):
        s.create_certificate(organization_id=org["id"], certificate_type="NOPE")

    expiring = s.list_expiring(30)
    assert [c["id"] for c in expiring["items"]] == [cert["id"]] and expiring["total"] == 1
    assert s.list_expiring(5)["total"] == 0
    page = s.list_organizations(search="muster")
    assert page["total"] == 1
    assert page["items"][0]["counts"] == {"active": 1, "expiring": 1, "expired": 0}
    assert s.list_organizations(has_expired=True)["total"] == 0
    with pytest.raises(certwatch.ValidationError):
        s.list_organizations(page_size=100_000)

    suspended = s.transition(cert["id"], "SUSPENDED", reason="audit overdue")
    assert suspended["status"] == "SUSPENDED"
    revoked = s.transition(cert["id"], "REVOKED")
    assert revoked["status"] == "REVOKED"
    with pytest.raises(certwatch.InvalidTransition) as e:
        s.transition(cert["id"], "ACTIVE", expiry_date="2099-01-01")
    assert e.value.allowed_transitions == []
    with pytest.raises(certwatch.NotFound):
        s.transition(str(uuid.uuid4()), "ACTIVE")
    assert s.list_expiring(30)["total"] == 0


def test_tenants_are_isolated_and_handles_share_the_database(database_url):
    first = certwatch.open(database_url, migrate=True)
    a, token = onboard(first, "A")
    b, _ = onboard(first, "B")
    org = a.create_organization(name="Only A")
    assert b.list_organizations()["total"] == 0
    with pytest.raises(certwatch.NotFound):
        b.list_sites(org["id"])
    # A second handle on the same database (as a script beside the server).
    again = certwatch.open(database_url).session(token)
    assert [o["name"] for o in again.list_organizations()["items"]] == ["Only A"]


def test_open_failures_are_store_errors(tmp_path):
    with pytest.raises(certwatch.StoreError, match="unsupported database URL scheme"):
        certwatch.open("mysql://localhost/x")
    with pytest.raises(certwatch.StoreError, match="could not connect"):
        certwatch.open("postgres://nobody@127.0.0.1:1/none")
    with pytest.raises(certwatch.StoreError):
        certwatch.open(f"sqlite://{tmp_path}/missing-dir/x.sqlite")


def test_threads_share_one_store(database_url):
    """Store calls release the GIL and run on the shared runtime: threads
    writing through one handle all succeed and see each other's rows."""
    from concurrent.futures import ThreadPoolExecutor

    store = certwatch.open(database_url, migrate=True)
    s, _ = onboard(store)

    def create(i):
        return s.create_organization(name=f"Threaded {i:02d}", external_id=f"T-{i}")["id"]

    with ThreadPoolExecutor(max_workers=4) as pool:
        ids = list(pool.map(create, range(12)))
    assert len(set(ids)) == 12
    names = [o["name"] for o in s.list_organizations(search="threaded", page_size=50)["items"]]
    assert names == [f"Threaded {i:02d}" for i in range(12)]
