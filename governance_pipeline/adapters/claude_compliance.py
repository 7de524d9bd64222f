"""``claude_compliance``: the Anthropic Compliance API activity feed (Claude Enterprise).

``GET {baseUrl}/v1/compliance/activities`` with ``x-api-key``; filters ``created_at.gte`` / ``created_at.lt``;
pages ``{data, has_more, first_id, last_id}`` newest first, the next page asked with ``after_id=<last_id>``.
Because the feed is newest first, the cursor (the newest ``created_at`` seen) is committed only after the
last page; each run re-reads ``LOOKBACK`` before it, since activities become queryable up to about a minute
late (the lake drops the repeats).
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
    parse_time,
)
from governance_pipeline.config.cron import Cron
from governance_pipeline.errors import PullError
from governance_pipeline.http.client import HttpClient
from governance_pipeline.http.paginators import JSONCursorPaginator, PageRequest, PageView, paginate
from governance_pipeline.http.redact import redact_url
from governance_pipeline.pull_types import Batch, Window

DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
PAGE_LIMIT = 100
LOOKBACK = timedelta(minutes=10)
_NOT_RESOURCES = {"id", "organization_id", "organization_uuid", "claude_project_id"}


def resource_of(record: Any) -> str | None:
    """The activity's own resource: its first type-specific ``*_id`` (the project only as a fallback)."""
    if not isinstance(record, dict):
        return None
    for key, value in record.items():
        if key.endswith("_id") and key not in _NOT_RESOURCES and isinstance(value, str) and value:
            return value
    return record.get("claude_project_id")


DEFAULT_MAPPING: dict[str, FieldSpec] = {
    "source_event_id": "$.id",
    "event_timestamp": "$.created_at",
    "actor": ["$.actor.email_address", "$.actor.user_id", "$.actor.api_key_id"],
    "action": "$.type",
    "target": resource_of,
    "organization_id": "$.organization_id",
    "provider": lambda r: "anthropic",
}


class ClaudeComplianceConfig(ReferenceConfig):
    baseUrl: str = DEFAULT_BASE_URL
    schedule: Cron | None = "*/15 * * * *"


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class ClaudeComplianceAdapter(ReferenceAdapter[ClaudeComplianceConfig]):
    type_name = "claude_compliance"
    Config = ClaudeComplianceConfig
    credential_keys = ("apiKey",)
    default_max_lag_minutes = 120

    def _start(self, cursor: str | None) -> datetime:
        last = parse_time(cursor) if cursor else None
        if last is not None:
            return last - LOOKBACK
        d = self.source.start_date
        return datetime(d.year, d.month, d.day, tzinfo=UTC)

    def complete_before(self, cursor: str | None, started_at: datetime) -> datetime | None:
        """Read to the last page from the pull's start: complete up to it, less the ``LOOKBACK`` of late activities."""
        return started_at - LOOKBACK

    def stream(self, cursor: str | None, window: Window | None) -> Iterator[Batch]:
        config: ClaudeComplianceConfig = self.config
        api_key = self.credentials()["apiKey"]
        mapping = ReferenceMapping(DEFAULT_MAPPING, config.eventMapping)
        url = f"{config.base}/v1/compliance/activities"
        params: dict[str, Any] = {"limit": PAGE_LIMIT}
        if window is not None:
            params["created_at.gte"], params["created_at.lt"] = window.iso()
        else:
            params["created_at.gte"] = _iso(self._start(cursor))
        headers = {"x-api-key": api_key, "anthropic-version": API_VERSION, "Accept": "application/json"}
        newest = parse_time(cursor) if cursor else None
        paginator = JSONCursorPaginator("after_id")
        self.client = HttpClient(secrets=(api_key,), **config.retry.client_options())
        with self.client as client:

            def fetch(request: PageRequest) -> tuple[tuple[list, str], PageView]:
                resp = client.get(request.url, params=dict(request.params), headers=headers)
                shown = redact_url(resp.url, client.secrets)
                try:
                    doc = orjson.loads(resp.content)
                    data = doc.get("data") or []
                except (orjson.JSONDecodeError, AttributeError):
                    raise PullError(
                        f"source '{self.source.id}': response to GET {shown} is not a JSON object"
                    ) from None
                more = doc.get("has_more") is not False
                return (data, shown), PageView(shown, len(data), values={"next": doc.get("last_id"), "has_more": more})

            cycles = 0
            for data, shown in paginate(paginator, PageRequest(url, params), fetch):
                for rec in data:
                    ts = parse_time(rec.get("created_at")) if isinstance(rec, dict) else None
                    if ts is not None and (newest is None or ts > newest):
                        newest = ts
                page = Page(data, shown, None, paginator.cycles > cycles)
                cycles = paginator.cycles
                yield page_batch(page, mapping, window)
        if window is None and newest is not None:
            yield Batch(mapping.to_table([], []), raw_count=0, cursor=_iso(newest))
