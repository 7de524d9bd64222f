"""Files written before the ``usage_kind`` column existed: the marts read them (as null), and an upsert that
rewrites such a file keeps its rows."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from governance_pipeline.lake.conform import conform
from governance_pipeline.lake.store import LakeStore
from governance_pipeline.lake.writer import LakeWriter
from tests.usage.helpers import kpi_totals, lake_rows

AT = datetime(2026, 10, 1, 9, tzinfo=UTC)


def _rows(ids: list[str], parent: str | None = None, tokens: int = 100) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "source_event_id": i,
                "event_timestamp": AT,
                "model": "gpt-4o",
                "tokens_input": tokens,
                "tokens_output": 1,
                "trace_id": "t1",
                "span_id": i,
                "parent_span_id": parent,
            }
            for i in ids
        ]
    )


def _write_old_file(lake: str, table: pa.Table) -> None:
    """A lake file as the writer wrote it before ``usage_kind`` (the current schema less that column)."""
    old = conform(table, "otel_generic", AT).drop_columns(["usage_kind"])
    folder = Path(lake) / "events/source_id=agents/date=2026-10-01"
    folder.mkdir(parents=True)
    pq.write_table(old, folder / "part-old-0001.parquet")


def test_marts_read_a_lake_of_old_files_only(lake, tmp_path):
    _write_old_file(lake, _rows(["root"]))
    assert kpi_totals(tmp_path / "g.duckdb", lake) == (1, 100, 1)


def test_old_and_new_files_together_apply_the_rule(lake, tmp_path):
    _write_old_file(lake, _rows(["root"], tokens=300))  # says nothing of its kind; children carry usage
    writer = LakeWriter(LakeStore(lake), "agents", "otel_generic")
    writer.write(_rows(["c1", "c2"], parent="root").append_column("usage_kind", pa.array(["call", "call"])))
    writer.commit()
    assert kpi_totals(tmp_path / "g.duckdb", lake) == (3, 200, 2)


def test_an_upsert_rewrites_an_old_file_with_the_new_column(lake, tmp_path):
    _write_old_file(lake, _rows(["a", "b"]))
    writer = LakeWriter(LakeStore(lake), "agents", "otel_generic", mode="upsert")
    writer.write(_rows(["b"], tokens=7))
    writer.commit()
    assert lake_rows(lake, "source_event_id, tokens_input, usage_kind") == [("a", 100, None), ("b", 7, None)]
    assert len(list((Path(lake) / "events/source_id=agents/date=2026-10-01").glob("*.parquet"))) == 1
