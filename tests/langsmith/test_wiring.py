"""The LangSmith source inside the full code location: pull job, cursor state, automation, tables job."""

from __future__ import annotations

import json

import duckdb

import dagster as dg
from governance_pipeline.defs.build import build_definitions
from governance_pipeline.defs.state import load_state


def test_pull_job_then_sensor_then_tables_job(ls_env, tmp_path, monkeypatch):
    db = tmp_path / "governance.duckdb"
    monkeypatch.setenv("GOVERNANCE_LAKE", ls_env.lake)
    monkeypatch.setenv("GOVERNANCE_DUCKDB", str(db))
    defs = build_definitions(ls_env.sources())
    instance = dg.DagsterInstance.ephemeral()
    baseline = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    pull = defs.resolve_job_def("pull_ls").execute_in_process(instance=instance)
    assert pull.success
    assert pull.output_for_node("ingest_ls")["new"] == 10
    cursor = json.loads(load_state(instance, "ls")["cursor"])
    assert "ecbcd101-6cad-4297-94a0-786853343e48" in cursor["projects"]
    mats = instance.fetch_materializations(dg.AssetKey(["events", "ls"]), limit=1000).records
    written = {m.partition_key for m in mats if m.asset_materialization.metadata["rows_written"].value}
    assert written == {"2026-10-01"}

    # the automation sensor asks for the tables once the pull has landed data
    requested = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=baseline.cursor)
    keys = {r.key for r in requested.results if r.true_subset.size}
    assert {dg.AssetKey(t) for t in ("langsmith_dataset", "langsmith_example", "langsmith_run")} <= keys

    tables = defs.resolve_job_def("langsmith_tables").execute_in_process(instance=instance)
    assert tables.success
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*), count(DISTINCT run_id) FROM langsmith_run").fetchone() == (20, 20)

    # a second pull resumes from the committed cursor (re-reading only the lookback) and replaces, never adds
    again = defs.resolve_job_def("pull_ls").execute_in_process(instance=instance)
    assert again.output_for_node("ingest_ls")["new"] == 0


def test_govpipe_pull_and_cli_partition_backfill(ls_env, env, monkeypatch):
    import os
    import subprocess
    import sys
    from pathlib import Path

    from tests.langsmith.conftest import sources_yaml

    sources = env / "sources.yaml"
    sources.write_text(sources_yaml(ls_env.url))
    monkeypatch.setenv("GOVERNANCE_SOURCES", str(sources))
    bin_dir = Path(sys.executable).parent

    def run(*cmd):
        return subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ), timeout=300)

    out = run(str(bin_dir / "govpipe"), "pull", "ls")
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "events=20 new=10 errors=0"
    cursor_before = load_state(dg.DagsterInstance.get(), "ls")["cursor"]
    for r in ls_env.fake.data["runs"]:
        if r["run_type"] == "llm":
            r["total_cost"] = "1.00000000"
    out = run(
        str(bin_dir / "dagster"),
        "asset",
        "materialize",
        "-m",
        "governance_pipeline.definitions",
        "--select",
        "events/ls",
        "--partition-range",
        "2026-10-01...2026-10-01",
    )
    assert out.returncode == 0, out.stderr[-3000:]
    body = ls_env.fake.runs_bodies[-1]
    assert body["start_time"] == "2026-10-01T00:00:00.000000Z" and "2026-10-02T00:00:00" in body["filter"]
    glob = f"{env}/lake/events/**/*.parquet"
    count, cost = duckdb.sql(f"SELECT count(*), sum(cost_usd) FROM read_parquet('{glob}')").fetchall()[0]
    assert count == 10 and cost == 10.0
    assert load_state(dg.DagsterInstance.get(), "ls")["cursor"] == cursor_before
