"""A ``govpipe pull`` killed with SIGKILL mid-run must not block the next pull of its source.

The kill leaves the run STARTED and the pool slot ``source_<id>`` claimed; the next pull sees that the run's
worker process is gone, marks the run failed, frees the slot and proceeds (re-reading from the committed
cursor, so every event lands exactly once).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import dagster as dg
from governance_pipeline.defs.state import load_state
from tests.conftest import REPO
from tests.http_polling.helpers import lake_rows
from tests.reliability.fake_audit import TOKEN, FlakyAuditApi, sources_yaml
from tests.support.http import serve

BIN = Path(sys.executable).parent
HANG_GUARD = 60  # the bound: the first pull after a SIGKILL proceeds within 60 s; fail rather than hang


@pytest.fixture
def audit_env(env, monkeypatch):
    monkeypatch.setenv("ACME_AUDIT_TOKEN", TOKEN)
    return env


def govpipe(*args: str, timeout: float = HANG_GUARD) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "govpipe"), *args], capture_output=True, text=True, cwd=REPO, env=dict(os.environ), timeout=timeout
    )


def kill_mid_run(api: FlakyAuditApi) -> int:
    """Start ``govpipe pull``, SIGKILL it while it waits on the held page; returns its pid."""
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
    return proc.pid


def runs_of(status: dg.DagsterRunStatus) -> list[dg.DagsterRun]:
    instance = dg.DagsterInstance.get()
    return list(instance.get_runs(filters=dg.RunsFilter(statuses=[status], tags={"governance/source": "acme_audit"})))


def test_pull_after_sigkill_heals_the_dead_run_and_lands_every_event_once(audit_env):
    api = FlakyAuditApi(n=300, page=50, hold_at=150)
    with serve(api, keep_requests=False) as (url, _):
        sources = audit_env / "sources.yaml"
        sources.write_text(sources_yaml(url))
        os.environ["GOVERNANCE_SOURCES"] = str(sources)
        try:
            pid = kill_mid_run(api)
            stuck = runs_of(dg.DagsterRunStatus.STARTED)
            assert len(stuck) == 1  # the fault: the killed run stays STARTED and keeps its slot
            instance = dg.DagsterInstance.get()
            claimed = instance.event_log_storage.get_concurrency_info("source_acme_audit").claimed_slots
            assert [c.run_id for c in claimed] == [stuck[0].run_id]

            listed = json.loads(govpipe("sources", "list", "--json").stdout)
            assert listed[0]["last_run"] == "died" and stuck[0].run_id in listed[0]["last_error"]

            api.release()
            second = govpipe("pull", "acme_audit")
            assert second.returncode == 0, second.stderr[-2000:]
            assert second.stdout.strip() == "events=300 new=300 errors=0"
        finally:
            os.environ.pop("GOVERNANCE_SOURCES", None)
            api.release()

    failed = {r.run_id: r for r in runs_of(dg.DagsterRunStatus.FAILURE)}
    assert stuck[0].run_id in failed
    instance = dg.DagsterInstance.get()
    messages = [e.message for e in instance.all_logs(stuck[0].run_id, of_type=dg.DagsterEventType.RUN_FAILURE)]
    assert any(f"worker process {pid} on " in m and "is gone" in m for m in messages), messages
    assert instance.event_log_storage.get_concurrency_info("source_acme_audit").claimed_slots == []
    assert lake_rows(audit_env / "lake", "select count(*), count(distinct source_event_id) from events") == [(300, 300)]
    state = load_state(instance, "acme_audit")
    assert state["cursor"] == "300" and state["status"] == "active"
