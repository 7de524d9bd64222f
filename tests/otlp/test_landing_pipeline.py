"""Landed files -> ``run_pull`` -> lake rows exactly once; the cursor, the sensor, backfills, late files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import orjson
import pytest

from governance_pipeline.ingest import run_pull
from governance_pipeline.lake.store import LakeStore
from governance_pipeline.otlp.json_decode import request_from_json
from governance_pipeline.pull_types import Runtime, Window
from governance_pipeline.receiver import landing
from governance_pipeline.receiver.cursor import WATERMARK_LAG, LandingCursor, prune_landing
from governance_pipeline.sources_file import load_sources
from tests.otlp.conftest import fixture_bytes

NOW = datetime.now(UTC)


def _request(prefix: str, n: int = 4) -> bytes:
    doc = orjson.loads(fixture_bytes("trace_camel.json"))
    spans = doc["resourceSpans"][0]["scopeSpans"][0]["spans"][:n]
    for i, s in enumerate(spans):
        s["spanId"] = f"{prefix}{i:02x}".rjust(16, "0")
    doc["resourceSpans"][0]["scopeSpans"][0]["spans"] = spans
    return request_from_json(doc).SerializeToString()


def _land(lake: str, payload: bytes, at: datetime, writer: str = "w1", seq: int = 1) -> str:
    name = landing.file_name(at, writer, seq)
    LakeStore(lake).write_bytes(landing.file_path("agents", name), payload)
    return name


@pytest.fixture
def pull(sources_file, lake):
    source = load_sources(sources_file).source("agents")
    runtime = Runtime(credentials=lambda ref: {}, lake_root=lake)
    return lambda cursor, window=None: run_pull(source, runtime, cursor, window)


@pytest.fixture
def adapter(sources_file, lake):
    source = load_sources(sources_file).source("agents")
    return source.adapter_cls(source, Runtime(credentials=lambda ref: {}, lake_root=lake))


def lake_ids(lake: str) -> list[str]:
    return [
        r[0]
        for r in duckdb.sql(
            f"select source_event_id from read_parquet('{lake}/events/**/*.parquet', hive_partitioning=true) order by 1"
        ).fetchall()
    ]


def test_landed_requests_reach_the_lake_exactly_once(pull, lake):
    _land(lake, _request("a") + _request("b"), NOW, seq=1)  # a group commit: two requests in one file
    first = pull(None)
    assert (first.events, first.new) == (8, 8)
    _land(lake, _request("c"), NOW, seq=2)
    _land(lake, _request("a"), NOW, seq=3)  # a client retry of an acknowledged request
    second = pull(first.cursor)
    assert (second.events, second.new, second.duplicates) == (8, 4, 4)
    assert pull(second.cursor).events == 0
    ids = lake_ids(lake)
    assert len(ids) == len(set(ids)) == 12


def test_a_crash_before_the_cursor_commit_does_not_double_count(pull, lake):
    _land(lake, _request("a"), NOW)
    pull(None)  # its cursor is "lost": the run crashed before committing it
    retry = pull(None)
    assert (retry.events, retry.new) == (4, 0)
    assert len(lake_ids(lake)) == 4


def test_sensor_poll_requests_a_run_only_for_new_files(adapter, lake):
    idle = adapter.sensor_poll(None)
    assert idle.run_keys == [] and idle.skip_reason
    name = _land(lake, _request("a"), NOW)
    poll = adapter.sensor_poll(None)
    assert poll.run_keys == [f"1:{name}"]
    assert adapter.sensor_poll(poll.cursor).run_keys == []
    later = _land(lake, _request("b"), NOW + timedelta(seconds=1), seq=2)
    assert adapter.sensor_poll(poll.cursor).run_keys == [f"1:{later}"]


def test_a_backfill_rereads_landing_and_keeps_its_window(pull, lake):
    _land(lake, _request("a"), NOW)
    cursor = pull(None).cursor
    outcome = pull(cursor, Window.for_dates(datetime(2026, 10, 1).date(), datetime(2026, 10, 1).date()))
    assert outcome.mode == "replace" and outcome.events == 4 and not outcome.cursor_moved
    assert len(lake_ids(lake)) == 4
    empty = pull(cursor, Window.for_dates(datetime(2026, 9, 1).date(), datetime(2026, 9, 1).date()))
    assert empty.new == 0 and len(lake_ids(lake)) == 4


def test_a_file_that_lands_late_within_the_settle_time_is_still_consumed(pull, lake):
    _land(lake, _request("a"), NOW, writer="w1", seq=1)
    cursor = pull(None).cursor
    _land(lake, _request("b"), NOW - timedelta(minutes=2), writer="w2", seq=1)  # older name, visible later
    assert pull(cursor).new == 4
    assert len(lake_ids(lake)) == 8


def test_a_receiver_clock_behind_the_pullers_loses_nothing(pull, lake):
    behind = NOW - timedelta(hours=3)
    _land(lake, _request("a"), behind, seq=1)
    cursor = pull(None).cursor
    _land(lake, _request("b"), behind + timedelta(seconds=1), seq=2)
    assert pull(cursor).new == 4


def test_the_cursor_stays_small_and_forgets_old_writers():
    names = [
        landing.file_name(NOW - timedelta(hours=3), "old", 1),
        landing.file_name(NOW, "w1", 1),
        landing.file_name(NOW, "w1", 2),
    ]
    cur = LandingCursor().advance(names, sorted(names))
    assert set(cur.writers) == {"w1"} and cur.writers["w1"][0] == 2
    assert cur.before == landing.time_key(NOW - WATERMARK_LAG)
    again = LandingCursor.parse(cur.dump())
    assert again == cur and again.pending(names) == []
    newer = landing.file_name(NOW, "w1", 3)
    assert again.pending(names + [newer]) == [newer]


def test_consumption_is_per_writer_in_sequence_order():
    a2 = landing.file_name(NOW, "aa", 2)
    a1 = landing.file_name(NOW + timedelta(seconds=1), "aa", 1)  # clock stepped back between writes
    b1 = landing.file_name(NOW, "bb", 1)
    cur = LandingCursor(before=landing.time_key(NOW - timedelta(hours=1)))
    pending = cur.pending([a2, a1, b1])
    assert pending == [a1, a2, b1]
    partial = cur.advance(pending[:1], pending)
    assert partial.pending([a2, a1, b1]) == [a2, b1]


def test_a_foreign_cursor_is_a_clear_error():
    with pytest.raises(ValueError, match="otel_generic cursor"):
        LandingCursor.parse("page-token-42")


def test_a_backlog_larger_than_one_run_is_requested_run_by_run(adapter, pull, lake, monkeypatch):
    from governance_pipeline.adapters import otel_generic

    monkeypatch.setattr(otel_generic, "MAX_FILES_PER_RUN", 2)
    names = [_land(lake, _request(f"{i}"), NOW, seq=i + 1) for i in range(5)]
    polls, cursor = [], None
    while (poll := adapter.sensor_poll(cursor)).run_keys:
        polls.append(poll.run_keys[0])
        cursor = poll.cursor
    assert polls == [f"2:{names[1]}", f"2:{names[3]}", f"1:{names[4]}"]
    job_cursor, total = None, 0
    for _ in polls:
        outcome = pull(job_cursor)
        job_cursor, total = outcome.cursor, total + outcome.new
    assert total == 20 and pull(job_cursor).events == 0


def test_a_write_cut_short_by_a_crash_is_invisible(adapter, lake):
    from governance_pipeline.receiver import landing_has_data

    name = landing.file_name(NOW, "w1", 1)
    partial = LakeStore(lake).local_path(landing.file_path("agents", f".{name}.1a2b3c4d.partial"))
    from pathlib import Path

    Path(partial).parent.mkdir(parents=True)
    Path(partial).write_bytes(_request("a")[:100])  # what a crash mid-write leaves: a temp file, never renamed
    assert landing.list_landed(LakeStore(lake), "agents") == []
    assert not landing_has_data(lake, "agents") and adapter.sensor_poll(None).run_keys == []


def test_prune_landing_deletes_only_old_consumed_hours(pull, lake):
    old = _land(lake, _request("a"), NOW - timedelta(days=3), seq=1)
    cursor_before = pull(None).cursor
    recent = _land(lake, _request("b"), NOW, seq=2)
    assert prune_landing(lake, "agents", NOW - timedelta(days=1), None) == 0  # nothing consumed yet
    cursor = pull(cursor_before).cursor
    assert prune_landing(lake, "agents", NOW - timedelta(days=1), cursor) == 1
    assert landing.list_landed(LakeStore(lake), "agents") == [recent] and old != recent
    assert pull(cursor).events == 0 and len(lake_ids(lake)) == 8


def test_retention_prunes_only_consumed_landing_past_retention(pull, lake, sources_file):
    from dataclasses import replace

    from governance_pipeline.retention import apply_retention

    old, recent = NOW - timedelta(days=40), NOW - timedelta(days=1)
    _land(lake, _request("a"), old, seq=1)
    _land(lake, _request("b"), recent, seq=2)
    source = replace(load_sources(sources_file).source("agents"), retention_days=30)
    assert source.adapter_cls.has_landed_data(lake, "agents")
    # nothing consumed yet: nothing may be pruned, however old
    report = apply_retention(lake, None, (source,), NOW.date(), cursors={"agents": LandingCursor().dump()})
    assert report.landing_hours_deleted == {} and len(landing.list_landed(LakeStore(lake), "agents")) == 2
    cursor = pull(None).cursor
    report = apply_retention(lake, None, (source,), NOW.date(), cursors={"agents": cursor})
    assert report.landing_hours_deleted == {"agents": 1}
    assert [landing.landed_at(n).date() for n in landing.list_landed(LakeStore(lake), "agents")] == [recent.date()]
