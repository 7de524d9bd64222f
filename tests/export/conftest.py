"""One moto S3 server, one test lake and one OCSF mart per test session of this folder (they are read-only)."""

from __future__ import annotations

import pytest

from tests.export.helpers import build_lake, build_ocsf
from tests.support.moto import moto_server


@pytest.fixture(scope="session")
def s3_endpoint():
    with moto_server() as url:
        yield url


@pytest.fixture(scope="session")
def lake_and_db(tmp_path_factory):
    root = tmp_path_factory.mktemp("export_lake")
    lake = build_lake(root)
    db = root / "governance.duckdb"
    build_ocsf(lake, db)
    return root, lake, db


@pytest.fixture
def aws_env(monkeypatch):
    """Default-chain credentials for destinations without credentialRef (moto accepts any)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
