"""What the governance report shows, queried from the marts (read-only connection)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from governance_pipeline.marts.query import scalar


@dataclass
class ReportData:
    generated_at: datetime
    totals: dict[str, Any] = field(default_factory=dict)
    daily: list[tuple[Any, ...]] = field(default_factory=list)  # (date, cost_usd, events, errors)
    top_users: list[tuple[Any, ...]] = field(default_factory=list)  # (actor, cost, tokens in, tokens out, events)
    top_models: list[tuple[Any, ...]] = field(
        default_factory=list
    )  # (model, provider, cost, tokens in, tokens out, events)
    latency: list[tuple[Any, ...]] = field(default_factory=list)  # (source_id, model, p50, p95, events with duration)
    anomalies: list[tuple[Any, ...]] = field(default_factory=list)  # (scope, key, date, cost, trailing mean)
    unpriced: list[tuple[Any, ...]] = field(default_factory=list)  # (source_id, model, events, tokens)


def _exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(scalar(con, "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]) > 0)


def report_data(con: duckdb.DuckDBPyConnection, generated_at: datetime, days: int = 90, top: int = 10) -> ReportData:
    data = ReportData(generated_at)
    if not _exists(con, "governance_source_daily"):
        return data
    t = (
        con.execute("""SELECT coalesce(sum(event_count), 0), coalesce(sum(cost_usd), 0), coalesce(sum(tokens_input), 0),
                              coalesce(sum(tokens_output), 0), coalesce(sum(error_count), 0), count(DISTINCT source_id),
                              min(date), max(date), coalesce(sum(tokens_cache_read), 0),
                              coalesce(sum(unpriced_event_count), 0), coalesce(sum(unpriced_tokens), 0),
                              coalesce(sum(redacted_event_count), 0)
                       FROM governance_source_daily""").fetchone()
        or ()
    )
    users = scalar(con, "SELECT count(DISTINCT actor) FROM governance_kpis WHERE actor IS NOT NULL")
    data.totals = dict(
        zip(
            (
                *("events", "cost_usd", "tokens_input", "tokens_output", "errors", "sources", "first_date"),
                *("last_date", "tokens_cache_read", "unpriced_events", "unpriced_tokens", "redacted_events"),
            ),
            t,
        ),
        users=users,
    )
    data.daily = con.execute(
        """
        SELECT date, sum(cost_usd), sum(event_count), sum(error_count) FROM governance_source_daily
        WHERE date > (SELECT max(date) FROM governance_source_daily) - ?::INTEGER GROUP BY date ORDER BY date""",
        [days],
    ).fetchall()
    data.top_users = con.execute(f"""SELECT actor, cost_usd, tokens_input, tokens_output, event_count
                                     FROM governance_top_users ORDER BY spend_rank, actor LIMIT {top}""").fetchall()
    data.top_models = con.execute(f"""SELECT model, provider, cost_usd, tokens_input, tokens_output, event_count
                                      FROM governance_top_models ORDER BY spend_rank, model LIMIT {top}""").fetchall()
    data.latency = con.execute(f"""
        SELECT source_id, coalesce(model, '(none)'), quantile_cont(duration_p50_ms, 0.5), max(duration_p95_ms),
               sum(events_with_duration)
        FROM governance_spend_daily WHERE events_with_duration > 0
        GROUP BY ALL ORDER BY 5 DESC LIMIT {top}""").fetchall()
    data.anomalies = con.execute(f"""
        SELECT scope, key, date, cost_usd, trailing_mean_usd FROM governance_spend_anomalies
        WHERE is_anomaly ORDER BY date DESC, cost_usd DESC LIMIT {top}""").fetchall()
    data.unpriced = con.execute(f"""
        SELECT source_id, coalesce(model, '(no model)'), sum(unpriced_event_count), sum(unpriced_tokens)
        FROM governance_spend_daily WHERE unpriced_event_count > 0
        GROUP BY ALL ORDER BY 4 DESC, 1, 2 LIMIT {top}""").fetchall()
    data.unpriced = con.execute(f"""
        SELECT source_id, coalesce(model, '(no model)'), sum(unpriced_event_count), sum(unpriced_tokens)
        FROM governance_spend_daily WHERE unpriced_event_count > 0
        GROUP BY ALL ORDER BY 4 DESC, 1, 2 LIMIT {top}""").fetchall()
    return data
