"""One entry point for building the marts: open a write session, expose the lake, rebuild the dates."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from governance_pipeline.marts.dbfile import write_session
from governance_pipeline.marts.kpis import build_kpis
from governance_pipeline.marts.lake_scan import governance_events_view_sql
from governance_pipeline.marts.ocsf import build_ocsf
from governance_pipeline.marts.query import scalar
from governance_pipeline.marts.usage import register_counted_lake, trace_dates

MARTS = ("kpis", "ocsf")


@dataclass
class BuildStats:
    dates: list[str] | None
    lake_files: int = 0
    lake_events: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def build_marts(
    db_path: str | Path,
    lake_root: str,
    dates: Iterable[str] | None = None,
    marts: Iterable[str] = MARTS,
    threads: int | None = None,
) -> BuildStats:
    """Rebuild ``marts`` for ``dates`` (None: every date; a date's rows are deleted, then re-inserted), and for
    the dates of other spans of the traces on those dates (marts/usage.py)."""
    dates = None if dates is None else sorted({str(d) for d in dates})
    marts = tuple(marts)
    unknown = set(marts) - set(MARTS)
    if unknown:
        raise ValueError(f"unknown marts {sorted(unknown)}; known: {list(MARTS)}")
    stats = BuildStats(dates)
    with write_session(db_path) as con:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        if dates is not None:  # the dates of the same traces too: a late span can change what counts there
            dates = stats.dates = trace_dates(con, lake_root, dates)
        stats.lake_files = register_counted_lake(con, lake_root, dates)
        stats.lake_events = scalar(con, "SELECT count(*) FROM lake_events")
        view = governance_events_view_sql(lake_root)
        if view:
            con.execute(view)
        if "kpis" in marts:
            t0 = time.perf_counter()
            stats.rows.update(build_kpis(con, dates))
            stats.seconds["kpis"] = time.perf_counter() - t0
        if "ocsf" in marts:
            t0 = time.perf_counter()
            stats.rows["governance_ocsf_events"] = build_ocsf(con, dates)
            stats.seconds["ocsf"] = time.perf_counter() - t0
    return stats
