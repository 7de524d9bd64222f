"""Dead-run recovery: a pull never waits on a run whose worker is gone.

A pull killed with SIGKILL (OOM kill, lost node, deploy) leaves its run STARTED and its pool slot
``source_<id>`` claimed, and every later run of that source would wait for the slot forever. Every run that
can hold the slot records who executes it: run tags ``governance/worker_pid``, ``governance/worker_host`` and
``governance/worker_started`` (the process's start time, so a reused pid is not mistaken for the worker), and
while the step runs a heartbeat in the instance's key-value store. Before a pull takes the slot, the runs that
hold it (or are STARTING/STARTED for the source) are checked:

- same host (and pid namespace): the worker is dead when its pid is gone or now belongs to a process with
  another start time;
- another host: dead when its heartbeat is older than ``STALE_SECONDS``;
- a run that holds the slot but never recorded a worker: dead once it is older than ``STALE_SECONDS``.

A dead run is marked failed with a message naming the worker, its concurrency slots are freed, and the source's
state notes ``last_run = died``. Its cursor was never committed (cursors move only after the data is durable),
so the next pull re-reads from the committed cursor and the lake's dedup keeps every event once.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime

import dagster as dg
from governance_pipeline.defs import state

WORKER_PID = "governance/worker_pid"
WORKER_HOST = "governance/worker_host"
WORKER_STARTED = "governance/worker_started"
WORKER_NS = "governance/worker_ns"  # boot id + pid namespace: pids are comparable only within one
SOURCE_TAG = "governance/source"
HEARTBEAT_SECONDS = 10.0
STALE_SECONDS = 45.0  # a heartbeat this old (3+ missed beats) means the worker is gone; < the 60 s bound
_HEARTBEAT = "governance_pipeline/heartbeat/"
_LIVE = (dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED)


@dataclass(frozen=True)
class DeadRun:
    run_id: str
    reason: str


def _process_start(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux ``/proc/<pid>/stat`` field 22), or None."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            stat = f.read()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _pid_namespace() -> str:
    """This boot and pid namespace (two containers may share a hostname but never this), '' if unknown."""
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as f:
            boot = f.read().strip()
        return f"{boot}:{os.stat('/proc/self/ns/pid').st_ino}"
    except OSError:
        return ""


def worker_tags() -> dict[str, str]:
    """Run tags naming this process as the run's worker."""
    pid = os.getpid()
    return {
        WORKER_PID: str(pid),
        WORKER_HOST: socket.gethostname(),
        WORKER_STARTED: _process_start(pid) or "",
        WORKER_NS: _pid_namespace(),
    }


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _same_host_dead(tags: Mapping[str, str]) -> bool:
    pid = int(tags[WORKER_PID])
    if pid == os.getpid():
        return False
    if not _pid_alive(pid):
        return True
    started = tags.get(WORKER_STARTED)
    now_started = _process_start(pid)
    return bool(started and now_started and started != now_started)  # the pid was reused


def _heartbeat(instance: dg.DagsterInstance, source_id: str) -> dict:
    raw = instance.run_storage.get_cursor_values({_HEARTBEAT + source_id}).get(_HEARTBEAT + source_id)
    return json.loads(raw) if raw else {}


