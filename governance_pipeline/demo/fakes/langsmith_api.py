"""A LangSmith-shaped HTTP API for the demo, the tests and the benchmark (served by ``demo.httpd.serve``).

It pages every list endpoint by ``limit``/``offset`` (top-level arrays), serves ``POST /api/v1/runs/query``
with opaque base64 cursors filtered on ``session`` and ``start_time``, checks ``x-api-key``/``x-tenant-id``,
and can inject 429 (``Retry-After``) and 500 answers before given requests.
"""

from __future__ import annotations

import base64
import json
import threading
from datetime import UTC, datetime
from pathlib import Path

from governance_pipeline.demo.httpd import Request, Response


def load_fixtures(folder: Path) -> dict:
    """The LangSmith sample payloads in ``folder`` (datasets, examples, sessions, two pages of runs)."""
    runs = []
    for name in ("runs_query_page1.json", "runs_query_page2.json"):
        runs += json.loads((folder / name).read_text())["runs"]
    return {
        "datasets": json.loads((folder / "datasets.json").read_text()),
        "examples": json.loads((folder / "examples.json").read_text()),
        "sessions": json.loads((folder / "sessions.json").read_text()),
        "runs": runs,
    }


def _ts(v: str) -> datetime:
    dt = datetime.fromisoformat(v.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


class FakeLangSmith:
    def __init__(self, data: dict, api_key: str = "ls-test-key", tenant_id: str = "tenant-1"):
        self.data = data
        self.api_key = api_key
        self.tenant_id = tenant_id
        self.faults: list[tuple[str, int, dict]] = []  # (path suffix, status, headers), consumed in order
        self.lock = threading.Lock()
        self.runs_bodies: list[dict] = []

    def fail_next(self, path_suffix: str, status: int, headers: dict | None = None, times: int = 1) -> None:
        self.faults.extend([(path_suffix, status, headers or {})] * times)

    def __call__(self, req: Request) -> Response:
        if req.headers.get("x-api-key") != self.api_key:
            return Response(401, {"detail": "Invalid token"})
        if self.tenant_id and req.headers.get("x-tenant-id") != self.tenant_id:
            return Response(403, {"error": "org_scoped_key_requires_workspace"})
        with self.lock:
            for i, (suffix, status, headers) in enumerate(self.faults):
                if req.path.endswith(suffix):
                    del self.faults[i]
                    return Response(status, {"detail": "injected"}, headers)
        path = req.path.removeprefix("/api/v1")
        if req.method == "GET" and path in ("/datasets", "/sessions", "/examples"):
            items = self.data[path.strip("/")]
            if path == "/examples":
                ds = req.q("dataset")
                if ds is None:
                    return Response(422, {"detail": "dataset required in this fake"})
                items = [e for e in items if e["dataset_id"] == ds]
            limit, offset = int(req.q("limit") or "100"), int(req.q("offset") or "0")
            return Response(200, items[offset : offset + limit])
        if req.method == "POST" and path == "/runs/query":
            return self._runs(req.json())
        return Response(404, {"detail": "not found"})

    def _runs(self, body: dict) -> Response:
        self.runs_bodies.append(body)
        sessions = set(body.get("session") or [])
        start = _ts(body["start_time"]) if body.get("start_time") else None
        limit = int(body.get("limit", 100))
        offset = json.loads(base64.b64decode(body["cursor"]))["offset"] if body.get("cursor") else 0
        runs = [
            r
            for r in self.data["runs"]
            if r["session_id"] in sessions and (start is None or _ts(r["start_time"]) >= start)
        ]
        page = runs[offset : offset + limit]
        nxt = offset + limit
        cursor = base64.b64encode(json.dumps({"offset": nxt}).encode()).decode() if nxt < len(runs) else None
        return Response(200, {"runs": page, "cursors": {"next": cursor, "prev": None}})
