"""The Dagster code location as users run it: definitions, the pull job, sensors, CLI backfills, govpipe."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb

import dagster as dg
from governance_pipeline.defs.build import build_definitions
from governance_pipeline.defs.state import load_state
from tests.conftest import REPO, copy_fixture

BIN = Path(sys.executable).parent


def lake_count(env_dir) -> int:
    return duckdb.sql(
        f"select count(*) from read_parquet('{env_dir}/lake/events/**/*.parquet', hive_partitioning=true)"
    ).fetchall()[0][0]


def run(cmd: list[str], cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd or REPO, env=dict(os.environ), timeout=300)


def test_definitions_per_source(ndjson_source):
    defs = build_definitions()
    assets = {tuple(k.path) for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert ("events", "local_demo") in assets
    assert defs.resolve_job_def("pull_local_demo") is not None
    assert defs.resolve_sensor_def("pull_local_demo_sensor") is not None


def test_pull_job_commits_cursor_after_lake_and_reports_each_date(ndjson_source):
    folder, _ = ndjson_source
    copy_fixture("ndjson/sample.ndjson", folder / "a.ndjson")
    defs = build_definitions()
    instance = dg.DagsterInstance.get()
    result = defs.resolve_job_def("pull_local_demo").execute_in_process(instance=instance)
    assert result.success
    assert result.output_for_node("ingest_local_demo") == {"events": 10, "new": 10, "errors": 0, "cursor": "a.ndjson"}
    st = load_state(instance, "local_demo")
    assert st["cursor"] == "a.ndjson" and st["status"] == "active" and st["last_event_at"].startswith("2026-10-01")
    mats = instance.fetch_materializations(dg.AssetKey(["events", "local_demo"]), limit=10).records
    assert [m.partition_key for m in mats] == ["2026-10-01"]
    # A second run resumes from the committed cursor and finds nothing new.
    again = defs.resolve_job_def("pull_local_demo").execute_in_process(instance=instance)
    assert again.output_for_node("ingest_local_demo")["events"] == 0
    assert lake_count(Path(os.environ["GOVERNANCE_LAKE"]).parent) == 10


def test_failed_pull_marks_source_error_and_keeps_cursor(ndjson_source):
    folder, _ = ndjson_source
    copy_fixture("ndjson/sample.ndjson", folder / "a.ndjson")
    defs = build_definitions()
    instance = dg.DagsterInstance.get()
    defs.resolve_job_def("pull_local_demo").execute_in_process(instance=instance)
    (folder / "b.ndjson").write_bytes(b"\x1f\x8b" + b"not really gzip")  # unreadable file: the run fails
    result = defs.resolve_job_def("pull_local_demo").execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    st = load_state(instance, "local_demo")
    assert st["status"] == "error" and st["cursor"] == "a.ndjson" and st["last_error"]


def test_sensor_requests_a_run_keyed_on_new_files(ndjson_source):
    folder, _ = ndjson_source
    defs = build_definitions()
    sensor = defs.resolve_sensor_def("pull_local_demo_sensor")
    with dg.instance_for_test() as instance:
        empty = sensor.evaluate_tick(dg.build_sensor_context(instance=instance))
        assert empty.run_requests == [] and empty.skip_message
        copy_fixture("ndjson/sample.ndjson", folder / "a.ndjson")
        tick = sensor.evaluate_tick(dg.build_sensor_context(instance=instance))
        assert len(tick.run_requests) == 1 and "a.ndjson@" in tick.run_requests[0].run_key
        assert tick.cursor == "a.ndjson"
        after = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, cursor=tick.cursor))
        assert after.run_requests == []


def test_partition_range_backfill_from_the_cli_replaces_the_window(ndjson_source, env):
    folder, _ = ndjson_source
    lines = [
        json.dumps({"id": f"e{i}", "created_at": f"2026-10-0{d}T08:00:00Z", "user": {"email": "a@example.com"}})
        for i, d in enumerate([1, 2, 3, 4])
    ]
    (folder / "x.ndjson").write_text("\n".join(lines))
    out = run([str(BIN / "govpipe"), "pull", "local_demo"])
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "events=4 new=4 errors=0"
    cursor_before = load_state(dg.DagsterInstance.get(), "local_demo")["cursor"]
    # The upstream changes: e1 disappears, e9 appears on 10-02.
    lines[1] = json.dumps({"id": "e9", "created_at": "2026-10-02T09:00:00Z", "user": {"email": "b@example.com"}})
    (folder / "x.ndjson").write_text("\n".join(lines))
    out = run(
        [
            str(BIN / "dagster"),
            "asset",
            "materialize",
            "-m",
            "governance_pipeline.definitions",
            "--select",
            "events/local_demo",
            "--partition-range",
            "2026-10-01...2026-10-02",
        ]
    )
    assert out.returncode == 0, out.stderr[-3000:]
    ids = {
        r[0]
        for r in duckdb.sql(f"select source_event_id from read_parquet('{env}/lake/events/**/*.parquet')").fetchall()
    }
    assert ids == {"e0", "e9", "e2", "e3"}
    instance = dg.DagsterInstance.get()
    assert load_state(instance, "local_demo")["cursor"] == cursor_before  # a backfill never moves the cursor
    mats = instance.fetch_materializations(dg.AssetKey(["events", "local_demo"]), limit=20).records
    assert {"2026-10-01", "2026-10-02"} <= {m.partition_key for m in mats}


def test_dagster_definitions_validate(ndjson_source):
    out = run([str(BIN / "dagster"), "definitions", "validate", "-w", "workspace.yaml"])
    assert out.returncode == 0, out.stderr[-3000:]


def test_govpipe_validate_and_sources_list(ndjson_source, tmp_path):
    out = run([str(BIN / "govpipe"), "validate"])
    assert out.returncode == 0 and "ok (1 source)" in out.stdout
    listing = json.loads(run([str(BIN / "govpipe"), "sources", "list", "--json"]).stdout)
    assert listing == [
        {
            "id": "local_demo",
            "type": "local_ndjson",
            "status": "awaiting_first_event",
            "last_event_at": None,
            "cursor": None,
            "fresh": False,
            "freshness": {"maxLagMinutes": 1440},
        }
    ]
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources:\n  - {id: x, type: local_ndjson, config: {path: /x, eventMapping: {actor: '$.user['}}}\n")
    out = subprocess.run(
        [str(BIN / "govpipe"), "validate"],
        capture_output=True,
        text=True,
        env=dict(os.environ, GOVERNANCE_SOURCES=str(bad)),
    )
    assert out.returncode == 2
    assert out.stderr.startswith(f"{bad}: source 'x': config.eventMapping.actor: invalid JSONPath '$.user['")
    assert "Traceback" not in out.stderr
    out = run([str(BIN / "govpipe"), "pull", "nope"])
    assert out.returncode == 2 and "no source 'nope'" in out.stderr and "Traceback" not in out.stderr


def test_permanent_errors_fail_once_with_one_readable_line(env, monkeypatch):
    from tests.support.http import Response, serve

    with serve(lambda req: Response(403, {"error": "forbidden"})) as (url, seen):
        sources = env / "sources.yaml"
        sources.write_text(f"""
