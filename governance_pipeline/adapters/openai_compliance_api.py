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

from governance_pipeline.adapters.base import map_records
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
from governance_pipeline.http.paginators import JSONCursorPaginator, PageRequest, PageView, as_cursor, paginate
from governance_pipeline.http.redact import redact_url
from governance_pipeline.pull_types import Batch, Window

PAGE_LIMIT = 100
CHUNK_LINES = 20_000

DEFAULT_MAPPING: dict[str, FieldSpec] = {
    "source_event_id": "$.id",
    "event_timestamp": ["$.created_at", "$.timestamp", "$.effective_at"],
    "actor": ["$.user.email", "$.actor.email", "$.user_email", "$.user.id"],
    "action": ["$.type", "$.event_type"],
    "target": ["$.model", "$.conversation_id"],
    "model": "$.model",
    "tokens_input": ["$.usage.prompt_tokens", "$.usage.input_tokens", "$.tokens.input"],
    "tokens_output": ["$.usage.completion_tokens", "$.usage.output_tokens", "$.tokens.output"],
    # parts of the totals above (OpenAI's usage: cached tokens are in the input, reasoning in the output)
    "tokens_cache_read": ["$.usage.prompt_tokens_details.cached_tokens", "$.usage.input_tokens_details.cached_tokens"],
    "tokens_reasoning": [
        "$.usage.completion_tokens_details.reasoning_tokens",
        "$.usage.output_tokens_details.reasoning_tokens",
    ],
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


class OpenAIComplianceApiAdapter(ReferenceAdapter[OpenAIComplianceApiConfig]):
    type_name = "openai_compliance_api"
    Config = OpenAIComplianceApiConfig
    credential_keys = ("apiKey",)

    def complete_before(self, cursor: str | None, started_at: datetime) -> datetime | None:
        """The cursor is the ``last_end_time`` of the log files read: every event before it is in."""
        return parse_time(cursor) if cursor else None

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
        paginator = JSONCursorPaginator("after", start=after)
        self.client = HttpClient(secrets=(api_key,), **config.retry.client_options())
        with self.client as client:

            def fetch(request: PageRequest) -> tuple[tuple[list, str | None], PageView]:
                resp = client.get(request.url, params=dict(request.params), headers=headers)
                try:
                    doc = orjson.loads(resp.content)
                    files = doc.get("data") or []
                except (orjson.JSONDecodeError, AttributeError):
                    shown = redact_url(resp.url, client.secrets)
                    raise PullError(
                        f"source '{self.source.id}': response to GET {shown} is not a JSON object"
                    ) from None
                last_end = as_cursor(doc.get("last_end_time"))
                more = doc.get("has_more") is not False
                return (files, last_end), PageView(resp.url, len(files), values={"next": last_end, "has_more": more})

            cycles = 0
            request = PageRequest(url, {"after": after, "limit": PAGE_LIMIT})
            for files, last_end in paginate(paginator, request, fetch):
                new_cycles, cycles = paginator.cycles - cycles, paginator.cycles
                if new_cycles:
                    self.log.warning("source %s: listing cursor cycle; stopped paging", self.source.id)
                for item in files:
                    file_id = item.get("id") if isinstance(item, dict) else None
                    if file_id:
                        yield from self._file(client, f"{url}/{file_id}", headers, mapping)
                if window is None and files:
                    # the listing cursor is committed once this listing page's files are written
                    yield Batch(mapping.to_table([], []), raw_count=0, errors=new_cycles, cursor=paginator.safe)
                if _past(last_end, until):
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
