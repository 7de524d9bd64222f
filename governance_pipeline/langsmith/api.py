"""The LangSmith REST API: datasets, examples and sessions by offset paging, runs by cursor paging.

Built on the shared ``HttpClient`` (429 with ``Retry-After``, 5xx backoff, redacted errors). Each page body
is decoded once with orjson. Paging stops on an empty page, on a short page (offset endpoints) or when
``cursors.next`` is empty (runs); a repeated cursor or a repeated offset page is an error, never a loop.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson

from governance_pipeline.errors import GovernanceError, PermanentError
from governance_pipeline.http.client import HttpClient, HttpError, RetryPolicy

DEFAULT_BASE_URL = "https://api.smith.langchain.com"
# the SDK's default ``select`` for list_runs (the langsmith SDK's ``Client.list_runs``; docs/langsmith.md): usage, costs and ids included
RUN_FIELDS = (
    "app_path",
    "completion_cost",
    "completion_tokens",
    "dotted_order",
    "end_time",
    "error",
    "events",
    "extra",
    "feedback_stats",
    "first_token_time",
    "id",
    "inputs",
    "name",
    "outputs",
    "parent_run_id",
    "parent_run_ids",
    "prompt_cost",
    "prompt_tokens",
    "reference_example_id",
    "run_type",
    "session_id",
    "start_time",
    "status",
    "tags",
    "total_cost",
    "total_tokens",
    "trace_id",
)


class LangSmithError(GovernanceError):
    """A LangSmith call that failed for good; the message never carries a secret."""


class LangSmithAuthError(LangSmithError, PermanentError):
    """401/403: the API key or workspace (tenant) id is wrong or lacks access."""


def api_root(base_url: str) -> str:
    """``<base>/api/v1`` for SaaS hosts; a self-hosted base that already ends in ``/api/v1`` is kept."""
    base = base_url.rstrip("/")
    if base.endswith("/api/v1"):
        return base
    if base.endswith("/api"):
        return base + "/v1"
    return base + "/api/v1"


def iso_z(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class LangSmithApi:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        tenant_id: str | None = None,
        page_size: int = 100,
        policy: RetryPolicy | None = None,
        timeout: float = 60.0,
    ):
        self.root = api_root(base_url)
        self.page_size = page_size
        self.http = HttpClient(policy=policy, timeout=timeout, secrets=(api_key, tenant_id or ""))
        self.http.session.headers.update({"x-api-key": api_key, "accept": "application/json"})
        if tenant_id:
            self.http.session.headers["x-tenant-id"] = tenant_id

    def close(self) -> None:
        self.http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            resp = self.http.request(method, self.root + path, **kwargs)
        except HttpError as exc:
            if exc.status in (401, 403):
                hint = (
                    "the API key is missing, wrong or revoked"
                    if exc.status == 401
                    else "the key has no access to this workspace (an org-scoped key needs tenantId)"
                )
                raise LangSmithAuthError(
                    f"LangSmith refused the request ({hint}; check credentialRef keys apiKey/tenantId): {exc}"
                ) from None
            raise LangSmithError(f"LangSmith request failed: {exc}", permanent=exc.permanent) from None
        try:
            return orjson.loads(resp.content)
        except orjson.JSONDecodeError:
            raise LangSmithError(f"LangSmith returned a body that is not JSON for {method} {path}") from None

    # -- offset/limit endpoints ------------------------------------------------------------------
    def paged(self, path: str, params: dict[str, Any] | None = None) -> Iterator[list[dict]]:
        """Pages of a list endpoint answering a top-level JSON array, by offset/limit, to the end."""
        offset = 0
        previous_first: Any = None
        while True:
            query = dict(params or {}, limit=self.page_size, offset=offset)
            items = self._call("GET", path, params=query)
            if isinstance(items, dict):  # tolerate a wrapped list
                items = next((items[k] for k in ("items", "data", "results") if isinstance(items.get(k), list)), [])
            if not isinstance(items, list) or not items:
                return
            first = items[0].get("id") if isinstance(items[0], dict) else None
            if offset and first is not None and first == previous_first:
                raise LangSmithError(f"GET {path}: offset {offset} returned the previous page again (offset ignored?)")
            previous_first = first
            yield [i for i in items if isinstance(i, dict)]
            if len(items) < self.page_size:
                return
            offset += len(items)

    def datasets(self) -> Iterator[list[dict]]:
        return self.paged("/datasets")

    def examples(self, dataset_id: str) -> Iterator[list[dict]]:
        return self.paged("/examples", {"dataset": dataset_id})

    def sessions(self) -> Iterator[list[dict]]:
        return self.paged("/sessions")

    # -- runs ------------------------------------------------------------------------------------
    def runs(
        self, session_id: str, start_time: datetime | None = None, end_before: datetime | None = None
    ) -> Iterator[list[dict]]:
        """Pages of ``POST /runs/query`` for one project, runs starting at or after ``start_time``."""
        body: dict[str, Any] = {"session": [session_id], "limit": self.page_size, "select": list(RUN_FIELDS)}
        if start_time is not None:
            body["start_time"] = iso_z(start_time)
        if end_before is not None:
            body["filter"] = f'lt(start_time, "{iso_z(end_before)}")'
        seen: set[str] = set()
        while True:
            page = self._call("POST", "/runs/query", json=body)
            runs = page.get("runs") if isinstance(page, dict) else None
            if not runs:
                return
            yield [r for r in runs if isinstance(r, dict)]
            nxt = (page.get("cursors") or {}).get("next")
            if not nxt:
                return
            if nxt in seen:
                raise LangSmithError(f"POST /runs/query for project {session_id}: cursor repeated, stopping a loop")
            seen.add(nxt)
            body["cursor"] = nxt
