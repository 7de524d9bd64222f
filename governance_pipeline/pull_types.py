"""What an adapter and a pull exchange: the backfill window, batches of normalized events, a plug-in's result,
a sensor's poll and the run's runtime. Plain data, no Dagster and no adapter code, so the S3, LangSmith and
OTLP engines, the ingest and the Dagster wiring share them without importing the adapter base."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyarrow as pa


@dataclass(frozen=True)
class Window:
    """A backfill window ``[start, end)`` in UTC."""

    start: datetime
    end: datetime

    @classmethod
    def for_dates(cls, first: date, last: date) -> Window:
        start = datetime(first.year, first.month, first.day, tzinfo=UTC)
        end = datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1)
        return cls(start, end)

    def dates(self) -> list[date]:
        d, out = self.start.date(), []
        while datetime(d.year, d.month, d.day, tzinfo=UTC) < self.end:
            out.append(d)
            d += timedelta(days=1)
        return out

    def iso(self) -> tuple[str, str]:
        fmt = "%Y-%m-%dT%H:%M:%SZ"
        return self.start.astimezone(UTC).strftime(fmt), self.end.astimezone(UTC).strftime(fmt)


@dataclass
class Batch:
    """Normalized events from one page or file.

    ``raw_count`` counts records before any filtering; ``cursor`` (when not None) is the cursor that is safe
    to commit once this batch and every earlier one are durable. ``content_applied``: the source's content policy
    (``Source.content``) was already applied to ``raw_payload`` (by the worker, thread or process, that decoded it).
    """

    table: pa.Table
    raw_count: int | None = None
    errors: int = 0
    quarantine: list[dict] = field(default_factory=list)
    cursor: str | None = None
    content_applied: bool = False


@dataclass
class PullResult:
    """What a plug-in's ``run_once`` returns: normalized events as dicts, the next cursor, the error count."""

    events: list[dict[str, Any]]
    cursor: str | None
    errors: int = 0


@dataclass
class SensorPoll:
    """What a sensor found: run keys to request (empty: skip) and the sensor's next cursor."""

    run_keys: list[str]
    cursor: str | None
    skip_reason: str | None = None


@dataclass(frozen=True)
class Backlog:
    """Push sources: what was acknowledged to senders and no pull has moved into the lake yet."""

    files: int
    oldest_at: datetime | None  # when the oldest of them was received (the receiver's clock)

    def waiting(self, now: datetime) -> timedelta:
        """How long the oldest of them has waited (zero when nothing waits)."""
        return max(now - self.oldest_at, timedelta(0)) if self.oldest_at is not None else timedelta(0)


@dataclass
class Runtime:
    """What an adapter may use at run time; credentials are resolved on each call."""

    credentials: Callable[[str], dict[str, str]]
    lake_root: str
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("governance_pipeline"))
    run_id: str = "local"
