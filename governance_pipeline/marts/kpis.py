"""SQL of the KPI tables and views, all rebuilt per event date from the relation ``lake_events``.

Tables (keys in brackets; every one has a ``date`` column so a day can be replaced alone):
- ``governance_kpis`` [date, source_id, actor, target]: the contract table; sums equal the lake's.
- ``governance_source_daily`` [date, source_id]: per source and day, with distinct actors and latency.
- ``governance_spend_daily`` [date, source_id, actor, model, provider]: spend and tokens by user and model.
Views: ``governance_top_users``, ``governance_top_models``, ``governance_spend_anomalies``.
"""

from __future__ import annotations

import duckdb

from governance_pipeline.marts.query import scalar

ANOMALY_K = 3.0
"""A day is anomalous when its spend exceeds ``ANOMALY_K`` x the mean of the 7 preceding calendar days (days
without events count as 0), judged only once the actor or source has 7 days of history."""

ADDED_COLUMNS = (
    "tokens_cache_read",
    "tokens_cache_write",
    "tokens_reasoning",
    "unpriced_event_count",
    "unpriced_tokens",
    "redacted_event_count",
)
"""Measures added after the tables first shipped: ``build_kpis`` adds them to tables an older build made.
Cache and reasoning tokens are parts of ``tokens_input`` / ``tokens_output`` (docs/costs.md); unpriced events
are those with tokens no price is known for (``cost_source = 'unpriced'``), whose cost counts as 0."""

_ERROR = "(status = 'error' OR error_type IS NOT NULL)"
_SUMS = (
    "event_count",
    "tokens_input",
    "tokens_output",
    "cost_usd",
    "cost_given_usd",
    "cost_computed_usd",
    "error_count",
    "events_with_duration",
    *ADDED_COLUMNS,
)
_MEASURES = ", ".join(
    [f"sum({m})::{'DOUBLE' if 'cost' in m else 'BIGINT'} AS {m}" for m in _SUMS]
    + ["min(first_event_at) AS first_event_at", "max(last_event_at) AS last_event_at"]
)


CREATE_TABLES = """
CREATE TABLE IF NOT EXISTS governance_source_daily (
    date DATE NOT NULL, source_id VARCHAR NOT NULL, source_type VARCHAR,
    event_count BIGINT, tokens_input BIGINT, tokens_output BIGINT, cost_usd DOUBLE,
    cost_given_usd DOUBLE, cost_computed_usd DOUBLE, error_count BIGINT, events_with_duration BIGINT,
    tokens_cache_read BIGINT, tokens_cache_write BIGINT, tokens_reasoning BIGINT, unpriced_event_count BIGINT,
    unpriced_tokens BIGINT, redacted_event_count BIGINT,
    duration_p50_ms DOUBLE, duration_p95_ms DOUBLE, first_event_at TIMESTAMPTZ, last_event_at TIMESTAMPTZ,
    distinct_actors BIGINT, built_at TIMESTAMPTZ);
CREATE TABLE IF NOT EXISTS governance_kpis (
    date DATE NOT NULL, source_id VARCHAR NOT NULL, actor VARCHAR, target VARCHAR, source_type VARCHAR,
    event_count BIGINT, tokens_input BIGINT, tokens_output BIGINT, cost_usd DOUBLE,
    cost_given_usd DOUBLE, cost_computed_usd DOUBLE, error_count BIGINT, events_with_duration BIGINT,
    tokens_cache_read BIGINT, tokens_cache_write BIGINT, tokens_reasoning BIGINT, unpriced_event_count BIGINT,
    unpriced_tokens BIGINT, redacted_event_count BIGINT,
    first_event_at TIMESTAMPTZ, last_event_at TIMESTAMPTZ, distinct_actors_day_source BIGINT, built_at TIMESTAMPTZ);
CREATE TABLE IF NOT EXISTS governance_spend_daily (
    date DATE NOT NULL, source_id VARCHAR NOT NULL, actor VARCHAR, model VARCHAR, provider VARCHAR,
    event_count BIGINT, tokens_input BIGINT, tokens_output BIGINT, cost_usd DOUBLE,
    cost_given_usd DOUBLE, cost_computed_usd DOUBLE, error_count BIGINT, events_with_duration BIGINT,
    tokens_cache_read BIGINT, tokens_cache_write BIGINT, tokens_reasoning BIGINT, unpriced_event_count BIGINT,
    unpriced_tokens BIGINT, redacted_event_count BIGINT,
    duration_p50_ms DOUBLE, duration_p95_ms DOUBLE, first_event_at TIMESTAMPTZ, last_event_at TIMESTAMPTZ,
    built_at TIMESTAMPTZ);
"""

