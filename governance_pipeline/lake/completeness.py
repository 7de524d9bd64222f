"""Which days a pull has covered completely, and how many rows a day's partition holds.

A source's *watermark* (``Adapter.complete_before``) says every event before it is in the lake. A day is
complete once the watermark reaches its end (midnight UTC after it). Each pull reports the days that became
complete since the previous watermark, so a quiet day is told apart from a gap.

A source with a retention window (``Adapter.readable_from``) cannot serve what is older than it: a day that
begins before the oldest instant the pull could read is complete only if an earlier watermark already covered
up to that instant. Otherwise part of the day was never read, and its partition stays missing: a real gap.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from governance_pipeline.lake import paths
from governance_pipeline.lake.store import LakeStore


def day_end(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def newly_complete(
    first_day: date, previous: datetime | None, watermark: datetime | None, readable_from: datetime | None = None
) -> list[date]:
    """The days from ``first_day`` that end at or before ``watermark`` but did not end at or before ``previous``,
    less those that begin before ``readable_from`` when ``previous`` does not reach it (never read in full)."""
    if watermark is None or (previous is not None and watermark <= previous):
        return []
    hole_until = readable_from if readable_from is not None and (previous is None or previous < readable_from) else None
    day = first_day
    if previous is not None:
        day = max(day, previous.astimezone(UTC).date())
    out: list[date] = []
    while day_end(day) <= watermark:
        if (previous is None or day_end(day) > previous) and (hole_until is None or day_start(day) >= hole_until):
            out.append(day)
        day += timedelta(days=1)
    return out


def advance(previous: datetime | None, watermark: datetime | None, now: datetime) -> datetime | None:
    """The watermark to keep: it never moves back, and never past ``now`` (a clock ahead of ours)."""
    candidates = [w for w in (previous, None if watermark is None else min(watermark, now)) if w is not None]
    return max(candidates) if candidates else None


def partition_rows(store: LakeStore, source_id: str, day: str) -> int:
    """Rows in the lake partition of ``day`` (from the Parquet footers; no data is read)."""
    return store.count_rows(store.list_files(paths.partition_dir(source_id, day), ".parquet"))
