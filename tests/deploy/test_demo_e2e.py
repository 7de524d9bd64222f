"""The newcomer's path: `DEMO_UI=0 make demo`'s program end to end, through every sample upstream."""

from __future__ import annotations

import os
import subprocess
import sys

import duckdb

from governance_pipeline.sources_file import load_sources
from tests.conftest import REPO


def test_demo_pulls_every_source_builds_marts_and_prints_kpis(env):
    run_env = dict(os.environ, DEMO_UI="0", GOVERNANCE_SOURCES=str(REPO / "sources.yaml"))
    out = subprocess.run(
        [sys.executable, "-m", "governance_pipeline.demo"],
        cwd=REPO,
        env=run_env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "KPI summary (from governance_kpis)" in out.stdout
    sources = load_sources(REPO / "sources.yaml").sources
    for source in sources:
        assert f"[demo]   {source.id}: events=" in out.stdout, source.id
    assert "FAILED" not in out.stdout
    with duckdb.connect(str(env / "governance.duckdb"), read_only=True) as con:
        per_source = dict(con.execute("select source_id, sum(event_count) from governance_kpis group by 1").fetchall())
        ocsf = con.execute("select count(*) from governance_ocsf_events").fetchall()[0][0]
    lake = duckdb.sql(
        f"select source_id, count(*) from read_parquet('{env}/lake/events/**/*.parquet', hive_partitioning=true) group by 1"
    ).fetchall()
    assert per_source == dict(lake) and set(per_source) == {s.id for s in sources}
    assert ocsf == sum(per_source.values())
