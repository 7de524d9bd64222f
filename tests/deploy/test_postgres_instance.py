"""The production instance: Dagster on a real PostgreSQL server (pull, parallel runs, CLI backfill)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

import dagster as dg
from governance_pipeline.defs.state import load_state
from tests.conftest import NDJSON_MAPPING, REPO
from tests.support.postgres import postgres_server

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def pg():
    with postgres_server() as server:
        yield server


@pytest.fixture
def pg_env(pg, env, monkeypatch):
    home = env / "dagster_home"
    (home / "dagster.yaml").write_text((REPO / "deploy" / "dagster.postgres.yaml").read_text())
    monkeypatch.setenv("PGHOST", pg["host"])
    monkeypatch.setenv("PGPORT", str(pg["port"]))
    monkeypatch.setenv("PGUSER", pg["user"])
    monkeypatch.setenv("PGPASSWORD", "unused-with-trust-auth")
    monkeypatch.setenv("PGDATABASE", pg["db"])
    sources = env / "sources.yaml"
    blocks = []
    for sid in ("team_a", "team_b"):
        inbox = env / sid
        inbox.mkdir()
        lines = [
            json.dumps(
                {
                    "id": f"{sid}-{i}",
                    "created_at": f"2026-10-0{1 + i % 3}T10:00:00Z",
                    "user": {"email": f"u{i}@example.com"},
                    "model": "gpt-4o",
                    "usage": {"input_tokens": 10, "output_tokens": 5, "cost": 0.01},
                }
            )
            for i in range(30)
        ]
        (inbox / "drop-1.ndjson").write_text("\n".join(lines))
        blocks.append(
            f"  - id: {sid}\n    type: local_ndjson\n    startDate: '2026-10-01'\n    config:\n      path: {inbox}\n{NDJSON_MAPPING}"
        )
    sources.write_text("sources:\n" + "\n".join(blocks))
    monkeypatch.setenv("GOVERNANCE_SOURCES", str(sources))
    return env


def _run(*cmd: str) -> subprocess.Popen:
    return subprocess.Popen(
        [str(BIN / cmd[0]), *cmd[1:]],
        cwd=REPO,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_parallel_pulls_and_a_backfill_on_postgres(pg_env):
    procs = [_run("govpipe", "pull", "team_a"), _run("govpipe", "pull", "team_b")]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err[-2000:]
        assert out.strip() == "events=30 new=30 errors=0"
    instance = dg.DagsterInstance.get()
    assert type(instance.run_storage).__name__ == "PostgresRunStorage"
    assert load_state(instance, "team_a")["cursor"] == "drop-1.ndjson"
    assert load_state(instance, "team_b")["status"] == "active"
    backfill = _run(
        "dagster",
        "asset",
        "materialize",
        "-m",
        "governance_pipeline.definitions",
        "--select",
        "events/team_a",
        "--partition-range",
        "2026-10-01...2026-10-02",
    )
    out, err = backfill.communicate(timeout=300)
    assert backfill.returncode == 0, err[-3000:]
    mats = instance.fetch_materializations(dg.AssetKey(["events", "team_a"]), limit=20).records
    assert {"2026-10-01", "2026-10-02", "2026-10-03"} <= {m.partition_key for m in mats}
    counts = duckdb.sql(
        f"select source_id, count(*), count(distinct source_event_id) from "
        f"read_parquet('{pg_env}/lake/events/**/*.parquet', hive_partitioning=true) group by 1 order by 1"
    ).fetchall()
    assert counts == [("team_a", 30, 30), ("team_b", 30, 30)]
