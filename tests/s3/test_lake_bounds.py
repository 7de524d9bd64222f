"""The lake writer keeps its buffers bounded in bytes across dates (a 30-day drop never sits whole in memory)."""

from __future__ import annotations

import pyarrow as pa

from governance_pipeline.lake import writer as writer_module
from governance_pipeline.lake.store import LakeStore
from governance_pipeline.lake.writer import LakeWriter


def day_batch(start: int, n: int) -> pa.Table:
    ids = [f"e{start + i}" for i in range(n)]
    days = [f"2026-10-{1 + (start + i) % 28:02d}T10:00:00Z" for i in range(n)]
    return pa.table({"source_event_id": ids, "event_timestamp": days, "actor": ["a" * 200] * n})


def test_buffers_flush_when_the_byte_budget_is_reached(tmp_path, monkeypatch):
    monkeypatch.setattr(writer_module, "MAX_BUFFERED_BYTES", 64 * 1024)
    writer = LakeWriter(LakeStore(str(tmp_path)), "src", "test")
    for start in range(0, 2000, 250):
        writer.write(day_batch(start, 250))
    assert writer.stats.files > 0  # written before commit
    assert sum(writer._buffered_bytes.values()) < 64 * 1024
    writer.write(day_batch(0, 250))  # duplicates of flushed rows are still recognised
    stats = writer.commit()
    assert stats.new == 2000 and stats.duplicates == 250
    assert (
        LakeStore(str(tmp_path)).read_table(LakeStore(str(tmp_path)).list_files("events", ".parquet")).num_rows == 2000
    )


def test_date_partitions_match_strftime_across_the_epoch_and_day_edges():
    import pyarrow.compute as pc

    from governance_pipeline.lake.conform import split_by_date
    from governance_pipeline.lake.schema import TS

    micros = [-86_400_000_001, -1, 0, 86_399_999_999, 86_400_000_000, 1_790_834_575_000_000]
    table = pa.table({"event_timestamp": pa.array(micros, pa.int64()).cast(TS)})
    parts = split_by_date(table)
    assert len(parts) == 5
    for day, part in parts:
        assert set(pc.strftime(part.column("event_timestamp"), format="%Y-%m-%d").to_pylist()) == {day}
