"""Replace one day's objects at a destination so that readers never see the day twice.

Objects have deterministic names: ``part-<seq>[.<codec>].parquet``, numbered from 1 in each day folder (one
per source; one for Security Lake). A re-export therefore overwrites the previous export's objects in place,
each with a single PUT (atomic on S3). What the new export does not overwrite (a shorter tail of parts,
objects of a source that has no rows any more, objects named by an older version, foreign files) is stale:
each stale Parquet object is first overwritten with an empty Parquet object of the day's schema (a PUT, the
permission the export already uses), and only then deleted. So a delete that is refused or interrupted leaves
empty objects behind, never old rows beside the new ones: readers see exactly the new day.

Object names carry no write token, so two exports of one destination must not run at once: they share the
Dagster pool ``export_<id>``, limited to one step by ``dagster.yaml``.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq

from governance_pipeline.export import layout
from governance_pipeline.export.config import Destination
from governance_pipeline.export.s3 import delete_keys, list_folders, list_keys


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

    def __init__(self, client, dest: Destination, folder: str, result: DayResult):
        self.client, self.dest, self.folder, self.result = client, dest, folder, result
        self.seq = 0
        self.schema: pa.Schema | None = None  # of the last object written
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
        self.schema = self.writer.schema
        data = self.buf.getvalue()
        self.seq += 1
        key = self.folder + layout.object_name(self.dest, self.seq)
        self.client.upload_fileobj(io.BytesIO(data), self.dest.bucket, key)
        self.result.keys.append(key)
        self.result.files += 1
        self.result.bytes += len(data)
        self.writer, self.buf, self.rows = None, None, 0


def write_day(
    client, dest: Destination, day: date, groups: Iterable[tuple[str | None, Iterator[pa.Table]]]
) -> DayResult:
    """Write ``groups`` (one per source, or one for Security Lake) as ``day``'s objects, then retire the rest."""
    result = DayResult(day)
    before = existing_keys(client, dest, day)
    schema: pa.Schema | None = None
    for source_id, tables in groups:
        files = _Files(client, dest, layout.day_dir(dest, day, source_id), result)
        rows = sum(files.add(t) for t in tables)
        files.flush()
        schema = schema or files.schema
        if rows:
            result.rows += rows
            result.rows_by_source[source_id or "all"] = rows
    keep = set(result.keys)
    stale = [k for k in before if k not in keep]
    if schema is not None:
        # first make every stale object empty (a PUT), so that a refused or interrupted delete leaves no old rows
        # beside the new ones; a day with no new rows writes nothing, so a refused delete leaves the old day
        empty = _empty_parquet(schema, dest)
        for key in stale:
            if key.endswith(".parquet"):
                client.upload_fileobj(io.BytesIO(empty), dest.bucket, key)
    try:
        delete_keys(client, dest.bucket, stale)
    except Exception as exc:
        raise StaleObjectsLeft(exc, len(stale), emptied=schema is not None) from exc
    result.deleted = len(stale)
    return result


class StaleObjectsLeft(Exception):
    """The day's new objects are in place but the stale ones could not be deleted (they were emptied first)."""

    def __init__(self, cause: BaseException, count: int, emptied: bool):
        self.cause, self.count, self.emptied = cause, count, emptied
        super().__init__(f"{count} stale object(s) not deleted: {cause}")


def _empty_parquet(schema: pa.Schema, dest: Destination) -> bytes:
    buf = io.BytesIO()
    pq.write_table(schema.empty_table(), buf, compression=None if dest.compression == "none" else dest.compression)
    return buf.getvalue()


def existing_keys(client, dest: Destination, day: date) -> list[str]:
    """Every object of ``day`` at the destination, whatever source folder it is in."""
    if dest.format == "security_lake":
        return list(list_keys(client, dest.bucket, layout.day_dir(dest, day)))
    keys: list[str] = []
    for folder in list_folders(client, dest.bucket, layout.export_root(dest)):
        if folder.rsplit("/", 2)[-2].startswith("source_id="):
            keys.extend(list_keys(client, dest.bucket, folder + layout.day_suffix(day)))
    return keys
