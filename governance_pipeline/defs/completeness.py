"""The partitions an incremental pull reports: the days it wrote, and every day it made complete.

A day is complete once the source's watermark (``PullOutcome.complete_before``) has passed its end; its
partition is then materialized with its row count, 0 on a quiet day, so the UI shows real gaps only. The
watermark is kept in the instance beside the source's state and never moves back. A day that begins before
what a source with a retention window could still serve (``PullOutcome.readable_from``) is not complete unless
an earlier watermark had covered it: it stays missing, a real gap.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import dagster as dg
from governance_pipeline.config.models import Source
from governance_pipeline.defs.event_checks import unique_per_day
from governance_pipeline.defs.partitions import valid_days
from governance_pipeline.ingest import PullOutcome
from governance_pipeline.lake import completeness
from governance_pipeline.lake.store import LakeStore

_PREFIX = "governance_pipeline/complete_before/"


def load_watermark(instance: dg.DagsterInstance, source_id: str) -> datetime | None:
    raw = instance.run_storage.get_cursor_values({_PREFIX + source_id}).get(_PREFIX + source_id)
    return datetime.fromisoformat(raw) if raw else None


def save_watermark(instance: dg.DagsterInstance, source_id: str, at: datetime) -> None:
    instance.run_storage.set_cursor_values({_PREFIX + source_id: at.astimezone(UTC).isoformat()})


def pull_materializations(
    instance: dg.DagsterInstance,
    source: Source,
    partitions: dg.DailyPartitionsDefinition,
    outcome: PullOutcome,
    lake_root: str,
) -> Iterator[dg.AssetMaterialization | dg.AssetCheckEvaluation]:
    """One materialization per day written or newly complete, the uniqueness check of each day written; then
    the new watermark is stored."""
    previous = load_watermark(instance, source.id)
    watermark = completeness.advance(previous, outcome.complete_before, datetime.now(UTC))
    newly = completeness.newly_complete(source.start_date, previous, watermark, outcome.readable_from)
    done = {d.isoformat() for d in newly}
    store = LakeStore(lake_root)
    asset_key = dg.AssetKey(source.asset_key)
    for day in valid_days(partitions, sorted(done | set(outcome.rows_by_date))):
        end = completeness.day_end(datetime.fromisoformat(day).date())
        complete = day in done or (previous is not None and end <= previous)
        yield dg.AssetMaterialization(
            asset_key=asset_key,
            partition=day,
            metadata={
                "dagster/row_count": dg.MetadataValue.int(completeness.partition_rows(store, source.id, day)),
                "rows_written": outcome.rows_by_date.get(day, 0),
                "complete": complete,
                "run_mode": "incremental",
            },
        )
    yield from unique_per_day(lake_root, source.id, asset_key, valid_days(partitions, sorted(outcome.rows_by_date)))
    if watermark is not None and watermark != previous:
        save_watermark(instance, source.id, watermark)
