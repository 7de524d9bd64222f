"""Receivers' clocks may disagree: a landing file named by a lagging clock is still pulled, exactly once.

The rule (``receiver/cursor.py``): the cursor's watermark stays ``SETTLE + MAX_CLOCK_SKEW`` behind the newest
file consumed, and above it each writer's files are tracked by sequence number, not by time.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from governance_pipeline.ingest import run_pull
from governance_pipeline.pull_types import Runtime
from governance_pipeline.receiver import landing
from governance_pipeline.receiver.cursor import MAX_CLOCK_SKEW, SETTLE, LandingCursor
from governance_pipeline.sources_file import load_sources
from tests.otlp.test_landing_pipeline import NOW, _land, _request, lake_ids


@pytest.fixture
def pull(sources_file, lake):
    source = load_sources(sources_file).source("agents")
    runtime = Runtime(credentials=lambda ref: {}, lake_root=lake)
    return lambda cursor, window=None: run_pull(source, runtime, cursor, window)


def test_a_file_from_a_receiver_ten_minutes_behind_landing_after_a_pull_is_pulled_once(pull, lake):
    _land(lake, _request("a"), NOW, writer="fast", seq=1)
    cursor = pull(None).cursor
    # receiver "slow" runs 10 minutes behind; its write began a second before "fast"'s, but its file is
    # listed only after the pull (a slow PUT): its name is older than anything the pull consumed
    _land(lake, _request("b"), NOW - timedelta(minutes=10, seconds=1), writer="slow", seq=1)
    second = pull(cursor)
    assert (second.events, second.new) == (4, 4)
    third = pull(second.cursor)
    assert third.events == 0  # not read again: consumed once
    assert len(lake_ids(lake)) == 8


def test_a_lagging_receiver_is_followed_across_several_pulls(pull, lake):
    cursor = None
    for seq in range(1, 4):  # the fast receiver keeps landing and being pulled for a while
        _land(lake, _request(f"a{seq}"), NOW + timedelta(minutes=seq), writer="fast", seq=seq)
        cursor = pull(cursor).cursor
    behind = NOW + timedelta(minutes=3) - (MAX_CLOCK_SKEW - timedelta(minutes=1))
    for seq in (1, 2):
        _land(lake, _request(f"b{seq}"), behind + timedelta(seconds=seq), writer="slow", seq=seq)
    out = pull(cursor)
    assert (out.events, out.new) == (8, 8)
    assert pull(out.cursor).events == 0
    assert len(lake_ids(lake)) == 5 * 4


def test_the_watermark_trails_the_newest_file_by_settle_plus_skew():
    names = [landing.file_name(NOW, "w1", 1), landing.file_name(NOW - timedelta(hours=3), "old", 1)]
    cur = LandingCursor().advance(names, sorted(names))
    assert cur.before == landing.time_key(NOW - SETTLE - MAX_CLOCK_SKEW)
    assert set(cur.writers) == {"w1"}  # a writer silent for longer than the window is forgotten
    late = landing.file_name(NOW - SETTLE - MAX_CLOCK_SKEW + timedelta(seconds=1), "lagging", 1)
    assert cur.pending([*names, late]) == [late]
