"""Per-source health for the report, derived from the lake and the marts, overridable by the pipeline state.

Until the pipeline's own state reader is wired in, status comes from the data: ``awaiting_first_event`` when
the lake has no event, ``error`` when the source's recent events are mostly errors or lines were quarantined in
the last day, else ``active``. A ``statuses`` mapping (from the Dagster cursor/state) wins where it says more.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb

from governance_pipeline.lake.store import LakeStore
from governance_pipeline.marts.query import scalar


@dataclass
class SourceHealth:
    source_id: str
    source_type: str | None = None
    status: str = "awaiting_first_event"
    last_event_at: datetime | None = None
    events: int = 0
    errors: int = 0
    errors_7d: int = 0
    events_7d: int = 0
    quarantine_files: int = 0
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def quarantine_counts(lake_root: str) -> dict[str, tuple[int, str | None]]:
    """Quarantine file count and newest quarantine date per source."""
    out: dict[str, tuple[int, str | None]] = {}
    for rel in LakeStore(lake_root).list_files("quarantine"):
        parts = dict(p.split("=", 1) for p in rel.split("/") if "=" in p)
        sid = parts.get("source_id")
        if sid:
            n, newest = out.get(sid, (0, None))
            day = parts.get("date")
            out[sid] = (n + 1, max(filter(None, [newest, day]), default=None))
    return out


def source_health(
    con: duckdb.DuckDBPyConnection,
    lake_root: str,
    sources: Mapping[str, str | None],
    now: datetime | None = None,
    statuses: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[SourceHealth]:
    """Health of each configured source (``{id: type}``), from ``governance_source_daily`` and quarantine files."""
    now = now or datetime.now(UTC)
    since = (now - timedelta(days=7)).date()
    rows = {}
    if scalar(con, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'governance_source_daily'"):
        rows = {
            r[0]: r[1:]
            for r in con.execute(
                """
            SELECT source_id, any_value(source_type), max(last_event_at), sum(event_count), sum(error_count),
                   coalesce(sum(event_count) FILTER (WHERE date >= ?), 0), coalesce(sum(error_count) FILTER (WHERE date >= ?), 0)
            FROM governance_source_daily GROUP BY source_id""",
                [since, since],
            ).fetchall()
        }
    quarantine = quarantine_counts(lake_root)
    out = []
    for sid, stype in sources.items():
        h = SourceHealth(sid, stype)
        if sid in rows:
            t, h.last_event_at, h.events, h.errors, h.events_7d, h.errors_7d = rows[sid]
            h.source_type = h.source_type or t
        h.quarantine_files, newest_q = quarantine.get(sid, (0, None))
        if h.events:
            h.status = "active"
            recent_quarantine = newest_q is not None and newest_q >= str((now - timedelta(days=1)).date())
            if (h.events_7d and h.errors_7d * 2 > h.events_7d) or recent_quarantine:
                h.status = "error"
                h.detail = "most recent events failed" if not recent_quarantine else "lines quarantined in the last day"
        given = (statuses or {}).get(sid) or {}
        h.status = given.get("status") or h.status
        h.last_event_at = given.get("last_event_at") or h.last_event_at
        h.detail = given.get("error") or given.get("detail") or h.detail
        h.extra = {k: v for k, v in given.items() if k not in ("status", "last_event_at", "error", "detail")}
        out.append(h)
    return out
