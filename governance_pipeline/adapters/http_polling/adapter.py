"""``http_polling``: a paginated REST audit API pulled by a declarative config (see docs/http_polling.md)."""

from __future__ import annotations

from typing import Iterable, Iterator

import orjson

from governance_pipeline.adapters.base import Adapter, Batch, Window
from governance_pipeline.adapters.http_polling.auth import Auth
from governance_pipeline.adapters.http_polling.config import HttpPollingConfig
from governance_pipeline.adapters.http_polling.engine import Page, PageFetcher, PullError
from governance_pipeline.adapters.http_polling.templates import Context
from governance_pipeline.http.client import HttpClient
from governance_pipeline.read_ahead import read_ahead


class BackfillNotSupported(PullError):
    pass


BATCH_ROWS = 5_000  # pages are mapped and written together up to this many records (fewer, larger Arrow calls)


class _Pending:
    """Records of consecutive pages waiting to be mapped as one batch."""

    def __init__(self) -> None:
        self.records: list = []
        self.raws: list[str] = []
        self.bad: list[dict] = []
        self.raw_count = 0
        self.errors = 0
        self.cursor: str | None = None

    def add(self, page: Page) -> None:
        dumps = orjson.dumps
        for i, rec in enumerate(page.records):
            if isinstance(rec, dict):
                self.records.append(rec)
                self.raws.append(dumps(rec).decode())
            else:
                self.bad.append({"file": page.url, "line": i + 1, "error": f"expected a JSON object, got {type(rec).__name__}", "raw": dumps(rec).decode()})
        self.raw_count += page.raw_count if page.raw_count is not None else len(page.records)
        self.errors += 1 if page.cycle else 0
        self.cursor = page.cursor

    def batch(self, mapping, window: Window | None) -> Batch:
        return Batch(
            mapping.to_table(self.records, self.raws),
            raw_count=self.raw_count,
            errors=len(self.bad) + self.errors,
            quarantine=self.bad,
            cursor=None if window is not None else self.cursor,
        )


def page_batch(page: Page, mapping, window: Window | None) -> Batch:
    """Normalize one page: objects are mapped (raw JSON kept), anything else is counted and quarantined."""
    pending = _Pending()
    pending.add(page)
    return pending.batch(mapping, window)


def page_batches(pages: Iterable[Page], mapping, window: Window | None, rows: int = BATCH_ROWS) -> Iterator[Batch]:
    """Consecutive pages as batches of about ``rows`` records; each batch carries its last page's cursor."""
    pending = _Pending()
    for page in pages:
        pending.add(page)
        if len(pending.records) + len(pending.bad) >= rows:
            yield pending.batch(mapping, window)
            pending = _Pending()
    if pending.raw_count or pending.cursor is not None:
        yield pending.batch(mapping, window)


class HttpPollingAdapter(Adapter):
    """Pulls pages until an empty page, has-more false, no next page, or a cursor cycle."""

    type_name = "http_polling"
    Config = HttpPollingConfig
    trigger = "schedule"
    can_filter_by_time = True

    @classmethod
    def check_config(cls, config: HttpPollingConfig, entry, credentials: dict) -> Iterable[tuple[str, str]]:
        ref = config.credentialRef
        for key, where in config.credential_keys().items():
            if ref is None:
                yield where, f"needs credentialRef (it reads credential key '{key}')"
                return
            if ref in credentials and key not in credentials[ref]:
                yield where, f"credential set '{ref}' has no key '{key}'"

    def stream(self, cursor: str | None, window: Window | None) -> Iterator[Batch]:
        config: HttpPollingConfig = self.config
        if window is not None and not config.compiled.has_window:
            raise BackfillNotSupported(
                f"source '{self.source.id}' cannot be backfilled by time: its url, params, body or headers use "
                "no ${{window.start}} / ${{window.end}} template"
            )
        creds = self.credentials()
        start, end = window.iso() if window is not None else (None, None)
        ctx = Context(creds, self.source.template_fields(), None, start, end)
        self.client = HttpClient(config.retry.policy(), timeout=config.retry.timeoutSeconds, secrets=tuple(creds.values()))
        with self.client:
            fetcher = PageFetcher(self.source.id, config, ctx, self.client, Auth(config, ctx, self.client))
            pages = read_ahead(fetcher.pages(None if window is not None else cursor), name=f"http-fetch-{self.source.id}")
            yield from page_batches(pages, config.eventMapping.compiled, window)
