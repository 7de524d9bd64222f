"""``openai_compliance_api``: the OpenAI Compliance Logs Platform (ChatGPT Enterprise / Edu).

``GET {baseUrl}/workspaces/{workspaceId}/logs?after=<ISO time>&limit=`` with a bearer key lists immutable log
files as ``{data: [{id, ...}], has_more, last_end_time}``; the next request uses ``after = last_end_time``.
Each file is downloaded from ``.../logs/{id}`` (redirects followed; the key is not forwarded to another host)
as JSONL, optionally gzipped. The cursor is the ``last_end_time`` of the last listing page whose files are
all written. The per-record schema is not public: the default mapping follows the documented field names
where known and can be overridden with ``eventMapping``.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import UTC, datetime

import orjson
from pydantic import Field

from governance_pipeline.adapters.base import Batch, Window, map_records
from governance_pipeline.adapters.http_polling.config import Cron
from governance_pipeline.adapters.http_polling.engine import PullError
from governance_pipeline.adapters.http_polling.pagination import CursorTracker, as_cursor
from governance_pipeline.adapters.http_polling.reference import (
    ReferenceAdapter,
    ReferenceConfig,
    ReferenceMapping,
    parse_time,
)
from governance_pipeline.http.client import HttpClient
from governance_pipeline.http.redact import redact_url

PAGE_LIMIT = 100
CHUNK_LINES = 20_000

DEFAULT_MAPPING = {
    "source_event_id": "$.id",
    "event_timestamp": ["$.created_at", "$.timestamp", "$.effective_at"],
    "actor": ["$.user.email", "$.actor.email", "$.user_email", "$.user.id"],
    "action": ["$.type", "$.event_type"],
    "target": ["$.model", "$.conversation_id"],
    "model": "$.model",
    "tokens_input": ["$.usage.prompt_tokens", "$.usage.input_tokens", "$.tokens.input"],
    "tokens_output": ["$.usage.completion_tokens", "$.usage.output_tokens", "$.tokens.output"],
    "cost_usd": ["$.cost.usd", "$.usage.cost"],
    "conversation_id": "$.conversation_id",
    "flags": "$.content_classification",
    "provider": lambda r: "openai",
}


class OpenAIComplianceApiConfig(ReferenceConfig):
    baseUrl: str = "https://api.chatgpt.com/v1/compliance"
    workspaceId: str = Field(min_length=1)
    schedule: Cron | None = "*/15 * * * *"


def parse_jsonl(body: bytes, name: str) -> tuple[list[dict], list[str], list[dict], int]:
    """Records, their raw lines, quarantined lines and the raw line count of one JSONL file."""
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    records, raws, bad, total = [], [], [], 0
    for lineno, line in enumerate(body.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        total += 1
        try:
            obj = orjson.loads(line)
            if not isinstance(obj, dict):
                raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
        except (orjson.JSONDecodeError, ValueError) as exc:
            bad.append({"file": name, "line": lineno, "error": str(exc), "raw": line.decode("utf-8", "replace")})
            continue
        records.append(obj)
        raws.append(line.decode())
    return records, raws, bad, total


class OpenAIComplianceApiAdapter(ReferenceAdapter):
    type_name = "openai_compliance_api"
    Config = OpenAIComplianceApiConfig
    credential_keys = ("apiKey",)

    def stream(self, cursor: str | None, window: Window | None) -> Iterator[Batch]:
        config: OpenAIComplianceApiConfig = self.config
        api_key = self.credentials()["apiKey"]
        mapping = ReferenceMapping(DEFAULT_MAPPING, config.eventMapping)
        url = f"{config.base}/workspaces/{config.workspaceId}/logs"
        headers = {"Authorization": f"Bearer {api_key}"}
        if window is not None:
            after, until = window.iso()
        else:
            d = self.source.start_date
            after, until = cursor or datetime(d.year, d.month, d.day, tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), None
        tracker = CursorTracker(after)
        self.client = HttpClient(config.retry.policy(), timeout=config.retry.timeoutSeconds, secrets=(api_key,))
        with self.client as client:
            while True:
                resp = client.get(url, params={"after": tracker.current, "limit": PAGE_LIMIT}, headers=headers)
                try:
                    doc = orjson.loads(resp.content)
                    files = doc.get("data") or []
                except (orjson.JSONDecodeError, AttributeError):
                    shown = redact_url(resp.url, client.secrets)
                    raise PullError(
                        f"source '{self.source.id}': response to GET {shown} is not a JSON object"
                    ) from None
                for item in files:
                    file_id = item.get("id") if isinstance(item, dict) else None
                    if file_id:
                        yield from self._file(client, f"{url}/{file_id}", headers, mapping)
                last_end = as_cursor(doc.get("last_end_time"))
                cycles = tracker.cycles
                more = tracker.advance(last_end, len(files), doc.get("has_more") is not False)
                if tracker.cycles > cycles:
                    self.log.warning("source %s: listing cursor cycle; stopped paging", self.source.id)
                if window is None and files:
                    yield Batch(
                        mapping.to_table([], []), raw_count=0, errors=tracker.cycles - cycles, cursor=tracker.safe
                    )
                if not more or _past(last_end, until):
                    break

    def _file(self, client: HttpClient, url: str, headers: dict, mapping) -> Iterator[Batch]:
        resp = client.get(url, headers=headers)
        shown = redact_url(url, client.secrets)
        records, raws, bad, _total = parse_jsonl(resp.content, shown)
        for i in range(0, max(len(records), 1), CHUNK_LINES):
            first = i == 0
            table, poisoned = map_records(mapping, records[i : i + CHUNK_LINES], raws[i : i + CHUNK_LINES], shown)
            for p in poisoned:
                p["record"] += i
            quarantine = (bad if first else []) + poisoned
            yield Batch(
                table,
                raw_count=(len(records[i : i + CHUNK_LINES]) + (len(bad) if first else 0)),
                errors=len(quarantine),
                quarantine=quarantine,
            )


def _past(last_end: str | None, until: str | None) -> bool:
    """In a backfill: the listing has reached the window's end."""
    if until is None:
        return False
    a, b = parse_time(last_end), parse_time(until)
    return a is not None and b is not None and a >= b
