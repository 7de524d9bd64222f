"""The lake invariant: each (source_id, source_event_id) exactly once, whatever crashes and re-pulls happen."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

import duckdb
import pyarrow as pa
import pytest

from governance_pipeline.ingest import run_pull
from governance_pipeline.lake import paths
from governance_pipeline.lake.schema import EVENT_SCHEMA
from governance_pipeline.lake.store import LakeStore
from governance_pipeline.lake.writer import LakeWriter, recover
from governance_pipeline.pull_types import Runtime, Window
from governance_pipeline.sources_file import parse_sources
from tests.conftest import NDJSON_MAPPING, copy_fixture


def lake_rows(lake) -> list[tuple]:
    return duckdb.sql(
        f"select source_id, source_event_id, date from read_parquet('{lake}/events/**/*.parquet', hive_partitioning=true)"
    ).fetchall()


def events(ids, day="2026-10-01", **extra):
    n = len(ids)
    cols = {
        "source_event_id": pa.array([str(i) for i in ids]),
        "event_timestamp": pa.array(
            [datetime.fromisoformat(f"{day}T12:00:00+00:00")] * n, pa.timestamp("us", tz="UTC")
        ),
        "actor": pa.array([extra.get("actor", "a@example.com")] * n),
    }
    return pa.table(cols)


def test_files_have_the_contract_schema_and_hive_layout(tmp_path):
    w = LakeWriter(LakeStore(str(tmp_path)), "src", "local_ndjson")
    w.write(events([1, 2]))
    w.commit()
    (f,) = LakeStore(str(tmp_path)).list_files("events", ".parquet")
    assert f.startswith("events/source_id=src/date=2026-10-01/part-")
    import pyarrow.parquet as pq

    schema = pq.read_schema(tmp_path / f)
    assert schema.equals(EVENT_SCHEMA, check_metadata=False)
    row = pq.read_table(tmp_path / f).to_pylist()[0]
    assert row["cost_usd"] == 0.0 and row["tokens_input"] == 0 and row["event_type"] == "agent.action"
    assert row["source_type"] == "local_ndjson" and row["cost_source"] == "none"


def test_append_drops_ids_already_in_the_partition_or_the_batch(tmp_path):
    store = LakeStore(str(tmp_path))
    w = LakeWriter(store, "src", "t")
    w.write(events([1, 2, 2, 3]))
    stats = w.commit()
    assert (stats.new, stats.duplicates) == (3, 1)
    w = LakeWriter(store, "src", "t")
    w.write(events([3, 4]))
    stats = w.commit()
    assert (stats.new, stats.duplicates) == (1, 1)
    assert sorted(r[1] for r in lake_rows(tmp_path)) == ["1", "2", "3", "4"]


def test_upsert_replaces_earlier_versions(tmp_path):
    store = LakeStore(str(tmp_path))
    w = LakeWriter(store, "src", "t", mode="upsert")
    w.write(events([1, 2], actor="old"))
    w.commit()
    w = LakeWriter(store, "src", "t", mode="upsert")
    w.write(events([2, 3], actor="new"))
    stats = w.commit()
    assert (stats.new, stats.replaced) == (1, 1)
    got = dict(
        duckdb.sql(f"select source_event_id, actor from read_parquet('{tmp_path}/events/**/*.parquet')").fetchall()
    )
    assert got == {"1": "old", "2": "new", "3": "new"}


def test_replace_swaps_a_window_and_leaves_other_days(tmp_path):
    store = LakeStore(str(tmp_path))
    w = LakeWriter(store, "src", "t")
    w.write(events([1, 2], day="2026-10-01"))
    w.write(events([3], day="2026-10-02"))
    w.write(events([9], day="2026-10-05"))
    w.commit()
    w = LakeWriter(store, "src", "t", mode="replace", replace_dates=["2026-10-01", "2026-10-02"])
    w.write(events([1, 5], day="2026-10-01"))  # 2 vanished at the source, 5 is new; 10-02 is now empty
    stats = w.commit()
    assert stats.deleted_rows == 3
    assert sorted(r[1] for r in lake_rows(tmp_path)) == ["1", "5", "9"]


def test_crash_mid_switch_is_rolled_forward_by_the_next_writer(tmp_path):
    store = LakeStore(str(tmp_path))
    w = LakeWriter(store, "src", "t")
    w.write(events([1, 2]))
    w.commit()
    old = store.list_files("events", ".parquet")
    # A backfill staged its files and wrote its journal, then died before moving anything.
    staged = f"{paths.staging_dir('src', 'T1')}/date=2026-10-01/part-T1-0001.parquet"
    store.write_parquet(staged, _conformed(events([1, 2, 3])))
    final = f"{paths.partition_dir('src', '2026-10-01')}/part-T1-0001.parquet"
    store.write_bytes(
        f"{paths.journal_dir('src')}/T1.json", json.dumps({"moves": [[staged, final]], "deletes": old}).encode()
    )
    assert recover(store, "src") == 1
    assert sorted(r[1] for r in lake_rows(tmp_path)) == ["1", "2", "3"]
    assert store.list_files("_journal") == [] and store.list_files("_staging") == []


def test_partial_files_are_invisible_to_readers(tmp_path):
    part = tmp_path / "events/source_id=src/date=2026-10-01"
    part.mkdir(parents=True)
    (part / ".part-x.parquet.1234.partial").write_bytes(b"PAR1 half a file")
    w = LakeWriter(LakeStore(str(tmp_path)), "src", "t")
    w.write(events([1]))
    w.commit()
    assert len(lake_rows(tmp_path)) == 1


def test_a_file_that_fails_to_encode_leaves_nothing_behind(tmp_path):
    """Parquet goes straight to a temporary file beside its final name; a failure removes it."""
    store = LakeStore(str(tmp_path))
    bad = pa.table({"a": pa.array([pa.MonthDayNano([1, 2, 3])], pa.month_day_nano_interval())})
    with pytest.raises(pa.ArrowNotImplementedError):
        store.write_parquet("events/source_id=src/date=2026-10-01/part-1.parquet", bad)
    assert list((tmp_path / "events/source_id=src/date=2026-10-01").iterdir()) == []
    store.write_parquet("events/source_id=src/date=2026-10-01/part-1.parquet", pa.table({"a": [1, 2]}))
    assert [p.name for p in (tmp_path / "events/source_id=src/date=2026-10-01").iterdir()] == ["part-1.parquet"]
    assert store.read_table(["events/source_id=src/date=2026-10-01/part-1.parquet"]).column("a").to_pylist() == [1, 2]


def _conformed(table):
    from governance_pipeline.lake.conform import conform

    return conform(table, "t", datetime.now(UTC))


@pytest.fixture
def ndjson_file_source(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    sf = parse_sources(
        f"sources:\n  - id: files\n    type: local_ndjson\n    startDate: '2026-09-01'\n    config:\n      path: {inbox}\n{NDJSON_MAPPING}"
    )
    return inbox, sf.sources[0], Runtime(credentials=lambda r: {}, lake_root=str(tmp_path / "lake"))


def test_crash_between_lake_write_and_cursor_commit_keeps_exactly_once(ndjson_file_source):
    inbox, source, runtime = ndjson_file_source
    copy_fixture("ndjson/sample.ndjson", inbox / "a.ndjson")
    first = run_pull(source, runtime, cursor=None)
    assert (first.new, first.cursor) == (10, "a.ndjson")
    # The process dies before the cursor is committed: the next run starts from the old (None) cursor.
    copy_fixture("ndjson/sample_bad.ndjson", inbox / "b.ndjson")
    second = run_pull(source, runtime, cursor=None)
    assert (second.events, second.new, second.errors) == (20, 0, 1)
    rows = lake_rows(runtime.lake_root)
    assert len(rows) == len({r[1] for r in rows}) == 10
    quarantined = LakeStore(runtime.lake_root).list_files("quarantine", ".ndjson")
    record = json.loads(LakeStore(runtime.lake_root).read_bytes(quarantined[0]).splitlines()[0])
    assert record["line"] == 4 and record["file"].endswith("b.ndjson") and record["error"]


def test_backfill_window_keeps_only_its_dates(ndjson_file_source):
    inbox, source, runtime = ndjson_file_source
    copy_fixture("audit_http/page2.json", inbox / "unused.json")  # not matched by the glob
    lines = [
        json.dumps({"id": f"e{i}", "created_at": f"2026-10-0{d}T08:00:00Z", "user": {"email": "a@example.com"}})
        for i, d in enumerate([1, 2, 3, 3])
    ]
    (inbox / "x.ndjson").write_text("\n".join(lines))
    run_pull(source, runtime, cursor=None)
    out = run_pull(
        source,
        runtime,
        cursor=None,
        window=Window.for_dates(datetime(2026, 10, 3).date(), datetime(2026, 10, 3).date()),
    )
    assert out.mode == "replace" and out.rows_by_date == {"2026-10-03": 2} and out.cursor is None
    assert sorted(r[1] for r in lake_rows(runtime.lake_root)) == ["e0", "e1", "e2", "e3"]


def test_a_batch_spanning_dates_in_any_order_lands_in_each_partition_in_order(tmp_path):
    days = ["2026-10-02", "2026-10-01", "2026-10-02", "2026-10-03", "2026-10-01"]
    ts = [datetime.fromisoformat(f"{d}T12:00:00+00:00") for d in days]
    table = pa.table(
        {"source_event_id": [f"e{i}" for i in range(5)], "event_timestamp": pa.array(ts, pa.timestamp("us", tz="UTC"))}
    )
    w = LakeWriter(LakeStore(str(tmp_path)), "src", "t")
    w.write(table)
    stats = w.commit()
    assert dict(stats.rows_by_date) == {"2026-10-01": 2, "2026-10-02": 2, "2026-10-03": 1}
    got = duckdb.sql(
        f"select date::varchar, list(source_event_id order by file_row_number) from read_parquet('{tmp_path}/events/**/*.parquet', "
        "hive_partitioning=true, file_row_number=true) group by all order by 1"
    ).fetchall()
    assert got == [("2026-10-01", ["e1", "e4"]), ("2026-10-02", ["e0", "e2"]), ("2026-10-03", ["e3"])]


def test_a_batch_mixing_new_ids_known_ids_and_repeats_keeps_each_new_id_once(tmp_path):
    store = LakeStore(str(tmp_path))
    w = LakeWriter(store, "src", "t")
    w.write(events([1, 2]))
    w.write(events([5, 2, 6, 5, 1, 7]))
    stats = w.commit()
    assert (stats.new, stats.duplicates) == (5, 3)
    assert sorted(r[1] for r in lake_rows(tmp_path)) == ["1", "2", "5", "6", "7"]


def test_a_failed_background_file_write_fails_the_commit(tmp_path, monkeypatch):
    store = LakeStore(str(tmp_path))

    def broken(rel, table):
        raise OSError("disk full")

    monkeypatch.setattr(store, "write_parquet", broken)
    w = LakeWriter(store, "src", "t")
    w.write(events([1, 2]))
    with pytest.raises(OSError, match="disk full"):
        w.commit()


def test_a_file_encoded_at_commit_on_the_runs_thread_fails_the_commit_and_stops_the_writer(tmp_path, monkeypatch):
    """At commit the run's thread encodes every other buffered date itself: its failure is the commit's too."""
    store = LakeStore(str(tmp_path))
    real = store.write_parquet
    written = []

    def broken_for_the_second_date(rel, table):
        if "date=2026-10-02" in rel:
            raise OSError("disk full")
        real(rel, table)
        written.append(rel)

    monkeypatch.setattr(store, "write_parquet", broken_for_the_second_date)
    w = LakeWriter(store, "src", "t")
    w.write(events([1, 2], day="2026-10-01"))
    w.write(events([3], day="2026-10-02"))
    with pytest.raises(OSError, match="disk full"):
        w.commit()
    assert not [t for t in threading.enumerate() if t.name.startswith("lake-writer-src")]
    assert [r.split("/")[2] for r in written] == ["date=2026-10-01"]  # complete files only: a re-pull dedups them