credentials:
  api: {{token: tok-abcdef-123456}}
sources:
  - id: denied
    type: http_polling
    config:
      url: {url}/audit
      authMode: bearer
      credentialRef: api
      eventsJsonPath: $.events
      eventMapping: {{source_event_id: $.id}}
""")
        monkeypatch.setenv("GOVERNANCE_SOURCES", str(sources))
        out = run([str(BIN / "govpipe"), "pull", "denied"])
    assert out.returncode == 1
    assert len(seen) == 1  # a 403 is not retried, neither by the client nor by the step retry policy
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "HTTP 403" in lines[0] and "tok-abcdef-123456" not in out.stderr, out.stderr
    assert load_state(dg.DagsterInstance.get(), "denied")["status"] == "error"


def test_cursor_does_not_move_when_the_lake_write_fails(ndjson_source, env, monkeypatch):
    folder, _ = ndjson_source
    copy_fixture("ndjson/sample.ndjson", folder / "a.ndjson")
    (env / "not_a_folder").write_text("")
    monkeypatch.setenv("GOVERNANCE_LAKE", str(env / "not_a_folder" / "lake"))  # every write fails
    instance = dg.DagsterInstance.get()
    result = (
        build_definitions()
        .resolve_job_def("pull_local_demo")
        .execute_in_process(instance=instance, raise_on_error=False)
    )
    assert not result.success
    st = load_state(instance, "local_demo")
    assert st["status"] == "error" and st.get("cursor") is None  # the source read a.ndjson, but nothing is durable
