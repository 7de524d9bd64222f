"""Files written before the token-detail columns existed stay readable beside new ones (lake/schema.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from governance_pipeline.lake import paths
from governance_pipeline.lake.conform import conform
from governance_pipeline.lake.schema import ADDED_COLUMNS, EVENT_SCHEMA, to_event_schema
from governance_pipeline.lake.store import LakeStore
from governance_pipeline.lake.writer import LakeWriter
from governance_pipeline.marts.lake_scan import governance_events_view_sql, register_lake

OLD_SCHEMA = pa.schema([f for f in EVENT_SCHEMA if f.name not in ADDED_COLUMNS])


def _old_file(root, source_id: str, day: str, ids: list[str]) -> None:
    """A file exactly as the writer made it before the new columns (the old schema, nothing else)."""
    t = pa.table(
        {
            "source_event_id": ids,
            "event_timestamp": [datetime.fromisoformat(f"{day}T08:00:00+00:00")] * len(ids),
            "model": ["gpt-4o"] * len(ids),
            "tokens_input": pa.array([100] * len(ids), pa.int64()),
            "cost_usd": [0.5] * len(ids),
        }
    )
    old = conform(t, "old", datetime.now(UTC)).select(OLD_SCHEMA.names).cast(OLD_SCHEMA)
    path = root / paths.partition_dir(source_id, day) / "part-old-0001.parquet"
    path.parent.mkdir(parents=True)
    pq.write_table(old, path)


def _new_batch(day: str, ids: list[str]) -> pa.Table:
    return pa.table(
        {
            "source_event_id": ids,
            "event_timestamp": [datetime.fromisoformat(f"{day}T09:00:00+00:00")] * len(ids),
            "model": ["claude-sonnet-4-5"] * len(ids),
            "tokens_input": pa.array([1000] * len(ids), pa.int64()),
            "tokens_cache_read": pa.array([600] * len(ids), pa.int64()),
            "tokens_reasoning": pa.array([7] * len(ids), pa.int64()),
            "cost_usd": [0.25] * len(ids),
        }
    )


def test_marts_scan_reads_old_and_new_files_together(tmp_path):
    _old_file(tmp_path, "src", "2026-10-01", ["o1", "o2"])
    w = LakeWriter(LakeStore(str(tmp_path)), "src", "t")
    w.write(_new_batch("2026-10-02", ["n1"]))
    w.commit()
    con = duckdb.connect()
    assert register_lake(con, str(tmp_path)) == 2
    rows = con.sql(
        "select source_event_id, tokens_input, tokens_cache_read, tokens_reasoning, redacted, source_id, "
        "cast(date as varchar) from lake_events order by source_event_id"
    ).fetchall()
    assert rows == [
        ("n1", 1000, 600, 7, None, "src", "2026-10-02"),
        ("o1", 100, None, None, None, "src", "2026-10-01"),
        ("o2", 100, None, None, None, "src", "2026-10-01"),
    ]
    assert [c[0] for c in con.sql("select * from lake_events").description] == [
        *EVENT_SCHEMA.names,
        "source_id",
        "date",
    ]


def test_only_old_files_still_have_the_new_columns(tmp_path):
    _old_file(tmp_path, "src", "2026-10-01", ["o1"])
    con = duckdb.connect()
    register_lake(con, str(tmp_path))
    assert con.sql("select tokens_cache_write, tokens_cache_write_1h from lake_events").fetchall() == [(None, None)]
    con.execute(governance_events_view_sql(str(tmp_path)))
    assert con.sql("select count(*), sum(tokens_cache_read) from governance_events").fetchall() == [(1, None)]


def test_upsert_rewrites_an_old_file_into_the_new_schema(tmp_path):
    _old_file(tmp_path, "src", "2026-10-01", ["o1", "o2"])
    store = LakeStore(str(tmp_path))
    w = LakeWriter(store, "src", "t", mode="upsert")
    w.write(_new_batch("2026-10-01", ["o2"]))
    stats = w.commit()
    assert stats.replaced == 1
    (f,) = store.list_files("events", ".parquet")
    t = pq.read_table(tmp_path / f)
    assert t.schema.equals(EVENT_SCHEMA, check_metadata=False)
    got = {r["source_event_id"]: r["tokens_cache_read"] for r in t.to_pylist()}
    assert got == {"o1": None, "o2": 600}


def test_to_event_schema_fills_missing_columns():
    t = to_event_schema(pa.table({"source_event_id": ["a"], "tokens_input": pa.array([3], pa.int32())}))
    assert t.schema == EVENT_SCHEMA and t.column("tokens_cache_read").to_pylist() == [None]
