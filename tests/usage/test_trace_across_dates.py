"""A trace that crosses midnight, its spans arriving in separate pulls: rebuilding only the newest date's marts
also rebuilds the other date of the trace, so a parent that became a roll-up stops counting there."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pyarrow as pa

from governance_pipeline.lake.store import LakeStore
from governance_pipeline.lake.writer import LakeWriter
from governance_pipeline.marts.build import build_marts


def _span(span_id: str, at: datetime, parent: str | None, tokens: int) -> dict:
    return {
        "source_event_id": span_id,
        "event_timestamp": at,
        "action": "run_pipeline",
        "tokens_input": tokens,
        "tokens_output": 10,
        "trace_id": "trace-1",
        "span_id": span_id,
        "parent_span_id": parent,
    }


def _land(lake: str, rows: list[dict]) -> None:
    writer = LakeWriter(LakeStore(lake), "agents", "otel_generic")
    writer.write(pa.Table.from_pylist(rows))
    writer.commit()


def _by_date(db) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT date::VARCHAR, sum(tokens_input) FROM governance_kpis GROUP BY 1").fetchall()
    return dict(rows)


def test_a_late_child_on_the_next_date_turns_its_parent_into_a_roll_up(lake, tmp_path):
    db = tmp_path / "g.duckdb"
    _land(lake, [_span("root", datetime(2026, 10, 1, 23, 59, 59, tzinfo=UTC), None, 500)])
    build_marts(db, lake, ["2026-10-01"])
    assert _by_date(db) == {"2026-10-01": 500}  # alone, the root says nothing of a roll-up: it counts
    _land(lake, [_span("child", datetime(2026, 10, 2, 0, 0, 1, tzinfo=UTC), "root", 500)])
    stats = build_marts(db, lake, ["2026-10-02"])
    assert stats.dates == ["2026-10-01", "2026-10-02"]
    assert _by_date(db) == {"2026-10-01": 0, "2026-10-02": 500}
