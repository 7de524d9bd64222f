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


class BackfillNotSupported(PullError):
    pass


def page_batch(page: Page, mapping, window: Window | None) -> Batch:
    """Normalize one page: objects are mapped (raw JSON kept), anything else is counted and quarantined."""
    records, raws, bad = [], [], []
    dumps = orjson.dumps
    for i, rec in enumerate(page.records):
        if isinstance(rec, dict):
            records.append(rec)
            raws.append(dumps(rec).decode())
        else:
            bad.append({"file": page.url, "line": i + 1, "error": f"expected a JSON object, got {type(rec).__name__}", "raw": dumps(rec).decode()})
    return Batch(
        mapping.to_table(records, raws),
        raw_count=page.raw_count if page.raw_count is not None else len(page.records),
        errors=len(bad) + (1 if page.cycle else 0),
        quarantine=bad,
        cursor=None if window is not None else page.cursor,
    )


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
            mapping = config.eventMapping.compiled
            for page in fetcher.pages(None if window is not None else cursor):
                yield page_batch(page, mapping, window)
