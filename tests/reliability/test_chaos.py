"""The short chaos run: three SIGKILLs at seeded random points of real ``govpipe pull`` runs, then every event
is in the lake exactly once and the source is healthy (the long run: ``benchmarks/chaos.py``)."""

from __future__ import annotations

from tests.reliability.chaos import run_chaos


def test_three_kills_then_every_event_once_and_the_source_healthy(env):
    log: list[str] = []
    result = run_chaos(
        env / "chaos", kills=3, seed=7, events=240, page=20, fault_rate=0.1, slow_seconds=0.2, log=log.append
    )
    assert result.kills == 3, log
    assert (result.lake_rows, result.lake_distinct) == (240, 240), log
    assert result.stuck_runs == 0 and result.claimed_slots == 0, log
    assert result.source["status"] == "active" and result.source["last_run"] == "success", (result.source, log)
    assert result.ok
