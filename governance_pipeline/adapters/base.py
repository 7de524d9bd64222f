"""The adapter interface.

Plug-ins implement ``run_once(cursor, window) -> PullResult(events, cursor, errors)`` with ``events`` as
dicts of normalized fields. Built-in adapters override ``stream`` instead, yielding Arrow batches so that
big pulls stay in bounded memory and rows are never built one by one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar, cast

import pyarrow as pa
from pydantic import BaseModel

from governance_pipeline.config.models import DEFAULT_MAX_LAG_MINUTES
from governance_pipeline.mapping.event_mapping import build_table
from governance_pipeline.pull_types import Backlog, Batch, PullResult, Runtime, SensorPoll, Window

if TYPE_CHECKING:
    from governance_pipeline.config.models import Source, SourceEntry


ConfigT = TypeVar("ConfigT", bound=BaseModel)


class Adapter(Generic[ConfigT]):
    """Base class of every adapter; one instance serves one run."""

    type_name: ClassVar[str]
    Config: ClassVar[type[BaseModel]]
    trigger: ClassVar[Literal["schedule", "sensor", "none"]] = "schedule"
    upsert: ClassVar[bool] = False
    accepts_otlp: ClassVar[bool] = False  # a push source the OTLP receiver serves (it has a landing area)
    # a source is stale (red in the UI, fresh=false in `govpipe sources list`) after this long without new data,
    # unless its `freshness` key says otherwise
    default_max_lag_minutes: ClassVar[int] = DEFAULT_MAX_LAG_MINUTES

    def __init__(self, source: Source, runtime: Runtime):
        self.source = source
        self.config: ConfigT = cast(ConfigT, source.config)  # validated as ``Config`` when the file loaded
        self.runtime = runtime
        self.log = runtime.log

    @classmethod
    def check_config(cls, config: Any, entry: SourceEntry, credentials: dict) -> Iterable[tuple[str, str]]:
        """Checks beyond the config model's own (key path relative to ``config``, message)."""
        return ()

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

    @classmethod
    def landing_backlog(cls, lake_root: str, source_id: str, cursor: str | None) -> Backlog:
        """Push sources (``accepts_otlp``): what was received and ``cursor`` has not consumed yet."""
        raise NotImplementedError(f"adapter {cls.type_name!r} has no landing area")

    def complete_before(self, cursor: str | None, started_at: datetime) -> datetime | None:
        """The source's watermark after an incremental pull that began at ``started_at`` and ended at ``cursor``:
        every event whose time is before the returned instant is in the lake now, so each day that ends at or
        before it is complete (its partition is recorded even without events). None: the source cannot tell
        (plug-ins by default); then only the days a pull wrote are recorded. Rules per type: README "Dagster".
        """
        return None

    def readable_from(self, started_at: datetime) -> datetime | None:
        """The oldest instant the source could still serve to the incremental pull that began at ``started_at``
        (its retention window); None: no limit. A day that begins before it is not recorded complete unless an
        earlier pull's watermark already reached it: the part before was never read, so the day is a real gap.
        """
        return None

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
