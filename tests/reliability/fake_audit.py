"""A cursor-paged audit-log API on a real local socket, with the faults of a real one.

``FlakyAuditApi`` serves ``n`` generated events (``?cursor=<offset>``, ``next_cursor``, ``has_more``) behind a
bearer token. Seeded faults: 429 with ``Retry-After``, 500/503, slow pages. ``hold`` makes one page block until
``release()``, so a test can kill a pull while it is surely mid-run.
"""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime, timedelta

from governance_pipeline.demo.httpd import Request, Response

TOKEN = "tok-chaos-123456"
RETRY = {"maxAttempts": 6, "backoffBaseSeconds": 0.01, "backoffMaxSeconds": 0.05, "timeoutSeconds": 10}


class FlakyAuditApi:
    def __init__(
        self,
        n: int,
        page: int = 50,
        seed: int = 0,
        fault_rate: float = 0.0,
        slow_seconds: float = 0.0,
        hold_at: int | None = None,
    ):
        self.events: list[dict] = []
        self.grow(n)
        self.page = page
        self.rng = random.Random(seed)
        self.fault_rate = fault_rate
        self.slow_seconds = slow_seconds
        self.hold_at = hold_at  # the offset whose page blocks until release()
        self.held = threading.Event()  # set once a request is blocked on the held page
        self._release = threading.Event()
        self.lock = threading.Lock()
        self.requests = 0
        self.request_times: list[float] = []  # time.monotonic() of each request
        self.faults = {"429": 0, "5xx": 0, "slow": 0}

    def grow(self, n: int) -> None:
        """Append ``n`` new events (seven minutes apart from 2026-10-01), as a live audit log does."""
        start = datetime(2026, 10, 1, tzinfo=UTC)
        first = len(self.events)
        self.events.extend(
            {
                "id": f"evt_{i:06d}",
                "created_at": (start + timedelta(minutes=7 * i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "event_type": "chat.completion",
                "model": "gpt-4o",
                "user": {"email": f"user{i % 17}@example.com"},
                "usage": {"input_tokens": 10, "output_tokens": 5, "cost": 0.001},
            }
            for i in range(first, first + n)
        )

    def hold(self, offset: int) -> None:
        """Make the page at ``offset`` block (again) until ``release()``."""
        self.hold_at = offset
        self.held.clear()
        self._release.clear()

    def release(self) -> None:
        self._release.set()

    def __call__(self, req: Request) -> Response:
        if req.headers.get("authorization") != f"Bearer {TOKEN}":
            return Response(401, {"error": "unauthorized"})
        start = int(req.q("cursor") or 0)
        with self.lock:
            self.requests += 1
            self.request_times.append(time.monotonic())
            roll = self.rng.random()
        if self.hold_at is not None and start == self.hold_at and not self._release.is_set():
            self.held.set()
            self._release.wait(60)
        if roll < self.fault_rate / 3:
            self.faults["429"] += 1
            return Response(429, {"error": "rate limited"}, {"Retry-After": "1"})
        if roll < 2 * self.fault_rate / 3:
            self.faults["5xx"] += 1
            return Response(503 if roll < self.fault_rate / 2 else 500, {"error": "upstream"})
        if roll < self.fault_rate and self.slow_seconds:
            self.faults["slow"] += 1
            time.sleep(self.slow_seconds)
        page = self.events[start : start + self.page]
        nxt = start + len(page)
        return Response(200, {"events": page, "next_cursor": str(nxt), "has_more": nxt < len(self.events)})


def sources_yaml(url: str, source_id: str = "acme_audit") -> str:
    """A sources file with one http_polling source over the fake API (token from ``ACME_AUDIT_TOKEN``)."""
    import json

    from tests.support.mappings import NESTED_MAPPING

    config = {
        "adapter": "http_polling",
        "url": f"{url}/v1/audit-log",
        "method": "GET",
        "headers": {"Authorization": "Bearer ${{credentials.token}}"},
        "authMode": "bearer",
        "credentialRef": "acme_audit_log_creds",
        "cursorJsonPath": "$.next_cursor",
        "eventsJsonPath": "$.events",
        "hasMoreJsonPath": "$.has_more",
        "eventMapping": NESTED_MAPPING,
        "retry": RETRY,
    }
    return (
        "credentials:\n  acme_audit_log_creds:\n    token: {env: ACME_AUDIT_TOKEN}\nsources:\n"
        f"  - id: {source_id}\n    type: http_polling\n    startDate: '2026-10-01'\n    config: {json.dumps(config)}\n"
    )
