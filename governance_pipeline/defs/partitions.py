"""Daily partitions by event date (UTC), from each source's ``startDate``; today is included."""

from __future__ import annotations

from datetime import date

import dagster as dg


def daily_partitions(start: date) -> dg.DailyPartitionsDefinition:
    return dg.DailyPartitionsDefinition(start_date=start.isoformat(), end_offset=1, timezone="UTC")


def valid_days(partitions: dg.DailyPartitionsDefinition, days: list[str]) -> list[str]:
    """The days that are partition keys of ``partitions`` (events outside it still land in the lake)."""
    first = partitions.start.strftime("%Y-%m-%d")
    last = partitions.get_last_partition_key()
    return [d for d in days if first <= d and (last is None or d <= last)]
