"""Build ``governance_ocsf_events``: one OCSF 1.8.0 API Activity event per lake event, in one SQL statement."""

from __future__ import annotations

import duckdb

from governance_pipeline.marts.kpis import CREATE_TABLES, VIEWS, date_filter
from governance_pipeline.marts.ocsf_mapping import (
    CATEGORY_UID,
    CLASS_UID,
    DIM_COLUMNS,
    DIM_KEYS,
    dims_sql,
    ocsf_json_sql,
)
from governance_pipeline.marts.query import scalar

CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS governance_ocsf_events (
    class_uid INTEGER NOT NULL, category_uid INTEGER NOT NULL, activity_id INTEGER NOT NULL,
    type_uid BIGINT NOT NULL, severity_id INTEGER NOT NULL, time BIGINT NOT NULL,
    source_id VARCHAR NOT NULL, source_event_id VARCHAR NOT NULL, date DATE NOT NULL, ocsf_json VARCHAR NOT NULL)
"""

# Anomalous (date, scope, key) for the dates being built; needs the KPI tables and views.
ANOMALY_KEYS = """
CREATE OR REPLACE TEMP TABLE ocsf_anomalies AS
SELECT date, scope, key FROM governance_spend_anomalies {where} {conj} is_anomaly
"""

_DIM_JOIN = " AND ".join(f"d.{k} IS NOT DISTINCT FROM l.{k}" for k in DIM_KEYS)

INSERT = f"""
INSERT INTO governance_ocsf_events
WITH flagged AS (
    SELECT l.*, {", ".join("d." + c for c in DIM_COLUMNS)},
           coalesce(l.status = 'error', false) OR l.error_type IS NOT NULL           AS is_error,
           aa.key IS NOT NULL OR sa.key IS NOT NULL                                  AS is_anomaly
    FROM lake_events l
    JOIN ocsf_dims d ON {_DIM_JOIN}
    LEFT JOIN (SELECT date, key FROM ocsf_anomalies WHERE scope = 'actor') aa ON aa.date = l.date AND aa.key = l.actor
    LEFT JOIN (SELECT date, key FROM ocsf_anomalies WHERE scope = 'source') sa
           ON sa.date = l.date AND sa.key = l.source_id
    /*WHERE*/
), rows AS (
    SELECT *,
           CASE WHEN is_error THEN 2 WHEN status = 'ok' THEN 1 ELSE 0 END            AS status_id,
           CASE WHEN is_error AND is_anomaly THEN 4 WHEN is_error OR is_anomaly THEN 3 ELSE 1 END AS severity_id,
           epoch_ms(event_timestamp)                                                 AS time,
           to_json(source_event_id)                                                  AS j_sei,
           to_json(actor)                                                            AS j_actor
    FROM flagged
)
SELECT {CLASS_UID}, {CATEGORY_UID}, activity_id, {CLASS_UID * 100} + activity_id, severity_id, time,
       source_id, source_event_id, date, {ocsf_json_sql()}
FROM rows
"""


def build_ocsf(con: duckdb.DuckDBPyConnection, dates: list[str] | None) -> int:
    """Replace the given dates (None: all) of ``governance_ocsf_events`` from ``lake_events``; rows written."""
    con.execute(CREATE_TABLE)
    con.execute(CREATE_TABLES)
    con.execute(VIEWS)
    where = date_filter(dates)
    con.execute(ANOMALY_KEYS.format(where=where, conj="AND" if where else "WHERE"))
    con.execute(f"CREATE OR REPLACE TEMP TABLE ocsf_dims AS {dims_sql(where)}")
    # zstd for the JSON text: ~10x smaller than DuckDB's default string compression here, and cheaper to write
    con.execute("SET force_compression = 'zstd'")
    try:
        con.execute("BEGIN")
        con.execute(f"DELETE FROM governance_ocsf_events {where}")
        con.execute(INSERT.replace("/*WHERE*/", date_filter(dates, "l.date")))
        written = scalar(con, f"SELECT count(*) FROM governance_ocsf_events {where}")
        con.execute("COMMIT")
        con.execute("CHECKPOINT")
    finally:
        con.execute("RESET force_compression")
    con.execute("DROP TABLE ocsf_anomalies; DROP TABLE ocsf_dims")
    return int(written)
