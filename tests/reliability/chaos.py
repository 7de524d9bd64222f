"""The chaos run: ``govpipe pull`` killed with SIGKILL at random points, again and again, against a flaky API.

Each round appends new events to the fake audit API (429 with Retry-After, 500/503, slow pages), starts a real
``govpipe pull`` and SIGKILLs it at a random point: after a random number of its page requests, or a random time
after start (which may land in start-up, before the run exists). The next round's pull must heal the dead run
and proceed. At the end one pull runs to completion and the run checks: every event exactly once in the lake,
no run left STARTED, the slot free, the source ``active`` with ``last_run = success``.

Used by ``benchmarks/chaos.py`` (long run) and ``tests/reliability/test_chaos.py`` (three kills).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from tests.reliability.fake_audit import TOKEN, FlakyAuditApi, sources_yaml
from tests.support.http import serve

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PULL_TIMEOUT = 90  # a pull that waits on a dead run's slot fails the chaos run instead of hanging it


@dataclass
class ChaosResult:
    kills: int = 0
    completed_pulls: int = 0
    failed_pulls: int = 0
    healed: int = 0
    events: int = 0
    lake_rows: int = 0
    lake_distinct: int = 0
    faults: dict = field(default_factory=dict)
    requests: int = 0
    seconds: float = 0.0
    source: dict = field(default_factory=dict)
    stuck_runs: int = 0
    claimed_slots: int = 0
    resume_seconds: list[float] = field(default_factory=list)  # from a kill to the next pull's first request

    @property
    def ok(self) -> bool:
        return (
            self.lake_rows == self.lake_distinct == self.events
            and self.stuck_runs == 0
            and self.claimed_slots == 0
            and self.source.get("status") == "active"
            and self.source.get("last_run") == "success"
        )


def _env(workdir: Path, sources: Path) -> dict[str, str]:
    home = workdir / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        (home / "dagster.yaml").write_text((REPO / "dagster.yaml").read_text())
    return dict(
        os.environ,
        DAGSTER_HOME=str(home),
        GOVERNANCE_LAKE=str(workdir / "lake"),
        GOVERNANCE_DUCKDB=str(workdir / "governance.duckdb"),
        GOVERNANCE_REPORTS=str(workdir / "reports"),
        GOVERNANCE_SOURCES=str(sources),
        ACME_AUDIT_TOKEN=TOKEN,
    )


def _govpipe(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "govpipe"), *args], capture_output=True, text=True, cwd=REPO, env=env, timeout=PULL_TIMEOUT
    )


def run_chaos(
    workdir: Path,
    kills: int,
    seed: int = 0,
    events: int = 1200,
    page: int = 50,
    fault_rate: float = 0.15,
    slow_seconds: float = 0.3,
    log: Callable[[str], None] = lambda _: None,
) -> ChaosResult:
    workdir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    api = FlakyAuditApi(n=0, page=page, seed=seed, fault_rate=fault_rate, slow_seconds=slow_seconds)
    result, started = ChaosResult(events=events), time.monotonic()
    per_round = max(1, events // (kills + 1))
    with serve(api, keep_requests=False) as (url, _):
        sources = workdir / "sources.yaml"
        sources.write_text(sources_yaml(url))
        env = _env(workdir, sources)
        kill_times: list[float] = []
        committed_end = 0  # events a completed pull has read to (the kills commit nothing)
        while result.kills < kills:
            api.grow(min(per_round, events - len(api.events)))
            before = api.requests
            proc = subprocess.Popen(
                [str(BIN / "govpipe"), "pull", "acme_audit"],
                cwd=REPO,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            by_requests = rng.random() < 0.7
            pending_pages = -(-(len(api.events) - committed_end) // page) + 1  # + the last, empty page
            target = before + rng.randint(1, pending_pages)
            kill_at = time.monotonic() + rng.uniform(0.5, 6.0)
            deadline = time.monotonic() + PULL_TIMEOUT
            while proc.poll() is None and time.monotonic() < deadline:
                if (api.requests >= target) if by_requests else (time.monotonic() >= kill_at):
                    break
                time.sleep(0.01)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                _, err = proc.communicate()
                kill_times.append(time.monotonic())
                result.kills += 1
                where = f"after request {api.requests - before}" if by_requests else "at a random time"
                log(f"kill {result.kills}: pid {proc.pid} {where}")
            else:
                _, err = proc.communicate()
                if proc.returncode == 0:
                    result.completed_pulls += 1
                    committed_end = len(api.events)
                else:
                    result.failed_pulls += 1
                log(f"pull finished before the kill (exit {proc.returncode})")
            result.healed += err.count("healed dead run")
        api.grow(events - len(api.events))
        for _ in range(3):  # the last pull runs to the end (a fault storm beyond the retries fails it cleanly)
            last = _govpipe(env, "pull", "acme_audit")
            result.healed += last.stderr.count("healed dead run")
            log(f"final pull: exit {last.returncode} {last.stdout.strip()} {last.stderr.strip()[-300:]}")
            if last.returncode == 0:
                result.completed_pulls += 1
                break
            result.failed_pulls += 1
        result.faults, result.requests = dict(api.faults), api.requests
        for t in kill_times:  # the next pull after a kill proceeds when it sends its first request
            after = [r for r in api.request_times if r > t]
            if after:
                result.resume_seconds.append(after[0] - t)
        listed = _govpipe(env, "sources", "list", "--json")
        result.source = json.loads(listed.stdout)[0] if listed.returncode == 0 else {"error": listed.stderr}
    result.lake_rows, result.lake_distinct = _lake_counts(workdir / "lake")
    result.stuck_runs, result.claimed_slots = _instance_leftovers(env)
    result.seconds = time.monotonic() - started
    return result


def _lake_counts(lake: Path) -> tuple[int, int]:
    if not list(lake.glob("events/**/*.parquet")):
        return 0, 0
    row = (
        duckdb.connect()
        .execute(
            f"select count(*), count(distinct source_event_id) from read_parquet('{lake}/events/**/*.parquet', "
            "hive_partitioning=true)"
        )
        .fetchone()
    )
    assert row is not None
    return int(row[0]), int(row[1])


def _instance_leftovers(env: dict[str, str]) -> tuple[int, int]:
    code = (
        "import dagster as dg\n"
        "i = dg.DagsterInstance.get()\n"
        "live = i.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING]))\n"
        "print(len(live), len(i.event_log_storage.get_concurrency_info('source_acme_audit').claimed_slots))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    stuck, claimed = out.stdout.split()
    return int(stuck), int(claimed)
