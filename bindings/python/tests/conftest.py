"""Shared fixtures: the repository's paths, the Rust oracle (the core's own
answers, see bindings/common/examples/oracle.rs), and a store on SQLite and
on a fresh Postgres database per test run."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

import certwatch

REPO = Path(__file__).resolve().parents[3]
BINDINGS = REPO / "bindings"
ADMIN_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
PASSWORD = "correct horse battery staple"


def corpus_dir() -> Path:
    env = os.environ.get("CERTWATCH_CORPUS_DIR")
    path = Path(env) if env else REPO.parent / "shared" / "corpus"
    if not (path / "manifest.json").is_file():
        pytest.fail(f"the certificate corpus is missing at {path}: set CERTWATCH_CORPUS_DIR to a copy of shared/corpus")
    return path


@pytest.fixture(scope="session")
def corpus() -> Path:
    return corpus_dir()


@pytest.fixture(scope="session")
def oracle():
    """Runs the Rust oracle; built by scripts/test-bindings (CERTWATCH_ORACLE)."""
    exe = os.environ.get("CERTWATCH_ORACLE")
    if not exe or not Path(exe).is_file():
        pytest.fail(
            "CERTWATCH_ORACLE must name the oracle binary: run scripts/test-bindings, or "
            "cargo build --manifest-path bindings/Cargo.toml -p certwatch-bindings-common --example oracle"
        )

    def run(*args, check=True):
        p = subprocess.run([exe, *map(str, args)], capture_output=True, text=True)
        if check and p.returncode != 0:
            raise AssertionError(f"oracle {args[0]} failed: {p.stderr}")
        return p

    return run


def _psql(sql: str) -> None:
    try:
        p = subprocess.run(["psql", ADMIN_URL, "-v", "ON_ERROR_STOP=1", "-Atqc", sql], capture_output=True, text=True)
    except FileNotFoundError:
        pytest.fail("psql is not installed (Debian: apt-get install postgresql-client)")
    if p.returncode != 0:
        pytest.fail(
            f"Postgres is unreachable at {ADMIN_URL}: {p.stderr.strip()}\n"
            "Start it (e.g. scripts/test starts a throwaway one) or set DATABASE_URL to an admin URL."
        )


@pytest.fixture(scope="session")
def postgres_url():
    """A fresh, uniquely named database for this run, dropped afterwards."""
    name = f"cw_py_{uuid.uuid4().hex[:12]}"
    _psql(f'CREATE DATABASE "{name}"')
    parts = urlsplit(ADMIN_URL)
    yield urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))
    _psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite://{tmp_path / 'certwatch.sqlite'}"
    return request.getfixturevalue("postgres_url")


def onboard(store, label: str = "Acme"):
    """Registers a tenant admin, verifies them and returns (session, token)."""
    email = f"admin-{uuid.uuid4().hex[:10]}@example.com"
    reg = store.register(email, PASSWORD, f"{label} {uuid.uuid4().hex[:6]}", full_name="Ada Admin")
    store.verify_email(reg["verification_token"])
    token = store.login(email, PASSWORD)["token"]
    return store.session(token), token


def run_example(script: str, *args, **kw) -> subprocess.CompletedProcess:
    path = REPO / "examples" / "python" / script
    return subprocess.run([sys.executable, str(path), *map(str, args)], capture_output=True, text=True, **kw)


def load_json(s: str):
    return json.loads(s)
