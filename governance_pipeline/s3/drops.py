"""The S3 drop engine shared by ``s3_polling`` and ``openai_compliance``.

A run lists the keys after the cursor's floor, reads each new object in key order (streamed, bounded memory),
maps each parsed batch to Arrow and yields it; after an object's last batch it yields the cursor that includes
that object. The sensor does the same listing, bounded in pages and time, and asks for one run per tick.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable, Iterator, Mapping

import pyarrow as pa
import pyarrow.compute as pc
from botocore.exceptions import BotoCoreError, ClientError

from governance_pipeline.adapters.base import Batch, SensorPoll, Window
from governance_pipeline.mapping.arrow_json import ArrowJsonMapping
from governance_pipeline.mapping.coerce import text_column
from governance_pipeline.mapping.event_mapping import EventMapping
from governance_pipeline.mapping.jsonpath import compile_path
from governance_pipeline.s3.client import S3Location, access_error, make_client
from governance_pipeline.s3.cursor import DEFAULT_OVERLAP, KeyCursor
from governance_pipeline.s3.listing import ObjectInfo, clean_etag, iter_pages, list_after
from governance_pipeline.s3.parsers import BATCH_ROWS, Parsed, bad_record, parse, parse_ndjson
from governance_pipeline.s3.stream import READ_CHUNK, StreamError, decoded, line_aligned

SENSOR_MAX_PAGES = 20  # 20,000 keys per tick at most
SENSOR_BUDGET_SECONDS = 20.0  # well inside Dagster's 60 s tick limit
BLOCK_BYTES = 16 << 20  # decompressed NDJSON mapped at once by Arrow (about 25,000 events of 600 bytes)
RUN_KEY_LIST = 10  # objects named one by one in a run key; more are summarised by a digest


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

    def client(self) -> Any:
        """A new client: credentials are resolved (and the role assumed) now, never reused across runs."""
        return make_client(self.location, self.credentials(), self.session_name)

    # -- pulls -----------------------------------------------------------------------------------
    def stream(self, cursor_text: str | None, window: Window | None) -> Iterator[Batch]:
        """Every object new since ``cursor_text`` (a backfill, ``window`` set, re-reads every object)."""
        client = self.client()
        cursor = KeyCursor.parse(None if window else cursor_text, self.overlap)
        for page in iter_pages(client, self.location, cursor.floor):
            for obj in page:
                if not cursor.is_new(obj):
                    continue
                etag = yield from self._read_object(client, obj)
                if etag is None:
                    continue
                cursor.record(obj.key, etag)
                if window is None:
                    yield Batch(self._table([], []), raw_count=0, cursor=cursor.dump())

    def _read_object(self, client: Any, obj: ObjectInfo) -> Iterator[Batch]:
        """Yield the object's batches; return the ETag actually read (None if it vanished meanwhile)."""
        try:
            response = client.get_object(Bucket=self.location.bucket, Key=obj.key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                self.log.warning("s3://%s/%s disappeared after listing; skipped", self.location.bucket, obj.key)
                return None
            raise access_error(self.location, f"read {obj.key} in", exc) from None
        except BotoCoreError as exc:
            raise access_error(self.location, f"read {obj.key} in", exc) from None
        body = response["Body"]
        try:
            chunks = decoded(body.iter_chunks(READ_CHUNK))
            if self.parser == "ndjson" and self._arrow.supported:
                yield from self._ndjson_blocks(chunks, obj.key)
            else:
                for parsed in parse(self.parser, chunks, obj.key, self.batch_rows):
                    yield self._batch(parsed)
        finally:
            body.close()
        return clean_etag(response.get("ETag")) or obj.etag

    def _ndjson_blocks(self, chunks: Iterator[bytes], key: str) -> Iterator[Batch]:
        """NDJSON by blocks: Arrow's JSON reader maps a block at once; a block it cannot map exactly (a bad
        line, mixed types) goes through the row parser, which quarantines what is malformed."""
        line = 1
        try:
            for block in line_aligned(chunks, BLOCK_BYTES):
                table = self._arrow.map_block(block)
                if table is not None:  # one row per line: the Arrow path declines blocks with blank lines
                    yield Batch(self._finish(table), raw_count=table.num_rows)
                    line += table.num_rows
                else:
                    for parsed in parse_ndjson([block], key, self.batch_rows, first_line=line):
                        yield self._batch(parsed)
                    line += block.count(b"\n")
        except StreamError as exc:
            yield Batch(self._table([], []), raw_count=1, errors=1, quarantine=[bad_record(key, line, str(exc))])

    def _batch(self, parsed: Parsed) -> Batch:
        return Batch(self._table(parsed.records, parsed.raws), raw_count=parsed.raw_count, errors=len(parsed.bad), quarantine=parsed.bad)

    @cached_property
    def _arrow(self) -> ArrowJsonMapping:
        return ArrowJsonMapping(self.mapping, self.fallbacks)

    def _table(self, records: list, raws: list[str]) -> pa.Table:
        """Row path: map parsed records (and apply the fallbacks) to a normalized table."""
        table = self.mapping.to_table(records, raws)
        for name, path in self.fallbacks.items():
            if name in table.column_names and table.column(name).null_count:
                get = compile_path(path)
                alt = text_column([get(r) for r in records])
                idx = table.column_names.index(name)
                table = table.set_column(idx, name, pc.coalesce(table.column(name), alt))
        return self._finish(table)

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
