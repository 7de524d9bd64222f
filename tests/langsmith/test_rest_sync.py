"""The ``langsmith`` adapter end to end against a LangSmith-shaped HTTP server on loopback."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import duckdb
import pytest

from governance_pipeline.ingest import run_pull
from governance_pipeline.langsmith.api import LangSmithAuthError, LangSmithError
from governance_pipeline.langsmith.marts import materialize
from governance_pipeline.pull_types import Window
from tests.langsmith.conftest import API_KEY, TENANT

LLM_COST = 0.0387835
PENDING_ROOT = "293274f1-9651-4905-8b57-2b59b0342b0f"


def _pull(env, cursor=None, extra="", window=None, page_size=5):
    sf = env.sources(extra, page_size=page_size)
    return run_pull(sf.source("ls"), env.runtime(sf), cursor, window)


def test_full_sync_pages_every_endpoint_and_lands_llm_events(ls_env):
    out = _pull(ls_env, page_size=2)
    assert out.events == 20  # every run counted, before the llm filter
    assert out.new == 10 and out.errors == 0
    count, cost, tin, tout, ids = ls_env.lake_sql(
        "SELECT count(*), sum(cost_usd), sum(tokens_input), sum(tokens_output), count(DISTINCT source_event_id) FROM EVENTS"
    )[0]
    assert count == ids == 10
    assert cost == pytest.approx(LLM_COST)
    assert tin > 0 and tout > 0
    reqs = ls_env.requests
    assert all(r.headers["x-api-key"] == API_KEY and r.headers["x-tenant-id"] == TENANT for r in reqs)
    assert all(r.path.startswith("/api/v1/") for r in reqs)

    def offsets(suffix):
        return [(r.q("dataset"), r.q("offset"), r.q("limit")) for r in reqs if r.path.endswith(suffix)]

    assert offsets("/datasets") == [(None, "0", "2"), (None, "2", "2")]  # full page, then the empty end
    assert offsets("/sessions") == [(None, "0", "2"), (None, "2", "2")]
    ds1, ds2 = "1ffdfdb9-b0da-473a-8946-938b0be895d6", "1c080a37-2844-4334-a6fa-b2445f89dbf5"
    assert offsets("/examples") == [(ds1, "0", "2"), (ds1, "2", "2"), (ds2, "0", "2"), (ds2, "2", "2")]
    runs_reqs = [r.json() for r in reqs if r.path.endswith("/runs/query")]
    assert len(runs_reqs) == 8 + 2  # 16 + 4 runs in pages of 2
    assert sum(1 for b in runs_reqs if "cursor" in b) == 7 + 1
    assert all(
        b["limit"] == 2 and {"total_cost", "prompt_tokens", "extra", "trace_id"} <= set(b["select"]) for b in runs_reqs
    )
    cursor = json.loads(out.cursor)
    assert set(cursor["projects"]) == {"ecbcd101-6cad-4297-94a0-786853343e48", "e9a36969-d556-4eb3-bf0e-83106b5997ba"}
    assert cursor["lookbackHours"] == 24


def test_event_fields(ls_env):
    _pull(ls_env)
    rows = ls_env.lake_sql(
        "SELECT actor, action, target, model, provider, event_type, status, trace_id, parent_span_id, cost_source "
        "FROM EVENTS ORDER BY event_timestamp"
    )
    assert {r[1] for r in rows} == {"llm"}
    assert {r[5] for r in rows} == {"api.call"}
    assert "maria.garcia@example.com" in {r[0] for r in rows}
    assert any(r[0].startswith("thr_") for r in rows)  # trace without user_id: falls back to the thread id
    assert all(r[2] == r[3] and r[2] for r in rows)
    assert "error" in {r[6] for r in rows}
    assert all(r[7] and r[8] for r in rows)


def test_retries_429_with_seconds_and_date_and_500(ls_env):
    ls_env.fake.fail_next("/datasets", 500, times=2)
    ls_env.fake.fail_next("/sessions", 429, {"Retry-After": "0"})
    past = format_datetime(datetime.now(UTC) - timedelta(seconds=5), usegmt=True)
    ls_env.fake.fail_next("/runs/query", 429, {"Retry-After": past})
    ls_env.fake.fail_next("/examples", 503)
    out = _pull(ls_env)
    assert out.new == 10 and out.events == 20


def test_401_and_403_are_reported_clearly_without_the_key(ls_env):
    sf = ls_env.sources(api_key="wrong-key-abcdef")
    with pytest.raises(LangSmithAuthError) as err:
        run_pull(sf.source("ls"), ls_env.runtime(sf), None)
    assert "401" in str(err.value) and "apiKey" in str(err.value)
    assert "wrong-key-abcdef" not in str(err.value)
    ls_env.fake.tenant_id = "other-tenant"
    sf = ls_env.sources()
    with pytest.raises(LangSmithAuthError, match="403"):
        run_pull(sf.source("ls"), ls_env.runtime(sf), None)


def test_5xx_exhausted_fails_and_commits_nothing(ls_env):
    ls_env.fake.fail_next("/runs/query", 500, times=10)
    sf = ls_env.sources()
    with pytest.raises(LangSmithError, match="500"):
        run_pull(sf.source("ls"), ls_env.runtime(sf), None)
    from pathlib import Path

    assert not list(Path(ls_env.lake, "events").rglob("*.parquet"))


def test_run_updated_between_syncs_replaces_the_earlier_version(ls_env):
    first = _pull(ls_env)
    for r in ls_env.fake.data["runs"]:
        if r["trace_id"] == PENDING_ROOT:
            r["end_time"] = "2026-10-01T12:12:41.000000"
            r["status"] = "success"
            if r["run_type"] == "llm":
                r["total_cost"] = "0.50000000"
    second = _pull(ls_env, first.cursor)
    assert second.new == 0 and second.replaced == 10
    # the second sync starts at the oldest open run (inside hwm - lookback here)
    bodies = [b for b in ls_env.fake.runs_bodies[-10:] if "ecbcd101-6cad-4297-94a0-786853343e48" in b["session"]]
    assert bodies and bodies[-1]["start_time"].startswith("2026-09-30T12:12:32")
    rows = ls_env.lake_sql("SELECT count(*), count(DISTINCT source_event_id), sum(cost_usd) FROM EVENTS")[0]
    assert rows[0] == rows[1] == 10
    pending_llm_cost = sum(float(r["total_cost"]) for r in ls_env.fake.data["runs"] if r["run_type"] == "llm")
    assert rows[2] == pytest.approx(pending_llm_cost)
    assert json.loads(second.cursor)["projects"]["ecbcd101-6cad-4297-94a0-786853343e48"]["open"] is None
    db = f"{ls_env.lake}/../m.duckdb"
    res = materialize(ls_env.lake, db, "langsmith_run")
    assert res.rows == 20 and res.versions == 40
    with duckdb.connect(db, read_only=True) as con:
        status, end = con.execute(
            f"SELECT status, end_time FROM langsmith_run WHERE run_id = '{PENDING_ROOT}'"
        ).fetchone()
    assert status == "success" and end is not None


def test_incremental_sync_asks_from_hwm_minus_lookback(ls_env):
    first = _pull(ls_env, extra="      lookbackHours: 2\n")
    cur = json.loads(first.cursor)
    cur["projects"]["ecbcd101-6cad-4297-94a0-786853343e48"]["open"] = None
    _pull(ls_env, json.dumps(cur), extra="      lookbackHours: 2\n")
    body = [b for b in ls_env.fake.runs_bodies if "ecbcd101-6cad-4297-94a0-786853343e48" in b["session"]][-1]
    assert body["start_time"] == "2026-10-01T10:12:32.550000Z"


def test_switches_turn_off_examples_and_runs(ls_env):
    out = _pull(ls_env, extra="      syncExamples: false\n      syncRuns: false\n")
    assert out.new == 0
    paths = {r.path for r in ls_env.requests}
    assert paths == {"/api/v1/datasets"}


def test_backfill_window_filters_at_the_source_and_keeps_cursor(ls_env):
    start = datetime(2026, 10, 1, tzinfo=UTC)
    out = _pull(ls_env, cursor='{"v": 1, "projects": {}}', window=Window(start, start + timedelta(days=1)))
    assert out.new == 10 and out.cursor_moved is False
    body = ls_env.fake.runs_bodies[0]
    assert body["start_time"] == "2026-10-01T00:00:00.000000Z"
    assert body["filter"] == 'lt(start_time, "2026-10-02T00:00:00.000000Z")'


def test_cursor_cycle_is_an_error(ls_env, monkeypatch):
    fake = ls_env.fake
    original = fake._runs

    def looping(body):
        resp = original(dict(body, cursor=None))
        resp.body["cursors"]["next"] = "c29tZQ=="
        return resp

    fake._runs = looping
    sf = ls_env.sources()
    with pytest.raises(LangSmithError, match="cursor repeated"):
        run_pull(sf.source("ls"), ls_env.runtime(sf), None)


def test_tables_are_exactly_once_by_key_after_repeated_syncs(ls_env, tmp_path):
    cursor = None
    for _ in range(3):
        cursor = _pull(ls_env, cursor).cursor
    db = tmp_path / "marts.duckdb"
    for table, key, n in (
        ("langsmith_dataset", "dataset_id", 2),
        ("langsmith_example", "example_id", 6),
        ("langsmith_run", "run_id", 20),
    ):
        assert materialize(ls_env.lake, db, table).rows == n
        with duckdb.connect(str(db), read_only=True) as con:
            rows, keys = con.execute(f"SELECT count(*), count(DISTINCT {key}) FROM {table}").fetchone()
            assert rows == keys == n
            assert con.execute(f"SELECT typeof(raw) FROM {table} LIMIT 1").fetchone()[0] == "JSON"
    with duckdb.connect(str(db), read_only=True) as con:
        names = {r[0] for r in con.execute("SELECT dataset_name FROM langsmith_example").fetchall()}
        assert names == {"support-golden-set", "billing-regressions"}
        cost = con.execute("SELECT sum(total_cost) FROM langsmith_run WHERE run_type = 'llm'").fetchone()[0]
        assert float(cost) == pytest.approx(LLM_COST)
        row = con.execute(
            "SELECT project_name, trace_id, session_id, prompt_tokens FROM langsmith_run WHERE run_type='llm' LIMIT 1"
        ).fetchone()
        assert all(v is not None for v in row)


def test_deleted_example_drops_out_of_the_snapshot(ls_env, tmp_path):
    _pull(ls_env)
    ls_env.fake.data["examples"].pop(0)
    _pull(ls_env)
    db = tmp_path / "m.duckdb"
    assert materialize(ls_env.lake, db, "langsmith_example").rows == 5


def test_compaction_keeps_the_table_and_later_versions_still_win(ls_env, tmp_path):
    from pathlib import Path

    cursor = None
    for _ in range(3):
        cursor = _pull(ls_env, cursor).cursor
    run_dir = Path(ls_env.lake, "langsmith", "langsmith_run", "source_id=ls")
    assert len(list(run_dir.glob("*.parquet"))) == 3
    db = tmp_path / "m.duckdb"
    res = materialize(ls_env.lake, db, "langsmith_run", compact_after=1)
    assert res.rows == 20 and res.compacted_files == 3
    assert len(list(run_dir.glob("*.parquet"))) == 1
    for r in ls_env.fake.data["runs"]:
        if r["id"] == PENDING_ROOT:
            r["end_time"], r["status"] = "2026-10-01T12:12:41.000000", "success"
    _pull(ls_env, cursor)
    again = materialize(ls_env.lake, db, "langsmith_run", compact_after=1)
    assert again.rows == 20 and again.versions == 40
    with duckdb.connect(str(db), read_only=True) as con:
        assert (
            con.execute(f"SELECT status FROM langsmith_run WHERE run_id = '{PENDING_ROOT}'").fetchone()[0] == "success"
        )
        assert con.execute("SELECT count(*) FROM langsmith_run WHERE end_time IS NULL").fetchone()[0] == 0