KPI_TABLES = ("governance_source_daily", "governance_kpis", "governance_spend_daily")

# One pass over the lake at the finest grain any table needs; the tables are roll-ups of it (sums, min/max
# and distinct actors roll up exactly). Percentiles do not, so they come from a pass over the timed events only.
FINE = f"""
CREATE OR REPLACE TEMP TABLE kpi_fine AS
SELECT date, source_id, source_type, actor, target, model, provider,
       count(*)                                                           AS event_count,
       sum(tokens_input)                                                  AS tokens_input,
       sum(tokens_output)                                                 AS tokens_output,
       sum(cost_usd)                                                      AS cost_usd,
       coalesce(sum(cost_usd) FILTER (WHERE cost_source = 'given'), 0)    AS cost_given_usd,
       coalesce(sum(cost_usd) FILTER (WHERE cost_source = 'computed'), 0) AS cost_computed_usd,
       count(*) FILTER (WHERE {_ERROR})                                   AS error_count,
       count(duration_ms)                                                 AS events_with_duration,
       coalesce(sum(tokens_cache_read), 0)                                AS tokens_cache_read,
       coalesce(sum(tokens_cache_write), 0)                               AS tokens_cache_write,
       coalesce(sum(tokens_reasoning), 0)                                 AS tokens_reasoning,
       count(*) FILTER (WHERE cost_source = 'unpriced')                   AS unpriced_event_count,
       coalesce(sum(tokens_input + tokens_output) FILTER (WHERE cost_source = 'unpriced'), 0) AS unpriced_tokens,
       count(redacted)                                                    AS redacted_event_count,
       min(event_timestamp)                                               AS first_event_at,
       max(event_timestamp)                                               AS last_event_at
FROM lake_events /*WHERE*/
GROUP BY ALL
"""


def _latency(keys: str) -> str:
    return (
        f"SELECT {keys}, q[1] AS duration_p50_ms, q[2] AS duration_p95_ms FROM ("
        f"SELECT {keys}, quantile_cont(duration_ms, [0.5, 0.95]) AS q FROM lake_events "
        f"/*WHERE*/ /*AND*/ duration_ms IS NOT NULL GROUP BY ALL)"
    )


def _join_on(keys: str) -> str:
    return " AND ".join(f"g.{k} IS NOT DISTINCT FROM t.{k}" for k in keys.split(", "))


INSERT_SOURCE_DAILY = f"""
INSERT INTO governance_source_daily BY NAME
SELECT g.*, t.duration_p50_ms, t.duration_p95_ms, now() AS built_at
FROM (SELECT date, source_id, any_value(source_type) AS source_type, {_MEASURES},
             count(DISTINCT actor) AS distinct_actors
      FROM kpi_fine GROUP BY date, source_id) g
LEFT JOIN ({_latency("date, source_id")}) t ON {_join_on("date, source_id")}
"""

INSERT_KPIS = f"""
INSERT INTO governance_kpis BY NAME
SELECT g.*, s.distinct_actors AS distinct_actors_day_source, now() AS built_at
FROM (SELECT date, source_id, actor, target, any_value(source_type) AS source_type, {_MEASURES}
      FROM kpi_fine GROUP BY date, source_id, actor, target) g
JOIN governance_source_daily s USING (date, source_id)
"""

_SPEND_KEYS = "date, source_id, actor, model, provider"
INSERT_SPEND_DAILY = f"""
INSERT INTO governance_spend_daily BY NAME
SELECT g.*, t.duration_p50_ms, t.duration_p95_ms, now() AS built_at
FROM (SELECT {_SPEND_KEYS}, {_MEASURES} FROM kpi_fine GROUP BY ALL) g
LEFT JOIN ({_latency(_SPEND_KEYS)}) t ON {_join_on(_SPEND_KEYS)}
"""

