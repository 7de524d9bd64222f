"""Shared pieces of the http_polling tests: fixtures on disk, a sources file, a pull, a lake read."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import yaml

from governance_pipeline.config.credentials import resolve_credentials
from governance_pipeline.ingest import run_pull
from governance_pipeline.pull_types import Runtime, Window
from governance_pipeline.sources_file import parse_sources
from tests.support.mappings import NESTED_MAPPING

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FAST_RETRY = {"maxAttempts": 4, "backoffBaseSeconds": 0.001, "backoffMaxSeconds": 0.01, "timeoutSeconds": 5}
AUDIT_MAPPING = NESTED_MAPPING


def fixture(*parts: str):
    return json.loads((FIXTURES.joinpath(*parts)).read_text())


def sources(config: dict, type_: str = "http_polling", credentials: dict | None = None, **entry) -> object:
    doc = {
        "credentials": credentials or {},
        "sources": [{"id": "acme_audit", "type": type_, "organizationId": "org_1", **entry, "config": config}],
    }
    return parse_sources(yaml.safe_dump(doc))


def pull(sf, lake: Path, cursor: str | None = None, window: Window | None = None, source_id: str | None = None):
    source = sf.sources[0] if source_id is None else sf.source(source_id)
    runtime = Runtime(credentials=lambda ref: resolve_credentials(sf.credentials, ref), lake_root=str(lake))
    return run_pull(source, runtime, cursor, window)


def lake_rows(lake: Path, sql: str = "select * from events order by source_event_id") -> list[tuple]:
    """Run ``sql`` against the view ``events`` (the contract's plain hive read of the lake)."""
    if not list(lake.glob("events/**/*.parquet")):
        return []
    con = duckdb.connect()
    con.execute(
        f"create view events as select * from read_parquet('{lake}/events/**/*.parquet', hive_partitioning=true)"
    )
    return con.execute(sql).fetchall()


def audit_config(url: str, **over) -> dict:
    cfg = {
        "adapter": "http_polling",
        "url": url,
        "method": "GET",
        "headers": {"Authorization": "Bearer ${{credentials.token}}", "X-Org": "${{ingestionSource.organizationId}}"},
        "authMode": "bearer",
        "credentialRef": "acme_audit_log_creds",
        "cursorJsonPath": "$.next_cursor",
        "eventsJsonPath": "$.events",
        "schedule": "*/5 * * * *",
        "eventMapping": AUDIT_MAPPING,
        "retry": FAST_RETRY,
    }
    cfg.update(over)
    return cfg


CREDS = {"acme_audit_log_creds": {"token": {"env": "ACME_AUDIT_TOKEN"}}}
