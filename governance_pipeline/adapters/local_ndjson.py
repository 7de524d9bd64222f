"""``local_ndjson``: NDJSON files (optionally gzipped) in a local folder.

The smallest real adapter: it exercises the whole path (sensor, pull job, mapping, lake, cursor) without
a network. The cursor is the lexicographically greatest file name fully ingested; a backfill re-reads every
file and keeps the events of its window.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator
from pathlib import Path

import orjson
from pydantic import Field

from governance_pipeline.adapters.base import Adapter, Batch, SensorPoll, Window, map_records
from governance_pipeline.adapters.common import EventMappingConfig
from governance_pipeline.config.models import StrictModel

CHUNK_LINES = 20_000


class LocalNdjsonConfig(StrictModel):
    path: str = Field(min_length=1)
    glob: str = "*.ndjson*"
    schedule: str | None = None
    eventMapping: EventMappingConfig


class LocalNdjsonAdapter(Adapter):
    type_name = "local_ndjson"
    Config = LocalNdjsonConfig
    trigger = "sensor"

    def _files(self) -> list[Path]:
        folder = Path(self.config.path)
        return sorted(p for p in folder.glob(self.config.glob) if p.is_file())

    def stream(self, cursor: str | None, window: Window | None) -> Iterator[Batch]:
        mapping = self.config.eventMapping.compiled
        for path in self._files():
            if cursor is not None and path.name <= cursor:
                continue
            for records, raws, bad in _read_chunks(path):
                table, poisoned = map_records(mapping, records, raws, os.fspath(path))
                bad = bad + poisoned
                yield Batch(table, raw_count=len(records) + len(bad) - len(poisoned), errors=len(bad), quarantine=bad)
            yield Batch(mapping.to_table([], []), raw_count=0, cursor=path.name)

    def sensor_poll(self, cursor: str | None) -> SensorPoll:
        new = [p for p in self._files() if cursor is None or p.name > cursor]
        if not new:
            return SensorPoll([], cursor, skip_reason="no new files")
        key = ",".join(f"{p.name}@{int(p.stat().st_mtime)}:{p.stat().st_size}" for p in new[-20:])
        return SensorPoll([f"{len(new)}:{key}"], new[-1].name)


def _open(path: Path):
    with open(path, "rb") as f:
        magic = f.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")


def _read_chunks(path: Path) -> Iterator[tuple[list, list[str], list[dict]]]:
    records: list = []
    raws: list[str] = []
    bad: list[dict] = []
    with _open(path) as f:
        for lineno, line in enumerate(f, start=1):
            line = line.strip()
            if not line:
                continue
            try:
                obj = orjson.loads(line)
                if not isinstance(obj, dict):
                    raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
            except (orjson.JSONDecodeError, ValueError) as exc:
                bad.append(
                    {"file": os.fspath(path), "line": lineno, "error": str(exc), "raw": line.decode("utf-8", "replace")}
                )
                continue
            records.append(obj)
            raws.append(line.decode())
            if len(records) >= CHUNK_LINES:
                yield records, raws, bad
                records, raws, bad = [], [], []
    if records or bad:
        yield records, raws, bad
