"""The S3 drop engine shared by ``s3_polling`` and ``openai_compliance``.

A run lists the keys after the cursor's floor, reads each new object in key order (streamed, bounded memory),
maps each parsed batch to Arrow and yields it; after an object's last batch it yields the cursor that includes
that object. The sensor does the same listing, bounded in pages and time, and asks for one run per tick.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from itertools import groupby
from operator import attrgetter
from typing import Any

import pyarrow as pa
from botocore.exceptions import BotoCoreError, ClientError

from governance_pipeline.mapping.event_mapping import EventMapping
from governance_pipeline.mapping.records import Mapped, RecordMapper
from governance_pipeline.pull_types import Batch, SensorPoll, Window
from governance_pipeline.read_ahead import ordered_map, read_ahead
from governance_pipeline.s3.client import S3Location, access_error, make_client
from governance_pipeline.s3.cursor import DEFAULT_OVERLAP, KeyCursor
from governance_pipeline.s3.listing import ObjectInfo, clean_etag, iter_pages, list_after
from governance_pipeline.s3.parsers import BATCH_ROWS, Parsed, bad_record, parse
from governance_pipeline.s3.stream import READ_CHUNK, StreamError, decoded, line_aligned

SENSOR_MAX_PAGES = 20  # 20,000 keys per tick at most
SENSOR_BUDGET_SECONDS = 20.0  # well inside Dagster's 60 s tick limit
BLOCK_BYTES = 16 << 20  # decompressed NDJSON mapped at once by the block mapping (about 25,000 events of 600 bytes)
RUN_KEY_LIST = 10  # objects named one by one in a run key; more are summarised by a digest
READ_AHEAD = 2  # pieces (blocks of up to BLOCK_BYTES) fetched and inflated ahead of the mapping
MAP_THREADS = 2  # blocks mapped at once (DuckDB and Arrow release the GIL)


@dataclass
class _Piece:
    """Part of one object's content as the read-ahead worker hands it over."""

    obj: ObjectInfo
    etag: str | None  # None: the object disappeared after listing
    data: bytes = b""
    error: StreamError | None = None
    mapped: Iterator[Mapped] = field(default_factory=lambda: iter(()))  # NDJSON: ``data`` mapped


