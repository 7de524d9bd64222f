"""Events without a timestamp: a re-read on a later day never stores them again, a backfill never deletes them.

The rule (``lake/undated.py``): such an event takes the ingest time of its first sighting, recorded per source
and id before the event is written; every later read of the same id takes that recorded time, so it lands in
the same date partition, where the writer's per-partition dedup (and a backfill's replacement) find it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import yaml

from governance_pipeline.ingest import run_pull
from governance_pipeline.pull_types import Runtime, Window
from governance_pipeline.sources_file import parse_sources

DAY1 = datetime(2026, 10, 1, 9, 30, tzinfo=UTC)
DAY2 = datetime(2026, 10, 2, 14, 0, tzinfo=UTC)
DAY3 = datetime(2026, 10, 3, 8, 0, tzinfo=UTC)


def _source(inbox: Path):
    doc = {
        "sources": [
            {
                "id": "undated",
                "type": "local_ndjson",
                "startDate": "2026-09-01",
                "config": {
                    "path": str(inbox),
                    "eventMapping": {"source_event_id": "$.id", "event_timestamp": "$.ts", "actor": "$.user"},
                },
            }
        ]
    }
    return parse_sources(yaml.safe_dump(doc)).sources[0]


def _write(inbox: Path, name: str, records: list[dict]) -> None:
    inbox.mkdir(exist_ok=True)
    (inbox / name).write_text("".join(json.dumps(r) + "\n" for r in records))


def _rows(lake: Path) -> list[tuple]:
    if not list(lake.glob("events/**/*.parquet")):
        return []
    return duckdb.sql(
        f"SELECT source_event_id, CAST(date AS VARCHAR), event_timestamp "
        f"FROM read_parquet('{lake}/events/**/*.parquet', hive_partitioning=true) ORDER BY ALL"
    ).fetchall()


RECORDS = [
    {"id": "dated", "ts": "2026-10-01T08:00:00Z", "user": "a@example.com"},
    {"id": "undated-1", "user": "b@example.com"},
    {"id": "undated-2", "user": "c@example.com"},
]


def test_a_re_read_on_a_later_day_stores_an_undated_event_once(tmp_path):
    inbox, lake = tmp_path / "inbox", tmp_path / "lake"
    _write(inbox, "a.ndjson", RECORDS)
    source = _source(inbox)
    runtime = Runtime(credentials=lambda ref: {}, lake_root=str(lake))
    first = run_pull(source, runtime, None, ingested_at=DAY1)
    assert first.new == 3
    again = run_pull(source, runtime, None, ingested_at=DAY2)  # the same file read again, a day later
    assert (again.new, again.duplicates) == (0, 3)
    assert _rows(lake) == [
        ("dated", "2026-10-01", datetime(2026, 10, 1, 8, 0, tzinfo=UTC)),
        ("undated-1", "2026-10-01", DAY1),  # the time of the first sighting, kept
        ("undated-2", "2026-10-01", DAY1),
    ]


def test_a_backfill_of_its_day_keeps_an_undated_event(tmp_path):
    inbox, lake = tmp_path / "inbox", tmp_path / "lake"
    _write(inbox, "a.ndjson", RECORDS)
    source = _source(inbox)
    runtime = Runtime(credentials=lambda ref: {}, lake_root=str(lake))
    run_pull(source, runtime, None, ingested_at=DAY1)
    window = Window(datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 10, 2, tzinfo=UTC))
    backfill = run_pull(source, runtime, None, window, ingested_at=DAY3)
    assert backfill.rows_by_date == {"2026-10-01": 3}
    assert [r[:2] for r in _rows(lake)] == [
        ("dated", "2026-10-01"),
        ("undated-1", "2026-10-01"),
        ("undated-2", "2026-10-01"),
    ]


def test_a_backfill_keeps_undated_events_the_re_read_no_longer_returns(tmp_path):
    """A backfill cannot ask a source for an undated event by time, so it never deletes one."""
    inbox, lake = tmp_path / "inbox", tmp_path / "lake"
    _write(inbox, "a.ndjson", RECORDS)
    source = _source(inbox)
    runtime = Runtime(credentials=lambda ref: {}, lake_root=str(lake))
    run_pull(source, runtime, None, ingested_at=DAY1)
    _write(inbox, "a.ndjson", [RECORDS[0]])  # the source now returns only the dated event
    window = Window(datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 10, 2, tzinfo=UTC))
    run_pull(source, runtime, None, window, ingested_at=DAY3)
    assert [r[0] for r in _rows(lake)] == ["dated", "undated-1", "undated-2"]


def test_an_undated_event_first_seen_by_a_backfill_is_dated_once(tmp_path):
    inbox, lake = tmp_path / "inbox", tmp_path / "lake"
    _write(inbox, "a.ndjson", [{"id": "late", "user": "d@example.com"}])
    source = _source(inbox)
    runtime = Runtime(credentials=lambda ref: {}, lake_root=str(lake))
    window = Window(datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 10, 2, tzinfo=UTC))
    run_pull(source, runtime, None, window, ingested_at=DAY2)  # outside the window: not written by it
    assert _rows(lake) == []
    run_pull(source, runtime, None, ingested_at=DAY3)  # the incremental pull writes it at its first sighting
    run_pull(source, runtime, None, ingested_at=DAY3.replace(day=4))
    assert _rows(lake) == [("late", "2026-10-02", DAY2)]


def test_undated_events_stored_before_the_record_existed_are_not_stored_again(tmp_path):
    """Rows the old writer dated with their ingest time (``event_timestamp == ingested_at``) are found and
    recorded once, so their next re-read dedups against them."""
    import pyarrow as pa

    from governance_pipeline.lake.schema import TS
    from governance_pipeline.lake.store import LakeStore
    from governance_pipeline.lake.writer import LakeWriter

    inbox, lake = tmp_path / "inbox", tmp_path / "lake"
    legacy = LakeWriter(LakeStore(str(lake)), "undated", "local_ndjson", ingested_at=DAY1)
    legacy.write(pa.table({"source_event_id": ["undated-1", "undated-2"], "event_timestamp": pa.array([DAY1] * 2, TS)}))
    legacy.commit()
    _write(inbox, "a.ndjson", RECORDS)
    runtime = Runtime(credentials=lambda ref: {}, lake_root=str(lake))
    again = run_pull(_source(inbox), runtime, None, ingested_at=DAY2)
    assert (again.new, again.duplicates) == (1, 2)  # only the dated event is new
    assert [r[:2] for r in _rows(lake)] == [
        ("dated", "2026-10-01"),
        ("undated-1", "2026-10-01"),
        ("undated-2", "2026-10-01"),
    ]


def test_the_record_is_merged_into_one_file_as_it_grows_and_keeps_every_first_time(tmp_path):
    import pyarrow as pa

    from governance_pipeline.lake.store import LakeStore
    from governance_pipeline.lake.undated import COMPACT_FILES, UndatedIndex, index_dir

    store = LakeStore(str(tmp_path / "lake"))
    index = UndatedIndex(store, "s", "t1")
    for i in range(COMPACT_FILES + 5):  # one run meeting a new undated event per batch
        when = DAY1.replace(minute=i)
        index.date(
            pa.table({"source_event_id": [f"e{i}", "e0"], "event_timestamp": pa.nulls(2, pa.timestamp("us"))}), when
        )
    assert len(store.list_files(index_dir("s"), ".parquet")) <= 6
    fresh = UndatedIndex(store, "s", "t2")  # a later run reads it back
    out = fresh.date(pa.table({"source_event_id": ["e0", "e7", f"e{COMPACT_FILES + 4}"]}), DAY3)
    assert out.column("event_timestamp").to_pylist() == [
        DAY1.replace(minute=0),  # e0's first sighting, not a later one
        DAY1.replace(minute=7),
        DAY1.replace(minute=COMPACT_FILES + 4),
    ]


def test_undated_events_on_an_s3_lake(tmp_path, monkeypatch):
    from governance_pipeline.lake.store import LakeStore
    from tests.support.moto import moto_server, use_for_lake

    with moto_server() as url:
        use_for_lake(monkeypatch, url, "lake")
        inbox = tmp_path / "inbox"
        _write(inbox, "a.ndjson", RECORDS)
        source = _source(inbox)
        runtime = Runtime(credentials=lambda ref: {}, lake_root="s3://lake/gov")
        assert run_pull(source, runtime, None, ingested_at=DAY1).new == 3
        again = run_pull(source, runtime, None, ingested_at=DAY2)
        assert (again.new, again.duplicates) == (0, 3)
        window = Window(datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 10, 2, tzinfo=UTC))
        assert run_pull(source, runtime, None, window, ingested_at=DAY3).rows_by_date == {"2026-10-01": 3}
        store = LakeStore("s3://lake/gov")
        assert len(store.list_files("events/source_id=undated/date=2026-10-01", ".parquet")) >= 1
        assert store.list_files("events/source_id=undated/date=2026-10-02", ".parquet") == []