@contextmanager
def worker_heartbeat(instance: dg.DagsterInstance, source_id: str, run_id: str) -> Iterator[None]:
    """Record this process as ``run_id``'s worker and beat every ``HEARTBEAT_SECONDS`` while the body runs."""
    instance.add_run_tags(run_id, worker_tags())
    stop = threading.Event()

    def beat() -> None:
        while True:
            value = json.dumps({"run_id": run_id, "at": datetime.now(UTC).isoformat()})
            with suppress(Exception):  # a missed beat is harmless; the next one retries
                instance.run_storage.set_cursor_values({_HEARTBEAT + source_id: value})
            if stop.wait(HEARTBEAT_SECONDS):
                return

    thread = threading.Thread(target=beat, name=f"heartbeat-{source_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


def _age(ts: float | None, now: float) -> float:
    return now - ts if ts else 0.0


def _death(instance: dg.DagsterInstance, source_id: str, record: dg.RunRecord, holds_slot: bool) -> str | None:
    """Why ``record``'s worker is dead, or None while it may be alive."""
    run, now = record.dagster_run, datetime.now(UTC).timestamp()
    tags = run.tags
    where = f"worker process {tags.get(WORKER_PID)} on {tags.get(WORKER_HOST)}"
    local = tags.get(WORKER_HOST) == socket.gethostname() and tags.get(WORKER_NS, "") == _pid_namespace()
    if tags.get(WORKER_PID) and local:
        return f"{where} is gone (killed?)" if _same_host_dead(tags) else None
    beat = _heartbeat(instance, source_id)
    if beat.get("run_id") == run.run_id:
        age = now - datetime.fromisoformat(beat["at"]).timestamp()
        return f"{where} sent no heartbeat for {age:.0f} s (killed?)" if age > STALE_SECONDS else None
    age = _age(record.start_time or record.create_timestamp.timestamp(), now)
    if holds_slot and age > STALE_SECONDS:  # a slot holder beats within moments of taking the slot
        who = where if tags.get(WORKER_PID) else "the run's worker"
        return f"{who} holds the slot but sent no heartbeat in {age:.0f} s (killed?)"
    return None  # waiting for the slot, or too young to judge: Dagster's run monitoring covers the rest


def find_dead_runs(instance: dg.DagsterInstance, source_id: str) -> list[DeadRun]:
    """The runs of ``source_id`` that hold its slot or are STARTING/STARTED but whose worker is gone (read only)."""
    return [dead for dead, _ in _scan(instance, source_id) if dead is not None]


def _scan(instance: dg.DagsterInstance, source_id: str) -> list[tuple[DeadRun | None, str]]:
    info = instance.event_log_storage.get_concurrency_info(f"source_{source_id}")
    holders = {c.run_id for c in info.claimed_slots}
    pending = {p.run_id for p in info.pending_steps}
    records = list(instance.get_run_records(filters=dg.RunsFilter(statuses=list(_LIVE), tags={SOURCE_TAG: source_id})))
    seen = {r.dagster_run.run_id for r in records}
    others = (holders | pending) - seen
    if others:
        records += instance.get_run_records(filters=dg.RunsFilter(run_ids=sorted(others)))
    out: list[tuple[DeadRun | None, str]] = []
    for record in records:
        run = record.dagster_run
        if run.status not in _LIVE:  # finished (or never started) yet still holding a slot: only free it
            out.append((None, run.run_id))
            continue
        reason = _death(instance, source_id, record, run.run_id in holders)
        out.append((DeadRun(run.run_id, reason) if reason else None, run.run_id))
    return out


def heal_dead_runs(
    instance: dg.DagsterInstance, source_id: str, log: Callable[[str], None] | None = None, by: str | None = None
) -> list[DeadRun]:
    """Mark the dead runs of ``source_id`` failed and free their slots (and slots of finished runs); returns them."""
    healed = []
    for dead, run_id in _scan(instance, source_id):
        if dead is not None:
            run = instance.get_run_by_id(run_id)
            if run is not None and run.status in _LIVE:
                message = f"{dead.reason}; marked failed by {by or f'the next pull of source {source_id!r}'}"
                instance.report_run_failed(run, message)
                state.record_died(instance, source_id, run_id, message)
                healed.append(DeadRun(run_id, message))
                if log:
                    log(f"run {run_id}: {message}")
        if dead is not None or _finished(instance, run_id):
            instance.event_log_storage.free_concurrency_slots_for_run(run_id)
    return healed


def _finished(instance: dg.DagsterInstance, run_id: str) -> bool:
    run = instance.get_run_by_id(run_id)
    return run is None or run.is_finished


def build_heal_sensor(source_ids: list[str]) -> dg.SensorDefinition:
    """A daemon-side safety net: heals dead runs of every source every 30 s, even when no pull comes."""

    @dg.sensor(
        name="heal_dead_runs",
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Marks failed the pull and backfill runs whose worker is gone and frees their source slots.",
    )
    def heal_sensor(context: dg.SensorEvaluationContext) -> dg.SkipReason:
        healed = [
            d
            for sid in source_ids
            for d in heal_dead_runs(context.instance, sid, context.log.warning, "the sensor heal_dead_runs")
        ]
        return dg.SkipReason(f"healed {len(healed)} dead run(s)" if healed else "no dead runs")

    return heal_sensor