@dataclass
class S3Drops:
    location: S3Location
    parser: str
    mapping: EventMapping
    credentials: Callable[[], Mapping[str, str] | None]
    session_name: str
    overlap: int = DEFAULT_OVERLAP
    constants: dict[str, str] = field(default_factory=dict)  # column -> value where the mapping has none
    fallbacks: dict[str, str] = field(default_factory=dict)  # text column -> JSONPath used where it is null
    batch_rows: int = BATCH_ROWS
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("governance_pipeline.s3"))
    newest_written: datetime | None = field(default=None, init=False)  # LastModified of the newest object read

    def client(self) -> Any:
        """A new client: credentials are resolved (and the role assumed) now, never reused across runs."""
        return make_client(self.location, self.credentials(), self.session_name)

    # -- pulls -----------------------------------------------------------------------------------
    def stream(self, cursor_text: str | None, window: Window | None) -> Iterator[Batch]:
        """Every object new since ``cursor_text`` (a backfill, ``window`` set, re-reads every object).

        A worker thread lists, fetches and inflates up to ``READ_AHEAD`` pieces ahead, so the next object is
        on its way while this one is mapped and written."""
        client = self.client()
        cursor = KeyCursor.parse(None if window else cursor_text, self.overlap)
        listed = KeyCursor(cursor.overlap, cursor.max_key, dict(cursor.seen))  # the worker's copy
        new_objects = (
            obj for page in iter_pages(client, self.location, cursor.floor) for obj in page if listed.is_new(obj)
        )
        pieces = read_ahead(self._pieces(client, new_objects), READ_AHEAD, name=f"s3-read-{self.session_name}")
        if self._ndjson:
            _ = self.mapper  # built once, here, before the map threads share it
            pieces = ordered_map(self._map_piece, pieces, workers=MAP_THREADS, ahead=MAP_THREADS)
        for obj, object_pieces in groupby(pieces, key=attrgetter("obj")):
            etag = yield from self._object_batches(obj, object_pieces)
            if etag is None:
                continue
            cursor.record(obj.key, etag)
            if obj.last_modified is not None and (
                self.newest_written is None or obj.last_modified > self.newest_written
            ):
                self.newest_written = obj.last_modified
            if window is None:
                yield Batch(self._empty(), raw_count=0, cursor=cursor.dump())

    def _pieces(self, client: Any, objects: Iterator[ObjectInfo]) -> Iterator[_Piece]:
        """For each object, its content in pieces (NDJSON: line-aligned blocks; otherwise decoded chunks), a piece
        carrying the stream error if the content breaks, and a last, empty piece."""
        for obj in objects:
            response = self._get(client, obj)
            if response is None:
                yield _Piece(obj, None)
                continue
            etag = clean_etag(response.get("ETag")) or obj.etag
            body = response["Body"]
            try:
                content = decoded(body.iter_chunks(READ_CHUNK))
                for data in line_aligned(content, BLOCK_BYTES) if self._ndjson else content:
                    yield _Piece(obj, etag, data)
            except StreamError as exc:
                yield _Piece(obj, etag, error=exc)
            finally:
                body.close()
            yield _Piece(obj, etag)

    def _get(self, client: Any, obj: ObjectInfo) -> dict | None:
        """The GetObject response, or None when the object disappeared after listing."""
        try:
            return client.get_object(Bucket=self.location.bucket, Key=obj.key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                self.log.warning("s3://%s/%s disappeared after listing; skipped", self.location.bucket, obj.key)
                return None
            raise access_error(self.location, f"read {obj.key} in", exc) from None
        except BotoCoreError as exc:
            raise access_error(self.location, f"read {obj.key} in", exc) from None

    def _object_batches(self, obj: ObjectInfo, pieces: Iterator[_Piece]) -> Generator[Batch, None, str | None]:
        """Yield the object's batches; return the ETag actually read (None if it vanished meanwhile)."""
        etag: str | None = None

        def content() -> Iterator[_Piece]:
            nonlocal etag
            for piece in pieces:
                etag = piece.etag
                if piece.error is not None:
                    raise piece.error
                if piece.data:
                    yield piece

        if self._ndjson:
            yield from self._ndjson_blocks(content(), obj.key)
        else:
            for parsed in parse(self.parser, (piece.data for piece in content()), obj.key, self.batch_rows):
                yield self._batch(parsed, obj.key)
        for _ in content():  # a parser may stop early (e.g. a broken CSV); the ETag comes with the last piece
            pass
        return etag

    def _map_piece(self, piece: _Piece) -> _Piece:
        """On a worker thread: the block mapping of the piece (where it declines, the parts come line by line as
        they are read)."""
        if piece.data:
            piece.mapped = self.mapper.map_lines(piece.data, self.batch_rows)
        return piece

    def _ndjson_blocks(self, pieces: Iterable[_Piece], key: str) -> Iterator[Batch]:
        """NDJSON by line-aligned blocks, each mapped by ``RecordMapper``; a line that does not map is quarantined
        with its line number in the object."""
        line = 1
        try:
            for piece in pieces:
                covered = 0
                for part in piece.mapped:
                    bad = [bad_record(key, line + r.line - 1, r.reason, r.raw) for r in part.rejects]
                    yield Batch(self._finish(part.table), raw_count=part.count, errors=len(bad), quarantine=bad)
                    covered += part.lines
                line += covered
        except StreamError as exc:
            yield Batch(self._empty(), raw_count=1, errors=1, quarantine=[bad_record(key, line, str(exc))])

    def _batch(self, parsed: Parsed, key: str = "") -> Batch:
        table, rejects = self.mapper.map_records(parsed.records, parsed.raws)
        bad = parsed.bad + [bad_record(key, parsed.lines[i], reason, parsed.raws[i]) for i, reason in rejects]
        return Batch(self._finish(table), raw_count=parsed.raw_count, errors=len(bad), quarantine=bad)

    @cached_property
    def mapper(self) -> RecordMapper:
        return RecordMapper(self.mapping, self.fallbacks)

    @property
    def _ndjson(self) -> bool:
        return self.parser == "ndjson"

    def _empty(self) -> pa.Table:
        return self._finish(self.mapper.map_records([], [])[0])

    def _finish(self, table: pa.Table) -> pa.Table:
        for name, value in self.constants.items():
            if name not in table.column_names:
                table = table.append_column(name, pa.repeat(pa.scalar(value, pa.string()), table.num_rows))
        return table

    # -- sensor ----------------------------------------------------------------------------------
    def sensor_poll(self, cursor_text: str | None) -> SensorPoll:
        """New objects since the sensor's cursor, listed within a page and time budget; one run key per tick."""
        client = self.client()
        cursor = KeyCursor.parse(cursor_text, self.overlap)
        listing = list_after(
            client,
            self.location,
            cursor.floor,
            max_pages=SENSOR_MAX_PAGES,
            deadline=time.monotonic() + SENSOR_BUDGET_SECONDS,
        )
        new = [o for o in listing.objects if cursor.is_new(o)]
        if not new:
            return SensorPoll([], cursor_text, skip_reason=f"no new objects under {self.location.describe()}")
        for obj in new:
            cursor.record(obj.key, obj.etag)
        return SensorPoll([run_key(new)], cursor.dump())


def run_key(objects: list[ObjectInfo]) -> str:
    """Names the objects (key@ETag) that made the sensor ask for a run; a digest covers long lists."""
    named = [f"{o.key}@{o.etag}" for o in objects]
    if len(named) <= RUN_KEY_LIST:
        return ",".join(named)
    digest = hashlib.sha256("\n".join(named).encode()).hexdigest()[:16]
    return f"{len(named)} objects {named[0]} .. {named[-1]} #{digest}"
