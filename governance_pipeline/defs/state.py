"""Per-source state kept in the Dagster instance (SQLite or PostgreSQL), never on a worker's disk.

One JSON value per source in the instance's key-value store, so the cursor and the status move together:
``{"cursor", "status", "last_event_at", "last_run_at", "last_run", "last_error", "events_total"}``
(``last_run``: ``success``, ``failed`` or ``died`` when the worker of the last run was killed).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from dagster import DagsterInstance

_PREFIX = "governance_pipeline/source/"


def load_state(instance: DagsterInstance, source_id: str) -> dict[str, Any]:
    raw = instance.run_storage.get_cursor_values({_PREFIX + source_id}).get(_PREFIX + source_id)
    return json.loads(raw) if raw else {}


def save_state(instance: DagsterInstance, source_id: str, state: dict[str, Any]) -> None:
    instance.run_storage.set_cursor_values({_PREFIX + source_id: json.dumps(state, default=str)})


def record_success(
    instance: DagsterInstance, source_id: str, cursor: str | None, last_event_at: datetime | None, new_events: int
) -> dict[str, Any]:
    """Commit the cursor (call only once the lake write is durable) and mark the source healthy."""
    state = load_state(instance, source_id)
    previous = state.get("last_event_at")
    if last_event_at is not None:
        iso = last_event_at.astimezone(UTC).isoformat()
        state["last_event_at"] = max(iso, previous) if previous else iso
    state.update(
        cursor=cursor,
        status="active" if state.get("last_event_at") else "awaiting_first_event",
        last_run_at=datetime.now(UTC).isoformat(),
        last_error=None,
        last_run="success",
        events_total=int(state.get("events_total") or 0) + new_events,
    )
    save_state(instance, source_id, state)
    return state


def record_window(instance: DagsterInstance, source_id: str, last_event_at: datetime | None) -> None:
    """A backfill succeeded: the cursor stays; the last event time and status may move."""
    state = load_state(instance, source_id)
    if last_event_at is not None:
        iso = last_event_at.astimezone(UTC).isoformat()
        if not state.get("last_event_at") or iso > state["last_event_at"]:
            state["last_event_at"] = iso
    if state.get("status") != "error":
        state["status"] = "active" if state.get("last_event_at") else "awaiting_first_event"
    save_state(instance, source_id, state)


def record_failure(instance: DagsterInstance, source_id: str, error: str) -> None:
    state = load_state(instance, source_id)
    state.update(status="error", last_error=error[:500], last_run="failed", last_run_at=datetime.now(UTC).isoformat())
    save_state(instance, source_id, state)


def record_died(instance: DagsterInstance, source_id: str, run_id: str, reason: str) -> None:
    """A run of the source lost its worker (healed by defs/dead_runs.py); the cursor stays where it was."""
    state = load_state(instance, source_id)
    state.update(last_run="died", last_error=f"run {run_id}: {reason}"[:500], last_run_at=datetime.now(UTC).isoformat())
    save_state(instance, source_id, state)
