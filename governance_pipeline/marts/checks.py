"""Data-quality checks of the marts, as pure functions over a DuckDB connection that has ``lake_events``.

Each returns a ``CheckOutcome`` (passed, a one-line summary, metadata); the Dagster checks wrap them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import duckdb
import orjson

from governance_pipeline.marts.ocsf_structure import structure_problems
from governance_pipeline.marts.query import scalar


@dataclass
class CheckOutcome:
    passed: bool
    summary: str
    metadata: dict[str, Any] = field(default_factory=dict)


def _table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(scalar(con, "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]) > 0)


def _compare_by_date(con: duckdb.DuckDBPyConnection, mart_sql: str, lake_sql: str, label: str) -> CheckOutcome:
    rows = con.execute(f"""
        SELECT coalesce(m.date, l.date) AS date, m.n AS mart, l.n AS lake
        FROM ({mart_sql}) m FULL OUTER JOIN ({lake_sql}) l ON m.date = l.date
        WHERE m.n IS DISTINCT FROM l.n ORDER BY 1""").fetchall()
    total = scalar(con, "SELECT count(*) FROM lake_events")
    meta = {
        "lake_events": int(total),
        "mismatched_dates": len(rows),
        "first_mismatches": [f"{d}: mart={m} lake={lk}" for d, m, lk in rows[:10]],
    }
    if rows:
        return CheckOutcome(False, f"{label}: {len(rows)} date(s) differ from the lake", meta)
    return CheckOutcome(True, f"{label}: matches the lake ({total} events)", meta)


def kpis_match_lake(con: duckdb.DuckDBPyConnection) -> CheckOutcome:
    """Per date: events, tokens in/out and cost in ``governance_kpis`` equal the lake's (``lake_events``, with
    usage counted once per model call: marts/usage.py)."""
    if not _table_exists(con, "governance_kpis"):
        return CheckOutcome(False, "governance_kpis does not exist yet")
    key = "(count(*), sum(tokens_input), sum(tokens_output), round(sum(cost_usd), 6))::VARCHAR"
    mart_key = "(sum(event_count), sum(tokens_input), sum(tokens_output), round(sum(cost_usd), 6))::VARCHAR"
    return _compare_by_date(
        con,
        f"SELECT date, {mart_key} AS n FROM governance_kpis GROUP BY date",
        f"SELECT date, {key} AS n FROM lake_events GROUP BY date",
        "governance_kpis sums",
    )


def ocsf_match_lake(con: duckdb.DuckDBPyConnection) -> CheckOutcome:
    """Per date: one OCSF row per lake event."""
    if not _table_exists(con, "governance_ocsf_events"):
        return CheckOutcome(False, "governance_ocsf_events does not exist yet")
    return _compare_by_date(
        con,
        "SELECT date, count(*) AS n FROM governance_ocsf_events GROUP BY date",
        "SELECT date, count(*) AS n FROM lake_events GROUP BY date",
        "governance_ocsf_events rows",
    )


def _compare_days(
    con: duckdb.DuckDBPyConnection, mart_sql: str, lake_sql: str, label: str, days: list[str]
) -> dict[str, CheckOutcome]:
    """Per day of ``days``: the mart's value against the lake's (a day with nothing on either side passes)."""
    values: dict[str, dict[str, str | None]] = {d: {"mart": None, "lake": None} for d in days}
    for side, sql in (("mart", mart_sql), ("lake", lake_sql)):
        rows = con.execute(
            f"SELECT CAST(date AS VARCHAR), n FROM ({sql}) WHERE CAST(date AS VARCHAR) IN (SELECT unnest(?::VARCHAR[]))",
            [days],
        ).fetchall()
        for day, n in rows:
            values[str(day)][side] = None if n is None else str(n)
    out: dict[str, CheckOutcome] = {}
    for day, v in values.items():
        meta: dict[str, Any] = {"mart": v["mart"] or "none", "lake": v["lake"] or "none"}
        if v["mart"] == v["lake"]:
            out[day] = CheckOutcome(True, f"{label} {day}: matches the lake", meta)
        else:
            out[day] = CheckOutcome(False, f"{label} {day}: mart={v['mart']} lake={v['lake']}", meta)
    return out


_KPI_LAKE_KEY = "(count(*), sum(tokens_input), sum(tokens_output), round(sum(cost_usd), 6))::VARCHAR"
_KPI_MART_KEY = "(sum(event_count), sum(tokens_input), sum(tokens_output), round(sum(cost_usd), 6))::VARCHAR"


def kpis_match_lake_days(con: duckdb.DuckDBPyConnection, days: list[str]) -> dict[str, CheckOutcome]:
    """Per day: events, tokens in/out and cost in ``governance_kpis`` equal the lake's."""
    return _compare_days(
        con,
        f"SELECT date, {_KPI_MART_KEY} AS n FROM governance_kpis GROUP BY date",
        f"SELECT date, {_KPI_LAKE_KEY} AS n FROM lake_events GROUP BY date",
        "governance_kpis sums",
        days,
    )


