"""Retention deletes old partitions and mart rows of sources with retentionDays, and nothing else."""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb
import pyarrow as pa

import dagster as dg
from governance_pipeline.defs.build import build_definitions
from governance_pipeline.lake.store import LakeStore
from governance_pipeline.lake.writer import LakeWriter
from governance_pipeline.retention import apply_retention
from governance_pipeline.sources_file import parse_sources


def _write(lake, sid, days):
    w = LakeWriter(LakeStore(str(lake)), sid, "t")
    for d in days:
        w.write(
            pa.table(
                {
                    "source_event_id": [f"{sid}-{d}"],
                    "event_timestamp": pa.array(
                        [datetime.fromisoformat(f"{d}T10:00:00+00:00")], pa.timestamp("us", tz="UTC")
                    ),
                }
            )
        )
    w.commit()


SOURCES = """
sources:
  - {id: short, type: local_ndjson, retentionDays: 10, config: {path: /x, eventMapping: {}}}
  - {id: forever, type: local_ndjson, config: {path: /x, eventMapping: {}}}
"""


def test_retention_deletes_only_expired_partitions_and_rows(tmp_path):
    days = ["2026-10-01", "2026-10-12", "2026-10-20"]
    _write(tmp_path / "lake", "short", days)
    _write(tmp_path / "lake", "forever", days)
    db = tmp_path / "marts.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create table governance_kpis (date date, source_id varchar, event_count bigint)")
        con.execute(
            "insert into governance_kpis values ('2026-10-01','short',1),('2026-10-20','short',1),('2026-10-01','forever',1)"
        )
    sf = parse_sources(SOURCES)
    report = apply_retention(str(tmp_path / "lake"), db, sf.sources, today=date(2026, 10, 21))
    assert report.partitions_deleted == {"short": ["2026-10-01"]}
    assert report.mart_rows_deleted == {"governance_kpis": 1}
    left = duckdb.sql(
        f"select source_id, date from read_parquet('{tmp_path}/lake/events/**/*.parquet', hive_partitioning=true) order by all"
    ).fetchall()
    assert [(s, str(d)) for s, d in left] == [("forever", d) for d in days] + [
        ("short", "2026-10-12"),
        ("short", "2026-10-20"),
    ]


def test_retention_job_is_scheduled_and_records_what_it_deleted(env, monkeypatch, tmp_path):
    today = datetime.now(UTC).date()
    _write(env / "lake", "short", ["2020-01-01", today.isoformat()])
    defs = build_definitions(parse_sources(SOURCES))
    assert defs.resolve_schedule_def("retention_daily").cron_schedule == "30 3 * * *"
    result = defs.resolve_job_def("retention").execute_in_process(instance=dg.DagsterInstance.get())
    assert result.success
    (mat,) = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
    md = mat.event_specific_data.metadata
    assert md["partitions_deleted"].value == {"short": ["2020-01-01"]}
