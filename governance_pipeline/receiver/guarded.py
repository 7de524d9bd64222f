"""ASGI wrapper that applies the body limits of ``ReceiverLimits`` around the receiver app.

Before the app sees a request, the bytes it may come to hold are reserved from the process-wide budget
(``Guard.budget``); when the budget is spent the answer is 503 with ``Retry-After`` and the body is never read.
While the app reads the body, each wait for the next piece is bounded by ``body_timeout_s`` and, past that
time, the body must average ``min_body_rate``; a body that stalls gets 408 and the connection is closed.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from governance_pipeline.receiver import responses
from governance_pipeline.receiver.decode import PROTOBUF, media_type
from governance_pipeline.receiver.limits import Guard

Scope = dict[str, Any]


class GuardedApp:
    def __init__(self, app: Any, guard: Guard, max_body_bytes: int):
        self.app = app
        self.guard = guard
        self.max_body_bytes = max_body_bytes

    def __getattr__(self, name: str) -> Any:  # routes, committer, ... of the wrapped app
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limits = self.guard.limits
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        declared_text = headers.get("content-length", "")
        declared = int(declared_text) if declared_text.isdigit() else None
        encoding = (headers.get("content-encoding") or "identity").strip().lower()
        reserved = limits.reservation(declared, encoding, self.max_body_bytes)
        reply_type = PROTOBUF if media_type(headers.get("content-type")) == PROTOBUF else "application/json"
        if not self.guard.budget.try_take(reserved):
            return await _error(
                send,
                reply_type,
                503,
                "unavailable",
                "the receiver is at its memory limit; retry",
                ((b"retry-after", str(limits.retry_after_s).encode()),),
            )  # uvicorn discards the unread body as it arrives, under the head timer of the next request
        state = {"started": False, "stalled": False}
        started_at = time.monotonic()
        received = 0

        async def timed_receive() -> dict[str, Any]:
            nonlocal received
            if state["stalled"]:
                return {"type": "http.disconnect"}
            elapsed = time.monotonic() - started_at
            wait = limits.body_timeout_s
            if elapsed >= limits.body_timeout_s and limits.min_body_rate:
                # past the grace period the body must keep up the minimum average rate
                due = received / limits.min_body_rate - elapsed + limits.body_timeout_s
                wait = min(wait, max(0.0, due))
            try:
                msg = await asyncio.wait_for(receive(), timeout=wait) if wait > 0 else None
            except TimeoutError:
                msg = None
            if msg is None:
                state["stalled"] = True
                self.guard.body_timeouts += 1
                return {"type": "http.disconnect"}
            received += len(msg.get("body", b""))
            return msg

        async def tracked_send(msg: dict[str, Any]) -> None:
            if msg["type"] == "http.response.start":
                state["started"] = True
            await send(msg)

        try:
            await self.app(scope, timed_receive, tracked_send)
            if state["stalled"] and not state["started"]:
                await _error(
                    send,
                    reply_type,
                    408,
                    "request_timeout",
                    f"the request body did not arrive in time (at least {limits.min_body_rate} bytes/s)",
                    ((b"connection", b"close"),),
                )
        finally:
            self.guard.budget.give(reserved)


async def _error(send: Any, reply_type: str, status: int, slug: str, message: str, extra: tuple = ()) -> None:
    body_type, body = responses.error(reply_type, status, slug, message)
    headers = [(b"content-type", body_type.encode()), (b"content-length", str(len(body)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