def ocsf_match_lake_days(con: duckdb.DuckDBPyConnection, days: list[str]) -> dict[str, CheckOutcome]:
    """Per day: one OCSF row per lake event."""
    return _compare_days(
        con,
        "SELECT date, count(*)::VARCHAR AS n FROM governance_ocsf_events GROUP BY date",
        "SELECT date, count(*)::VARCHAR AS n FROM lake_events GROUP BY date",
        "governance_ocsf_events rows",
        days,
    )


def unique_keys(con: duckdb.DuckDBPyConnection, table: str, keys: tuple[str, ...]) -> CheckOutcome:
    if not _table_exists(con, table):
        return CheckOutcome(False, f"{table} does not exist yet")
    cols = ", ".join(keys)
    dupes = con.execute(f"SELECT {cols}, count(*) FROM {table} GROUP BY ALL HAVING count(*) > 1 LIMIT 10").fetchall()
    if dupes:
        return CheckOutcome(False, f"{table}: duplicate ({cols})", {"examples": [str(d) for d in dupes]})
    return CheckOutcome(True, f"{table}: ({cols}) is unique")


def ocsf_sample_valid(con: duckdb.DuckDBPyConnection, sample: int = 500) -> CheckOutcome:
    """A structural OCSF 1.8.0 check of a random sample (the full schema validator is a test tool)."""
    if not _table_exists(con, "governance_ocsf_events"):
        return CheckOutcome(False, "governance_ocsf_events does not exist yet")
    rows = con.execute(
        f"SELECT source_id, source_event_id, ocsf_json FROM governance_ocsf_events USING SAMPLE {int(sample)} ROWS"
    ).fetchall()
    bad = []
    for source_id, event_id, text in rows:
        try:
            problems = structure_problems(orjson.loads(text))
        except orjson.JSONDecodeError as exc:
            problems = [f"not JSON: {exc}"]
        if problems:
            bad.append(f"{source_id}/{event_id}: {'; '.join(problems[:3])}")
    meta = {"sampled": len(rows), "invalid": len(bad), "examples": bad[:10]}
    if bad:
        return CheckOutcome(False, f"{len(bad)} of {len(rows)} sampled OCSF events are invalid", meta)
    return CheckOutcome(True, f"{len(rows)} sampled OCSF events are structurally valid", meta)


def last_events(con: duckdb.DuckDBPyConnection) -> dict[str, datetime | None]:
    return dict(con.execute("SELECT source_id, max(event_timestamp) FROM lake_events GROUP BY source_id").fetchall())


def sources_fresh(
    last: Mapping[str, datetime | None], source_ids: list[str], now: datetime, max_age: timedelta
) -> CheckOutcome:
    """Every source has an event newer than ``max_age``."""
    stale = {}
    for sid in source_ids:
        ts = last.get(sid)
        if ts is None:
            stale[sid] = "no events"
        elif now - ts > max_age:
            stale[sid] = f"last event {ts.isoformat()}"
    meta = {sid: (ts.isoformat() if (ts := last.get(sid)) else "none") for sid in source_ids}
    if stale:
        return CheckOutcome(
            False, f"{len(stale)} stale source(s): " + ", ".join(f"{k} ({v})" for k, v in stale.items()), meta
        )
    return CheckOutcome(True, f"all {len(source_ids)} sources have events within {max_age}", meta)
