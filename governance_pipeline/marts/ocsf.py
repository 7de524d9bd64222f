"""Build ``governance_ocsf_events``: one OCSF 1.8.0 API Activity event per lake event, in one SQL statement."""

from __future__ import annotations

from governance_pipeline.marts.kpis import CREATE_TABLES, VIEWS, date_filter
from governance_pipeline.marts.ocsf_mapping import CATEGORY_UID, CLASS_UID, activity_case, ocsf_json_sql

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

ACTIVITIES = f"""
CREATE OR REPLACE TEMP TABLE ocsf_activities AS
SELECT action, {activity_case('action')} AS activity_id
FROM (SELECT DISTINCT action FROM lake_events {{where}}) WHERE action IS NOT NULL
"""

INSERT = f"""
INSERT INTO governance_ocsf_events
WITH rows AS (
    SELECT l.*,
           coalesce(a.activity_id, 99)                                              AS activity_id,
           coalesce(l.status = 'error', false) OR l.error_type IS NOT NULL           AS is_error,
           aa.key IS NOT NULL OR sa.key IS NOT NULL                                  AS is_anomaly,
           CASE WHEN is_error THEN 2 WHEN l.status = 'ok' THEN 1 ELSE 0 END          AS status_id,
           CASE WHEN is_error AND is_anomaly THEN 4 WHEN is_error OR is_anomaly THEN 3 ELSE 1 END AS severity_id,
           epoch_ms(l.event_timestamp)                                               AS time
    FROM lake_events l
    LEFT JOIN ocsf_activities a ON a.action = l.action
    LEFT JOIN (SELECT date, key FROM ocsf_anomalies WHERE scope = 'actor') aa ON aa.date = l.date AND aa.key = l.actor
    LEFT JOIN (SELECT date, key FROM ocsf_anomalies WHERE scope = 'source') sa
           ON sa.date = l.date AND sa.key = l.source_id
    /*WHERE*/
)
SELECT {CLASS_UID}, {CATEGORY_UID}, activity_id, {CLASS_UID * 100} + activity_id, severity_id, time,
       source_id, source_event_id, date, {ocsf_json_sql()}
FROM rows
"""


def build_ocsf(con, dates: list[str] | None) -> int:
    """Replace the given dates (None: all) of ``governance_ocsf_events`` from ``lake_events``; rows written."""
    con.execute(CREATE_TABLE)
    con.execute(CREATE_TABLES)
    con.execute(VIEWS)
    where = date_filter(dates)
    con.execute(ANOMALY_KEYS.format(where=where, conj="AND" if where else "WHERE"))
    con.execute(ACTIVITIES.format(where=where))
    con.execute("BEGIN")
    con.execute(f"DELETE FROM governance_ocsf_events {where}")
    con.execute(INSERT.replace("/*WHERE*/", date_filter(dates, "l.date")))
    written = con.execute(f"SELECT count(*) FROM governance_ocsf_events {where}").fetchone()[0]
    con.execute("COMMIT")
    con.execute("DROP TABLE ocsf_anomalies; DROP TABLE ocsf_activities")
    return written
