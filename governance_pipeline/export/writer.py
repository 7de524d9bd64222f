"""Replace one day's objects at a destination: write the new Parquet objects, then delete the old ones.

Objects are named ``part-<token>-<seq>[.<codec>].parquet``; the token is time-sortable and unique per write,
so after a write only objects from *older* writes (or foreign files) are deleted: a slower, older run of the
same day never deletes a newer run's objects.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq

from governance_pipeline.export import layout
from governance_pipeline.export.config import Destination
from governance_pipeline.export.s3 import delete_keys, list_folders, list_keys

_TOKEN_RE = re.compile(r"/part-(\d{8}T\d{12}-[0-9a-f]{8})-\d{4}(?:\.\w+)?\.parquet$")


@dataclass
class DayResult:
    """What one day's export wrote."""

    day: date
    rows: int = 0
    files: int = 0
    bytes: int = 0
    deleted: int = 0
    rows_by_source: dict[str, int] = field(default_factory=dict)
    keys: list[str] = field(default_factory=list)


class _Files:
    """Roll Arrow tables into Parquet objects of at most ``max_rows`` rows under one folder."""

    def __init__(self, client, dest: Destination, folder: str, token: str, result: DayResult, seq: int):
        self.client, self.dest, self.folder, self.token, self.result = client, dest, folder, token, result
        self.seq = seq
        self.buf: io.BytesIO | None = None
        self.writer: pq.ParquetWriter | None = None
        self.rows = 0

    def add(self, table: pa.Table) -> int:
        written = 0
        while table.num_rows:
            if self.writer is not None and not self.writer.schema.equals(table.schema):
                self.flush()
            room = self.dest.maxRowsPerFile - self.rows
            part, table = table.slice(0, room), table.slice(room)
            if self.writer is None:
                self.buf = io.BytesIO()
                codec = None if self.dest.compression == "none" else self.dest.compression
                self.writer = pq.ParquetWriter(self.buf, part.schema, compression=codec, write_statistics=True)
            self.writer.write_table(part)
            self.rows += part.num_rows
            written += part.num_rows
            if self.rows >= self.dest.maxRowsPerFile:
                self.flush()
        return written

    def flush(self) -> None:
        if self.writer is None or self.buf is None:
            return
        self.writer.close()
        data = self.buf.getvalue()
        self.seq += 1
        key = self.folder + layout.object_name(self.dest, self.token, self.seq)
        self.client.upload_fileobj(io.BytesIO(data), self.dest.bucket, key)
        self.result.keys.append(key)
        self.result.files += 1
        self.result.bytes += len(data)
        self.writer, self.buf, self.rows = None, None, 0


def write_day(
    client, dest: Destination, day: date, groups: Iterable[tuple[str | None, Iterator[pa.Table]]]
) -> DayResult:
    """Write ``groups`` (one per source, or one for Security Lake) as ``day``'s objects, then delete the rest."""
    result = DayResult(day)
    token = layout.new_token()
    seq = 0
    for source_id, tables in groups:
        files = _Files(client, dest, layout.day_dir(dest, day, source_id), token, result, seq)
        rows = sum(files.add(t) for t in tables)
        files.flush()
        seq = files.seq
        if rows:
            result.rows += rows
            result.rows_by_source[source_id or "all"] = rows
    keep = set(result.keys)
    stale = [k for k in existing_keys(client, dest, day) if k not in keep and _older(k, token)]
    delete_keys(client, dest.bucket, stale)
    result.deleted = len(stale)
    return result


def existing_keys(client, dest: Destination, day: date) -> list[str]:
    """Every object of ``day`` at the destination, whatever source folder it is in."""
    if dest.format == "security_lake":
        return list(list_keys(client, dest.bucket, layout.day_dir(dest, day)))
    keys: list[str] = []
    for folder in list_folders(client, dest.bucket, layout.export_root(dest)):
        if folder.rsplit("/", 2)[-2].startswith("source_id="):
            keys.extend(list_keys(client, dest.bucket, folder + layout.day_suffix(day)))
    return keys


def _older(key: str, token: str) -> bool:
    m = _TOKEN_RE.search(key)
    return m is None or m.group(1) < token
