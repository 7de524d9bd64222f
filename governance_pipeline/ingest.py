"""One pull of one source, from adapter to durable lake files. No Dagster here: the wiring calls this.

The order is the guarantee: every batch is written, the writer commits (files durable and visible), and
only then does the caller commit the returned cursor.
"""

from __future__ import annotations

import gc
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc

from governance_pipeline.config.models import Source
from governance_pipeline.enrich.cost import PriceBook, price_data_version
from governance_pipeline.lake.schema import TS
from governance_pipeline.lake.store import LakeStore
from governance_pipeline.lake.writer import LakeWriter
from governance_pipeline.pull_types import Runtime, Window


@dataclass
class PullOutcome:
    source_id: str
    events: int  # records the source returned (before filtering)
    new: int
    duplicates: int
    replaced: int
    errors: int
    cursor: str | None
    cursor_moved: bool
    rows_by_date: dict[str, int]
    files: int
    quarantined: int
    deleted_rows: int
    last_event_at: datetime | None
    seconds: float
    preview: list[dict] = field(default_factory=list)
    unpriced_models: dict[str, int] = field(default_factory=dict)
    mode: str = "append"
    price_data: str = ""  # which genai-prices data priced the run (docs/costs.md)
    # incremental pulls: every event before this instant is in the lake (the source's watermark; None: unknown)
    complete_before: datetime | None = None
    # incremental pulls: nothing older than this instant could be read (a retention window; None: no limit)
    readable_from: datetime | None = None


def run_pull(
    source: Source,
    runtime: Runtime,
    cursor: str | None,
    window: Window | None = None,
    ingested_at: datetime | None = None,
) -> PullOutcome:
    """Incremental pull from ``cursor`` (``window`` None) or a backfill that replaces ``window``'s dates.

    ``ingested_at``: the run's ingest time (default: now)."""
    started = time.perf_counter()
    started_at = datetime.now(UTC)
    adapter = source.adapter_cls(source, runtime)
    if window is not None:
        mode = "replace"
    else:
        mode = "upsert" if adapter.upsert else "append"
    writer = LakeWriter(
        LakeStore(runtime.lake_root),
        source.id,
        source.type,
        mode=mode,
        replace_dates=window.dates() if window else (),
        organization_id=source.organization_id,
        prices=PriceBook(source.pricing),
        content=source.content,
        ingested_at=ingested_at,
    )
    events = errors = 0
    next_cursor = cursor
    preview: list[dict] = []
    gc.freeze()  # what the process already holds is not scanned again and again while the pull allocates
    try:
        for batch in adapter.stream(None if window else cursor, window):
            table = batch.table
            events += batch.raw_count if batch.raw_count is not None else table.num_rows
            errors += batch.errors
            if window is not None and table.num_rows:
                table = _within(writer.date_undated(table), window)
            writer.write(table, content_applied=batch.content_applied)
            if batch.quarantine:
                writer.quarantine(batch.quarantine)
            if batch.cursor is not None and window is None:
                next_cursor = batch.cursor
            if len(preview) < 5 and table.num_rows:
                cols = [
                    c
                    for c in ("source_event_id", "event_timestamp", "actor", "action", "target")
                    if c in table.column_names
                ]
                preview.extend(table.select(cols).slice(0, 5 - len(preview)).to_pylist())
        stats = writer.commit()
    finally:
        writer.close()
        gc.unfreeze()
    logging.getLogger("governance_pipeline").debug("pull %s: %s", source.id, stats)
    complete_before = adapter.complete_before(next_cursor, started_at) if window is None else None
    readable_from = adapter.readable_from(started_at) if window is None else None
    return PullOutcome(
        source_id=source.id,
        events=events,
        new=stats.new,
        duplicates=stats.duplicates,
        replaced=stats.replaced,
        errors=errors,
        cursor=next_cursor,
        cursor_moved=next_cursor != cursor,
        rows_by_date=dict(stats.rows_by_date),
        files=stats.files,
        quarantined=stats.quarantined,
        deleted_rows=stats.deleted_rows,
        last_event_at=stats.last_event_at,
        seconds=time.perf_counter() - started,
        preview=preview,
        unpriced_models=dict(stats.unpriced_models),
        mode=mode,
        price_data=price_data_version(),
        complete_before=complete_before,
        readable_from=readable_from,
    )


def _within(table: pa.Table, window: Window) -> pa.Table:
    if "event_timestamp" not in table.column_names:
        return table
    ts = table.column("event_timestamp")
    if ts.type != TS:
        ts = ts.cast(TS)
    mask = pc.and_(
        pc.greater_equal(ts, pa.scalar(window.start, TS)),
        pc.less(ts, pa.scalar(window.end, TS)),
    )
    return table.filter(pc.fill_null(mask, False))
