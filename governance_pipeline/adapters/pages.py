"""Pages of records fetched from an HTTP API, as the lake's batches: one page at a time (``page_batch``) or
consecutive pages grouped up to ``BATCH_ROWS`` records and mapped on worker threads (``page_batches``). Shared by
``http_polling`` and the reference sources."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson
import pyarrow as pa

from governance_pipeline.mapping.records import RecordMapper
from governance_pipeline.pull_types import Batch, Window
from governance_pipeline.read_ahead import ordered_map


@dataclass
class Page:
    records: list[Any]
    url: str  # redacted
    cursor: str | None  # safe to commit once this page and earlier ones are durable
    cycle: bool = False
    raw_count: int | None = None  # records before a source-side filter (default: len(records))
    lines: list[bytes] | None = None  # instead of records: each event (a JSON object) as compact JSON text


BATCH_ROWS = 5_000  # pages are mapped and written together up to this many records (fewer, larger Arrow calls)
MAP_THREADS = 2  # batches mapped at once: the block mapping releases the GIL while the next page is fetched


class _Pending:
    """Records (or JSON lines) of consecutive pages waiting to be mapped as one batch."""

    def __init__(self) -> None:
        self.records: list = []
        self.raws: list[str] = []
        self.lines: list[bytes] = []
        self.bad: list[dict] = []
        self.where: list[tuple[str, int]] = []  # (page URL, position on the page) of each record or line
        self.raw_count = 0
        self.errors = 0
        self.cursor: str | None = None

    @property
    def size(self) -> int:
        return len(self.records) + len(self.lines) + len(self.bad)

    def takes(self, page: Page) -> bool:
        """Whether ``page`` can join this batch (a batch holds either decoded records or JSON lines)."""
        if page.lines is None:
            return not self.lines
        return not (self.records or self.bad)

    def add(self, page: Page) -> None:
        if page.lines is not None:
            self.lines.extend(page.lines)
            self.where.extend((page.url, i + 1) for i in range(len(page.lines)))
        dumps = orjson.dumps
        for i, rec in enumerate(page.records):
            if isinstance(rec, dict):
                self.records.append(rec)
                self.raws.append(dumps(rec, option=orjson.OPT_NON_STR_KEYS, default=str).decode())
                self.where.append((page.url, i + 1))
            else:
                self.bad.append(
                    {
                        "file": page.url,
                        "line": i + 1,
                        "error": f"expected a JSON object, got {type(rec).__name__}",
                        "raw": dumps(rec).decode(),
                    }
                )
        self.raw_count += page.raw_count if page.raw_count is not None else len(page.records) + len(page.lines or ())
        self.errors += 1 if page.cycle else 0
        self.cursor = page.cursor

    def batch(self, mapper: RecordMapper, window: Window | None) -> Batch:
        if self.lines:
            # events that arrived as compact JSON lines: one NDJSON block, the same call as S3 drops
            # (a reject's line counts from the block's first line, whichever part of the block it came in)
            parts = list(mapper.map_lines(b"\n".join([*self.lines, b""]), batch_rows=len(self.lines)))
            table = pa.concat_tables([p.table for p in parts]) if parts else mapper.map_records([], [])[0]
            rejects = [(r.line - 1, r.reason, r.raw) for p in parts for r in p.rejects]
        else:
            table, found = mapper.map_records(self.records, self.raws)
            rejects = [(i, reason, self.raws[i]) for i, reason in found]
        bad = self.bad + [
            {"file": self.where[i][0], "line": self.where[i][1], "error": reason, "raw": raw}
            for i, reason, raw in rejects
        ]
        return Batch(
            table,
            raw_count=self.raw_count,
            errors=len(bad) + self.errors,
            quarantine=bad,
            cursor=None if window is not None else self.cursor,
        )


def page_batch(page: Page, mapping: Any, window: Window | None) -> Batch:
    """Normalize one page: objects are mapped (raw JSON kept), anything else is counted and quarantined."""
    pending = _Pending()
    pending.add(page)
    return pending.batch(_mapper_of(mapping), window)


@lru_cache(maxsize=64)
def _mapper_of(mapping: Any) -> RecordMapper:  # the adapters paging by hand keep one mapping per run
    return RecordMapper(mapping)


def _groups(pages: Iterable[Page], rows: int) -> Iterator[_Pending]:
    pending = _Pending()
    for page in pages:
        if not pending.takes(page):
            yield pending
            pending = _Pending()
        pending.add(page)
        if pending.size >= rows:
            yield pending
            pending = _Pending()
    if pending.raw_count or pending.cursor is not None:
        yield pending


def page_batches(
    pages: Iterable[Page], mapper: RecordMapper, window: Window | None, rows: int = BATCH_ROWS
) -> Iterator[Batch]:
    """Consecutive pages as batches of about ``rows`` records, each carrying its last page's cursor. Batches are
    mapped on worker threads (the block mapping releases the GIL) and come out in order."""
    return ordered_map(
        lambda pending: pending.batch(mapper, window), _groups(pages, rows), workers=MAP_THREADS, ahead=MAP_THREADS
    )