VIEWS = f"""
CREATE OR REPLACE VIEW governance_top_users AS
SELECT actor, sum(cost_usd) AS cost_usd, sum(tokens_input) AS tokens_input, sum(tokens_output) AS tokens_output,
       sum(tokens_cache_read) AS tokens_cache_read, sum(unpriced_event_count) AS unpriced_event_count,
       sum(event_count) AS event_count, sum(error_count) AS error_count, count(DISTINCT source_id) AS sources,
       min(first_event_at) AS first_event_at, max(last_event_at) AS last_event_at,
       rank() OVER (ORDER BY sum(cost_usd) DESC, sum(event_count) DESC) AS spend_rank
FROM governance_spend_daily WHERE actor IS NOT NULL GROUP BY actor;

CREATE OR REPLACE VIEW governance_top_models AS
SELECT model, any_value(provider) AS provider, sum(cost_usd) AS cost_usd, sum(tokens_input) AS tokens_input,
       sum(tokens_output) AS tokens_output, sum(event_count) AS event_count, sum(error_count) AS error_count,
       sum(tokens_cache_read) AS tokens_cache_read, sum(tokens_cache_write) AS tokens_cache_write,
       sum(tokens_reasoning) AS tokens_reasoning, sum(unpriced_event_count) AS unpriced_event_count,
       count(DISTINCT actor) AS users,
       rank() OVER (ORDER BY sum(cost_usd) DESC, sum(event_count) DESC) AS spend_rank
FROM governance_spend_daily WHERE model IS NOT NULL GROUP BY model;

CREATE OR REPLACE VIEW governance_spend_anomalies AS
WITH daily AS (
    SELECT 'actor' AS scope, actor AS key, date, sum(cost_usd) AS cost_usd
    FROM governance_kpis WHERE actor IS NOT NULL GROUP BY actor, date
    UNION ALL
    SELECT 'source', source_id, date, sum(cost_usd) FROM governance_source_daily GROUP BY source_id, date
), with_mean AS (
    SELECT *, coalesce(sum(cost_usd) OVER w, 0) / 7 AS trailing_mean_usd,
           min(date) OVER (PARTITION BY scope, key) <= date - 7 AS has_history
    FROM daily
    WINDOW w AS (PARTITION BY scope, key ORDER BY date
                 RANGE BETWEEN INTERVAL 7 DAYS PRECEDING AND INTERVAL 1 DAYS PRECEDING)
)
SELECT scope, key, date, cost_usd, trailing_mean_usd, {ANOMALY_K} AS k,
       has_history AND trailing_mean_usd > 0 AND cost_usd > {ANOMALY_K} * trailing_mean_usd AS is_anomaly
FROM with_mean;
"""


def date_filter(dates: list[str] | None, column: str = "date") -> str:
    """``WHERE`` clause for the dates being rebuilt (none: everything)."""
    if dates is None:
        return ""
    if not dates:
        return "WHERE false"
    return f"WHERE {column} IN (" + ", ".join(f"DATE '{d}'" for d in dates) + ")"


def build_kpis(con: duckdb.DuckDBPyConnection, dates: list[str] | None) -> dict[str, int]:
    """Replace the given dates (None: all) of every KPI table from ``lake_events``; rows written per table."""
    con.execute(CREATE_TABLES)
    for table in KPI_TABLES:  # tables an older build made lack the added measures
        for column in ADDED_COLUMNS:
            con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} BIGINT")
    where = date_filter(dates)

    def sql(text: str) -> str:
        return text.replace("/*WHERE*/", where).replace("/*AND*/", "AND" if where else "WHERE")

    con.execute(sql(FINE))
    written = {}
    con.execute("BEGIN")
    for table, insert in zip(KPI_TABLES, (INSERT_SOURCE_DAILY, INSERT_KPIS, INSERT_SPEND_DAILY)):
        con.execute(f"DELETE FROM {table} {where}")
        con.execute(sql(insert))
        written[table] = scalar(con, f"SELECT count(*) FROM {table} {where}")
    con.execute(VIEWS)
    con.execute("COMMIT")
    con.execute("DROP TABLE kpi_fine")
    return written
