"""A ``govpipe pull`` killed with SIGKILL mid-run must not block the next pull of its source.

The kill leaves the run STARTED and the pool slot ``source_<id>`` claimed; the next pull sees that the run's
worker process is gone, marks the run failed, frees the slot and proceeds (re-reading from the committed
cursor, so every event lands exactly once). Runs on SQLite and on a real PostgreSQL server.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import dagster as dg
from governance_pipeline.defs.dead_runs import WORKER_HOST, WORKER_NS, find_dead_runs
from governance_pipeline.defs.state import load_state
from tests.conftest import REPO
from tests.http_polling.helpers import lake_rows
from tests.reliability.fake_audit import TOKEN, FlakyAuditApi, sources_yaml
from tests.support.http import serve
from tests.support.postgres import postgres_server

BIN = Path(sys.executable).parent
HANG_GUARD = 60  # the bound: the first pull after a SIGKILL proceeds within 60 s; fail rather than hang
SLOT = "source_acme_audit"


@pytest.fixture(scope="module")
def pg() -> Iterator[dict]:
    with postgres_server() as server:
        yield server


def _fresh_database(pg: dict) -> str:
    """One server for the module, one empty database per test."""
    import psycopg2

    name = f"dead_runs_{next(_DB_NUMBERS)}"
    conn = psycopg2.connect(host=pg["host"], port=pg["port"], user=pg["user"], dbname=pg["db"])
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
    conn.close()
    return name


_DB_NUMBERS = itertools.count()


@pytest.fixture(params=["sqlite", "postgres"])
def audit_env(request, env, monkeypatch):
    monkeypatch.setenv("ACME_AUDIT_TOKEN", TOKEN)
    if request.param == "postgres":
        pg = request.getfixturevalue("pg")
        home = env / "dagster_home"
        (home / "dagster.yaml").write_text((REPO / "deploy" / "dagster.postgres.yaml").read_text())
        for key, value in (("PGHOST", pg["host"]), ("PGPORT", str(pg["port"])), ("PGUSER", pg["user"])):
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("PGPASSWORD", "unused-with-trust-auth")
        monkeypatch.setenv("PGDATABASE", _fresh_database(pg))
    return env


@pytest.fixture
def api(audit_env, monkeypatch) -> Iterator[FlakyAuditApi]:
    fake = FlakyAuditApi(n=300, page=50, hold_at=150)
    with serve(fake, keep_requests=False) as (url, _):
        sources = audit_env / "sources.yaml"
        sources.write_text(sources_yaml(url))
        monkeypatch.setenv("GOVERNANCE_SOURCES", str(sources))
        try:
            yield fake
        finally:
            fake.release()


def govpipe(*args: str, timeout: float = HANG_GUARD) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "govpipe"), *args], capture_output=True, text=True, cwd=REPO, env=dict(os.environ), timeout=timeout
    )


def kill_mid_run(api: FlakyAuditApi) -> tuple[int, dg.DagsterRun]:
    """Start ``govpipe pull``, SIGKILL it while it waits on the held page; returns its pid and its stuck run."""
    proc = subprocess.Popen(
        [str(BIN / "govpipe"), "pull", "acme_audit"],
        cwd=REPO,
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert api.held.wait(HANG_GUARD), "the pull never reached the held page"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    stuck = runs_of(dg.DagsterRunStatus.STARTED)
    assert len(stuck) == 1  # the fault: the killed run stays STARTED and keeps its slot
    claimed = dg.DagsterInstance.get().event_log_storage.get_concurrency_info(SLOT).claimed_slots
    assert [c.run_id for c in claimed] == [stuck[0].run_id]
    return proc.pid, stuck[0]


def runs_of(status: dg.DagsterRunStatus) -> list[dg.DagsterRun]:
    instance = dg.DagsterInstance.get()
    return list(instance.get_runs(filters=dg.RunsFilter(statuses=[status], tags={"governance/source": "acme_audit"})))


def assert_healed(run_id: str, pid: int) -> None:
    instance = dg.DagsterInstance.get()
    assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE
    messages = [e.message for e in instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_FAILURE)]
    assert any(f"worker process {pid} on " in m and "is gone" in m for m in messages), messages
    assert instance.event_log_storage.get_concurrency_info(SLOT).claimed_slots == []


def test_pull_after_sigkill_heals_the_dead_run_and_lands_every_event_once(api, audit_env):
    pid, stuck = kill_mid_run(api)
    listed = json.loads(govpipe("sources", "list", "--json").stdout)
    assert listed[0]["last_run"] == "died" and stuck.run_id in listed[0]["last_error"]

    api.release()
    second = govpipe("pull", "acme_audit")
    assert second.returncode == 0, second.stderr[-2000:]
    assert second.stdout.strip() == "events=300 new=300 errors=0"
    assert f"healed dead run {stuck.run_id}" in second.stderr

    assert_healed(stuck.run_id, pid)
    assert lake_rows(audit_env / "lake", "select count(*), count(distinct source_event_id) from events") == [(300, 300)]
    state = load_state(dg.DagsterInstance.get(), "acme_audit")
    assert state["cursor"] == "300" and state["status"] == "active" and state["last_run"] == "success"
    listed = json.loads(govpipe("sources", "list", "--json").stdout)
    assert listed[0]["last_run"] == "success" and listed[0]["last_error"] is None


def test_the_pull_job_and_the_heal_sensor_heal_without_govpipe(api, audit_env):
    """Schedules and sensors run the job ``pull_<id>``: its heal step frees the slot before the pull step."""
    from governance_pipeline.defs.build import build_definitions
    from governance_pipeline.sources_file import load_sources

    defs = build_definitions(load_sources())
    instance = dg.DagsterInstance.get()
    pid, stuck = kill_mid_run(api)
    tick = defs.resolve_sensor_def("heal_dead_runs").evaluate_tick(dg.build_sensor_context(instance=instance))
    assert "healed 1 dead run(s)" in tick.skip_message
    assert_healed(stuck.run_id, pid)
    assert load_state(instance, "acme_audit")["last_run"] == "died"

    api.hold(0)  # the next pull is killed on its first page
    pid, stuck = kill_mid_run(api)
    api.release()
    result = defs.resolve_job_def("pull_acme_audit").execute_in_process(instance=instance, raise_on_error=False)
    assert result.success
    assert result.output_for_node("ingest_acme_audit")["new"] == 300
    assert_healed(stuck.run_id, pid)


@pytest.mark.parametrize(
    "elsewhere", [{WORKER_HOST: "another-node"}, {WORKER_NS: "another-container:4026531836"}], ids=["host", "pidns"]
)
def test_a_worker_elsewhere_is_judged_by_its_heartbeat(api, audit_env, elsewhere):
    """A run on another host or in another container's pid namespace: its pid means nothing here, so it is
    alive while its heartbeat is fresh and dead once the heartbeat is stale."""
    _, stuck = kill_mid_run(api)
    instance = dg.DagsterInstance.get()
    instance.add_run_tags(stuck.run_id, elsewhere)  # as a worker elsewhere records itself
    assert find_dead_runs(instance, "acme_audit") == []  # its last beat is seconds old: not judged dead
    old = (datetime.now(UTC) - timedelta(minutes=2)).isoformat()
    key = "governance_pipeline/heartbeat/acme_audit"
    instance.run_storage.set_cursor_values({key: json.dumps({"run_id": stuck.run_id, "at": old})})
    [dead] = find_dead_runs(instance, "acme_audit")
    assert dead.run_id == stuck.run_id and "sent no heartbeat for 120 s" in dead.reason
