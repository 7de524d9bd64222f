"""Bring an adapter's normalized table to the exact lake schema, with defaults and derived columns."""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc

from governance_pipeline.lake.schema import EVENT_SCHEMA, TS


def conform(table: pa.Table, source_type: str, ingested_at: datetime, organization_id: str | None = None) -> pa.Table:
    n = table.num_rows
    cols: dict[str, pa.Array] = {}
    for f in EVENT_SCHEMA:
        if f.name in table.column_names:
            col = table.column(f.name)
            cols[f.name] = col if col.type == f.type else col.cast(f.type)
        else:
            cols[f.name] = pa.nulls(n, f.type)
    now = pa.scalar(ingested_at, TS)
    cols["ingested_at"] = pa.repeat(now, n)
    cols["source_type"] = pa.repeat(pa.scalar(source_type, pa.string()), n)
    cols["event_timestamp"] = pc.coalesce(cols["event_timestamp"], now)
    if organization_id is not None:
        cols["organization_id"] = pc.coalesce(cols["organization_id"], pa.scalar(organization_id))
    cost = cols["cost_usd"]
    cols["cost_source"] = pc.coalesce(
        cols["cost_source"], pc.if_else(pc.is_valid(cost), pa.scalar("given"), pa.scalar("none"))
    )
    for name in ("cost_usd",):
        cols[name] = pc.coalesce(cols[name], pa.scalar(0.0))
    for name in ("tokens_input", "tokens_output"):
        cols[name] = pc.coalesce(cols[name], pa.scalar(0, pa.int64()))
    derived = pc.if_else(
        pc.is_valid(cols["model"]),
        pa.scalar("api.call"),
        pc.if_else(pc.is_valid(cols["tool_name"]), pa.scalar("tool.invocation"), pa.scalar("agent.action")),
    )
    cols["event_type"] = pc.coalesce(cols["event_type"], derived)
    return pa.Table.from_arrays([cols[f.name] for f in EVENT_SCHEMA], schema=EVENT_SCHEMA)


def split_by_date(table: pa.Table) -> list[tuple[str, pa.Table]]:
    """``(YYYY-MM-DD, rows of that UTC date)`` in order of the dates. Rows keep their order within a date;
    a batch already in date order (the usual case) is cut into zero-copy slices."""
    if table.num_rows == 0:
        return []
    dates = table.column("event_timestamp").combine_chunks().cast(pa.date32())
    runs = pc.run_end_encode(dates)
    if len(runs.values) == 1:
        return [(runs.values.cast(pa.string())[0].as_py(), table)]
    if not pc.all(pc.greater(runs.values[1:], runs.values[:-1])).as_py():
        order = pc.sort_indices(dates)  # stable: the rows of one date keep their order
        table, runs = table.take(order), pc.run_end_encode(dates.take(order))
    ends = runs.run_ends.to_pylist()
    days = runs.values.cast(pa.string()).to_pylist()
    return [(day, table.slice(start, end - start)) for day, start, end in zip(days, [0, *ends], ends)]


def dedup_ids(table: pa.Table, keep: str = "first") -> pa.Table:
    """Rows with distinct ``source_event_id`` (the first or last occurrence of each)."""
    if table.num_rows < 2:
        return table
    ids = table.column("source_event_id")
    if pc.count_distinct(ids).as_py() == table.num_rows:
        return table
    idx = pa.array(range(table.num_rows), pa.int64())
    agg = (
        pa.table({"id": ids, "i": idx})
        .group_by("id", use_threads=False)
        .aggregate([("i", "min" if keep == "first" else "max")])
    )
    keep_idx = agg.column(1).combine_chunks()
    return table.take(pc.take(keep_idx, pc.array_sort_indices(keep_idx)))
