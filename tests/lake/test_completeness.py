"""Which days a watermark completes, and how watermarks are read from the sources' cursors."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import yaml

from governance_pipeline.lake.completeness import advance, newly_complete
from governance_pipeline.pull_types import Runtime
from governance_pipeline.sources_file import parse_sources

T = datetime(2026, 10, 5, 0, 0, tzinfo=UTC)


def test_days_complete_once_the_watermark_passes_their_end():
    assert newly_complete(date(2026, 10, 1), None, T) == [date(2026, 10, d) for d in (1, 2, 3, 4)]
    assert newly_complete(date(2026, 10, 1), None, T - timedelta(microseconds=1)) == [
        date(2026, 10, d) for d in (1, 2, 3)
    ]
    # only what became complete since the previous watermark; nothing when it did not move
    assert newly_complete(date(2026, 10, 1), T - timedelta(days=2, hours=3), T) == [
        date(2026, 10, d) for d in (2, 3, 4)
    ]
    assert newly_complete(date(2026, 10, 1), T, T) == []
    assert newly_complete(date(2026, 10, 1), None, None) == []


def test_days_before_what_the_source_could_still_serve_stay_open():
    """A retention window (``readable_from``): a day that begins before it was never read in full."""
    edge = datetime(2026, 10, 2, 0, 5, tzinfo=UTC)  # the oldest instant the source served to this pull
    # a first pull: Oct 1 and the start of Oct 2 were past retention; Oct 3 and 4 were read in full
    assert newly_complete(date(2026, 9, 20), None, T, edge) == [date(2026, 10, 3), date(2026, 10, 4)]
    # a source paused past its retention: the days between its old watermark and the edge are a gap
    paused = datetime(2026, 9, 28, 6, tzinfo=UTC)
    assert newly_complete(date(2026, 9, 20), paused, T, edge) == [date(2026, 10, 3), date(2026, 10, 4)]
    # an earlier watermark that reaches the edge leaves no hole: every day since is complete
    assert newly_complete(date(2026, 9, 20), edge, T, edge) == [date(2026, 10, d) for d in (2, 3, 4)]
    assert newly_complete(date(2026, 9, 20), None, T, datetime(2026, 10, 2, tzinfo=UTC)) == [
        date(2026, 10, d) for d in (2, 3, 4)
    ]


def test_the_watermark_never_moves_back_nor_past_now():
    assert advance(T, T - timedelta(hours=1), T + timedelta(days=1)) == T
    assert advance(None, T + timedelta(days=3), T) == T
    assert advance(T, None, T) == T


def _source(type_: str, config: dict):
    doc = {"credentials": {"c": {"apiKey": "k"}}, "sources": [{"id": "s", "type": type_, "config": config}]}
    return parse_sources(yaml.safe_dump(doc)).sources[0]


def _adapter(source):
    return source.adapter_cls(source, Runtime(credentials=lambda ref: {}, lake_root="/nonexistent"))


def test_otel_generic_watermark_is_the_landing_cursor_less_span_lateness():
    adapter = _adapter(_source("otel_generic", {"secretSha256": "a" * 64}))
    cursor = json.dumps({"before": "20261005T001500.000000Z", "writers": {}})
    assert adapter.complete_before(cursor, T + timedelta(days=1)) == T
    assert adapter.complete_before(None, T) is None


def test_langsmith_watermark_waits_for_the_lookback_and_open_runs():
    adapter = _adapter(_source("langsmith", {"credentialRef": "c", "lookbackHours": 24}))
    started = T + timedelta(days=1, hours=6)
    marks = {"v": 1, "lookbackHours": 24, "projects": {"p": {"hwm": "2026-10-05T05:00:00Z", "open": None}}}
    assert adapter.complete_before(json.dumps(marks), started) == T + timedelta(hours=6)
    marks["projects"]["q"] = {"hwm": "2026-10-05T05:00:00Z", "open": "2026-10-03T12:00:00Z"}
    assert adapter.complete_before(json.dumps(marks), started) == datetime(2026, 10, 3, 12, tzinfo=UTC)
