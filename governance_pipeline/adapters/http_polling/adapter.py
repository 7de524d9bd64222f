"""``http_polling``: a paginated REST audit API pulled by a declarative config (see docs/http_polling.md)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from governance_pipeline.adapters.base import Adapter, Batch, Window
from governance_pipeline.adapters.http_polling.auth import Auth
from governance_pipeline.adapters.http_polling.config import HttpPollingConfig
from governance_pipeline.adapters.http_polling.engine import PageFetcher
from governance_pipeline.adapters.http_polling.templates import Context
from governance_pipeline.adapters.pages import page_batches
from governance_pipeline.errors import PermanentError, PullError
from governance_pipeline.http.client import HttpClient
from governance_pipeline.mapping.records import RecordMapper
from governance_pipeline.read_ahead import read_ahead


class BackfillNotSupported(PullError, PermanentError):
    pass


SETTLE = timedelta(minutes=5)  # how late an audit API may index an event (a day completes this long after it ends)


class HttpPollingAdapter(Adapter[HttpPollingConfig]):
    """Pulls pages until an empty page, has-more false, no next page, or a cursor cycle."""

    type_name = "http_polling"
    Config = HttpPollingConfig
    trigger = "schedule"
    default_max_lag_minutes = 120  # an audit log in use records something every hour or two

    @classmethod
    def check_config(cls, config: HttpPollingConfig, entry, credentials: dict) -> Iterable[tuple[str, str]]:
        ref = config.credentialRef
        for key, where in config.credential_keys().items():
            if ref is None:
                yield where, f"needs credentialRef (it reads credential key '{key}')"
                return
            if ref in credentials and key not in credentials[ref]:
                yield where, f"credential set '{ref}' has no key '{key}'"

    def complete_before(self, cursor: str | None, started_at: datetime) -> datetime | None:
        """Paged to the end: whatever the API held when the pull began is in, save ``SETTLE`` of indexing lag."""
        return started_at - SETTLE

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
        self.client = HttpClient(secrets=tuple(creds.values()), **config.retry.client_options())
        with self.client:
            mapper = RecordMapper(config.eventMapping.compiled)
            fetcher = PageFetcher(
                self.source.id, config, ctx, self.client, Auth(config, ctx, self.client), as_lines=mapper.takes_blocks
            )
            pages = read_ahead(
                fetcher.pages(None if window is not None else cursor), name=f"http-fetch-{self.source.id}"
            )
            yield from page_batches(pages, mapper, window)
