"""The adapter interface.

Plug-ins implement ``run_once(cursor, window) -> PullResult(events, cursor, errors)`` with ``events`` as
dicts of normalized fields. Built-in adapters override ``stream`` instead, yielding Arrow batches so that
big pulls stay in bounded memory and rows are never built one by one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import pyarrow as pa
from pydantic import BaseModel

from governance_pipeline.mapping.event_mapping import build_table

if TYPE_CHECKING:
    from governance_pipeline.config.models import Source, SourceEntry


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
    to commit once this batch and every earlier one are durable.
    """

    table: pa.Table
    raw_count: int | None = None
    errors: int = 0
    quarantine: list[dict] = field(default_factory=list)
    cursor: str | None = None


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


@dataclass
class Runtime:
    """What an adapter may use at run time; credentials are resolved on each call."""

    credentials: Callable[[str], dict[str, str]]
    lake_root: str
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("governance_pipeline"))
    run_id: str = "local"


class Adapter:
    """Base class of every adapter; one instance serves one run."""

    type_name: ClassVar[str]
    Config: ClassVar[type[BaseModel]]
    trigger: ClassVar[Literal["schedule", "sensor", "none"]] = "schedule"
    can_filter_by_time: ClassVar[bool] = False
    upsert: ClassVar[bool] = False

    def __init__(self, source: Source, runtime: Runtime):
        self.source = source
        self.config = source.config
        self.runtime = runtime
        self.log = runtime.log

    @classmethod
    def check_config(cls, config: BaseModel, entry: SourceEntry, credentials: dict) -> Iterable[tuple[str, str]]:
        """Checks beyond the config model's own (key path relative to ``config``, message)."""
        return ()

    def cron_schedule(self) -> str | None:
        return getattr(self.config, "schedule", None)

    def credentials(self) -> dict[str, str]:
        ref = getattr(self.config, "credentialRef", None)
        return self.runtime.credentials(ref) if ref else {}

    def run_once(self, cursor: str | None, window: Window | None = None) -> PullResult:
        raise NotImplementedError(f"adapter {self.type_name!r} implements neither run_once nor stream")

    def stream(self, cursor: str | None, window: Window | None) -> Iterator[Batch]:
        """Yield batches of normalized events; the default wraps ``run_once``."""
        result = self.run_once(cursor, window)
        events = result.events
        values: dict[str, list] = {}
        for name in {k for e in events for k in e if k != "raw_payload"}:
            values[name] = [e.get(name) for e in events]
        raw_texts = None
        if events and all("raw_payload" in e for e in events):
            raw_texts = [
                e["raw_payload"] if isinstance(e["raw_payload"], str) else _dump(e["raw_payload"]) for e in events
            ]
        rejects: list[tuple[int, str]] = []
        table = build_table(values, events, raw_texts, rejects)
        bad = [
            {"record": i, "error": reason, "raw": raw_texts[i] if raw_texts else _dump(events[i])}
            for i, reason in rejects
        ]
        yield Batch(table, raw_count=len(events), errors=result.errors + len(bad), quarantine=bad, cursor=result.cursor)

    @classmethod
    def has_landed_data(cls, lake_root: str, source_id: str) -> bool:
        """Push sources: whether anything was received but may not be pulled yet (for the source status)."""
        return False

    @classmethod
    def prune_consumed(cls, lake_root: str, source_id: str, older_than: datetime, cursor: str | None) -> int:
        """Push sources: delete received data that ``cursor`` consumed and that is older than ``older_than``."""
        return 0

    def sensor_poll(self, cursor: str | None) -> SensorPoll:
        """For ``trigger == 'sensor'``: what is new since the sensor's cursor (must finish well inside 60 s)."""
        raise NotImplementedError


def _dump(obj: Any) -> str:
    from governance_pipeline.mapping.event_mapping import dump_json

    return dump_json(obj)


def map_records(mapping: Any, records: list, raws: list[str], where: str) -> tuple[pa.Table, list[dict]]:
    """``mapping.to_table`` with poisoned records left out: (the table, their quarantine records naming ``where``,
    the record's position and the reason)."""
    rejects: list[tuple[int, str]] = []
    table = mapping.to_table(records, raws, rejects)
    return table, [{"file": where, "record": i + 1, "error": reason, "raw": raws[i]} for i, reason in rejects]
