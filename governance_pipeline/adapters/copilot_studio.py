"""``copilot_studio``: Microsoft 365 Copilot / Copilot Studio interactions from the Office 365 Management
Activity API.

Per run: an OAuth2 client-credentials token (``tenantId``, ``clientId``, ``clientSecret``) from
``{authUrl}/{tenantId}/oauth2/v2.0/token``; the ``Audit.General`` subscription is started if it is not
enabled; content is listed in windows of at most 24 h (``startTime``/``endTime``, content kept 7 days),
each listing paged through the ``NextPageUri`` header; every ``contentUri`` blob is fetched and its
``CopilotInteraction`` records (RecordType 261) are mapped. The cursor is the end of the last window fully
read; each run re-lists ``LOOKBACK`` before it (repeats are dropped by the lake).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from governance_pipeline.adapters.pages import Page, page_batch
from governance_pipeline.adapters.reference import (
    FieldSpec,
    ReferenceAdapter,
    ReferenceConfig,
    ReferenceMapping,
)
from governance_pipeline.config.cron import Cron
from governance_pipeline.errors import PullError
from governance_pipeline.http.client import HttpClient, HttpError
from governance_pipeline.http.oauth2 import ClientCredentialsToken
from governance_pipeline.http.paginators import (
    CrossOriginRefused,
    HeaderLinkPaginator,
    PageRequest,
    PageView,
    origin,
    paginate,
)
from governance_pipeline.http.redact import redact_url
from governance_pipeline.pull_types import Batch, Window

CONTENT_TYPE = "Audit.General"
COPILOT_RECORD_TYPES = frozenset({261})
MAX_WINDOW = timedelta(hours=24)
RETENTION = timedelta(days=7) - timedelta(minutes=5)
LOOKBACK = timedelta(hours=1)
BACKFILL_LAG = timedelta(days=3)  # records are listed up to ~2-3 days after the interaction
_FMT = "%Y-%m-%dT%H:%M:%S"

DEFAULT_MAPPING: dict[str, FieldSpec] = {
    "source_event_id": "$.Id",
    "event_timestamp": "$.CreationTime",
    "actor": "$.UserId",
    "action": "$.Operation",
    "target": ["$.CopilotEventData.AgentName", "$.CopilotEventData.AgentId", "$.CopilotEventData.AppHost"],
    "model": "$.CopilotEventData.ModelTransparencyDetails[0].ModelName",
    "conversation_id": "$.CopilotEventData.ThreadId",
    "organization_id": "$.OrganizationId",
    "provider": lambda r: "microsoft",
}


class CopilotStudioConfig(ReferenceConfig):
    baseUrl: str = "https://manage.office.com"
    authUrl: str = "https://login.microsoftonline.com"
    schedule: Cron | None = "0 * * * *"


def windows(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """``[start, end)`` cut into consecutive pieces of at most 24 h."""
    out = []
    while start < end:
        stop = min(start + MAX_WINDOW, end)
        out.append((start, stop))
        start = stop
    return out


class CopilotStudioAdapter(ReferenceAdapter[CopilotStudioConfig]):
    type_name = "copilot_studio"
    Config = CopilotStudioConfig
    credential_keys = ("tenantId", "clientId", "clientSecret")
    _oldest: datetime | None = None  # the retention edge of this run's listing, once it has started

    def _range(self, cursor: str | None, window: Window | None, now: datetime) -> tuple[datetime, datetime]:
        oldest = self._oldest = now - RETENTION
        if window is not None:
            start, end = window.start, min(window.end + BACKFILL_LAG, now)
            if end <= oldest:
                raise PullError(
                    f"source '{self.source.id}': the Office 365 Management Activity API keeps content for 7 days; "
                    f"the window {window.iso()[0]}..{window.iso()[1]} is older",
                    permanent=True,  # the API will never have it again
                )
        elif cursor:
            start, end = datetime.strptime(cursor, _FMT).replace(tzinfo=UTC) - LOOKBACK, now
        else:
            d = self.source.start_date
            start, end = datetime(d.year, d.month, d.day, tzinfo=UTC), now
        if start < oldest:
            self.log.warning(
                "source %s: content before %s is past the API's 7-day retention", self.source.id, oldest.strftime(_FMT)
            )
            start = oldest
        return start.replace(microsecond=0), end.replace(microsecond=0)

    def complete_before(self, cursor: str | None, started_at: datetime) -> datetime | None:
        """The cursor is the end of the last content window read in full; content shows up ``LOOKBACK`` late."""
        if not cursor:
            return None
        return datetime.strptime(cursor, _FMT).replace(tzinfo=UTC) - LOOKBACK

    def readable_from(self, started_at: datetime) -> datetime | None:
        """The API keeps content 7 days: nothing older than the retention edge of the listing could be read (a run
        that never listed: the edge now, later than any it could have had)."""
        return self._oldest or datetime.now(UTC) - RETENTION

    def stream(self, cursor: str | None, window: Window | None) -> Iterator[Batch]:
        config: CopilotStudioConfig = self.config
        creds = self.credentials()
        tenant = creds["tenantId"]
        mapping = ReferenceMapping(DEFAULT_MAPPING, config.eventMapping)
        feed = f"{config.base}/api/v1.0/{tenant}/activity/feed"
        self.client = HttpClient(secrets=(creds["clientSecret"],), **config.retry.client_options())
        with self.client as client:
            token = ClientCredentialsToken(
                client,
                f"{config.authUrl.rstrip('/')}/{tenant}/oauth2/v2.0/token",
                creds["clientId"],
                creds["clientSecret"],
                scope=f"{config.base}/.default",
            )
            self._get = lambda url, **kw: _get_json(client, token, url, **kw)
            self._origin = origin(config.base)
            self._ensure_subscription(feed)
            start, end = self._range(cursor, window, datetime.now(UTC))
            for w_start, w_end in windows(start, end):
                yield from self._window(feed, w_start, w_end, mapping, window)
                if window is None:
                    yield Batch(mapping.to_table([], []), raw_count=0, cursor=w_end.strftime(_FMT))

    def _ensure_subscription(self, feed: str) -> None:
        subs = self._get(f"{feed}/subscriptions/list")
        enabled = any(
            isinstance(s, dict) and s.get("contentType") == CONTENT_TYPE and str(s.get("status")).lower() == "enabled"
            for s in subs or []
        )
        if not enabled:
            self._get(f"{feed}/subscriptions/start", method="POST", params={"contentType": CONTENT_TYPE})

    def _follow(self, url: str) -> str:
        if origin(url) != self._origin:
            raise _BlobRefused(
                f"source '{self.source.id}': refusing to send the token to another host ({redact_url(url)})"
            )
        return url

    def _window(self, feed: str, start: datetime, end: datetime, mapping, window: Window | None) -> Iterator[Batch]:
        first = f"{feed}/subscriptions/content"
        params = {"contentType": CONTENT_TYPE, "startTime": start.strftime(_FMT), "endTime": end.strftime(_FMT)}
        # the header's URL is requested as given (its origin checked by the paginator), empty pages followed too
        paginator = HeaderLinkPaginator("NextPageUri", stop_after_empty_page=False)

        def fetch(request: PageRequest) -> tuple[list, PageView]:
            sent = request.params if request.url == first else None
            blobs, headers = self._get(request.url, params=sent, with_headers=True)
            blobs = blobs or []
            return blobs, PageView(request.url, len(blobs), headers=headers)

        try:
            for blobs in paginate(paginator, PageRequest(first, params), fetch):
                for blob in blobs:
                    uri = blob.get("contentUri") if isinstance(blob, dict) else None
                    if not uri:
                        continue
                    records = self._get(self._follow(uri)) or []
                    kept = [r for r in records if isinstance(r, dict) and r.get("RecordType") in COPILOT_RECORD_TYPES]
                    yield page_batch(Page(kept, redact_url(uri), None, raw_count=len(records)), mapping, window)
        except CrossOriginRefused as exc:
            if isinstance(exc, _BlobRefused):
                raise
            raise CrossOriginRefused(f"source '{self.source.id}': {exc}") from None
        if paginator.cycles:
            self.log.warning("source %s: NextPageUri cycle; stopped paging this window", self.source.id)


class _BlobRefused(CrossOriginRefused):
    """A content blob URI on another origin than ``baseUrl``."""


def _get_json(
    client: HttpClient, token: ClientCredentialsToken, url: str, method: str = "GET", params=None, with_headers=False
) -> Any:
    """One authorized call; a 401 drops the cached token and retries once with a fresh one."""
    try:
        resp = client.request(method, url, params=params, headers=token.header())
    except HttpError as exc:
        if exc.status != 401:
            raise
        token.invalidate()
        resp = client.request(method, url, params=params, headers=token.header())
    body = orjson.loads(resp.content) if resp.content else None
    return (body, resp.headers) if with_headers else body
