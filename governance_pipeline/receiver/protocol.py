"""uvicorn's h11 protocol with the limits a public listener needs (``limits.ReceiverLimits``).

uvicorn alone has no deadline for the request head, and its ``limit_concurrency`` answers 503 to everyone
once idle sockets fill it. Here each connection must deliver its request head within ``header_timeout_s`` of
connecting (or of its first byte after a keep-alive pause) and in at most ``max_header_bytes`` (431 beyond),
and the connection table evicts the oldest idle connection when a new one arrives at the cap. h11, unlike
httptools, bounds the bytes it buffers for an incomplete head (``h11_max_incomplete_event_size``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from governance_pipeline.receiver.limits import Guard


class _RateLimitedWarnings(logging.Filter):
    """uvicorn logs one warning per malformed request: under attack that floods the log. Keep one per
    ``every`` seconds per message, with a count of those left out."""

    def __init__(self, every: float = 10.0):
        super().__init__()
        self.every = every
        self._last: dict[str, float] = {}
        self._dropped: dict[str, int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.WARNING:
            return True
        key = str(record.msg)
        now = time.monotonic()
        if now - self._last.get(key, -self.every) < self.every:
            self._dropped[key] = self._dropped.get(key, 0) + 1
            return False
        self._last[key] = now
        dropped = self._dropped.pop(key, 0)
        if dropped:
            record.msg = f"{record.msg} ({dropped} more in the last {self.every:g} s)"
        return True


_FILTER = _RateLimitedWarnings()


def protocol_class(guard: Guard) -> type[H11Protocol]:
    """The protocol class for one server, bound to its ``guard``."""
    logger = logging.getLogger("uvicorn.error")
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)

    class LimitedH11Protocol(_Limited):
        pass

    LimitedH11Protocol.guard = guard
    return LimitedH11Protocol


class _Limited(H11Protocol):
    guard: Guard

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_bytes = 0
        self._in_request = False
        self._seen_cycle: Any = None

    # the connection's life
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if not self.guard.connections.opened(self):
            transport.abort()
            return
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        self.guard.connections.closed(self)
        super().connection_lost(exc)

    def close_idle(self) -> None:
        """Evicted to make room: only ever called while no request is in progress on this connection."""
        self._disarm_head_timer()
        if not self.transport.is_closing():
            self.transport.abort()

    # the request head
    def data_received(self, data: bytes) -> None:
        waiting = not self._in_request
        if waiting:
            if self._head_timer is None:
                self._arm_head_timer()  # first byte after a keep-alive pause
            self._head_bytes += len(data)
        super().data_received(data)
        if self.cycle is not None and self.cycle is not self._seen_cycle:
            self._seen_cycle = self.cycle
            self._in_request = True
            self._head_bytes = 0
            self._disarm_head_timer()
            self.guard.connections.busy(self)

    def send_400_response(self, msg: str) -> None:
        if not self._in_request and self._head_bytes > self.guard.limits.max_header_bytes:
            self.guard.header_too_large += 1
            self._send_error(431, "Request Header Fields Too Large", b"request header fields too large")
        else:
            super().send_400_response(msg)

    def _send_error(self, status: int, reason: str, body: bytes) -> None:
        # written as bytes: no request was parsed, so h11 has no response to send in its state machine
        head = (
            f"HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain; charset=utf-8\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
        )
        self.transport.write(head.encode() + body)
        self.transport.close()

    def on_response_complete(self) -> None:
        self._in_request = False
        if not self.transport.is_closing():
            self.guard.connections.idle(self)
        super().on_response_complete()
        if self.cycle is not None and self.cycle is not self._seen_cycle and not self.cycle.response_complete:
            self._seen_cycle = self.cycle  # a pipelined request started from the buffer
            self._in_request = True
            self.guard.connections.busy(self)

    def _arm_head_timer(self) -> None:
        self._disarm_head_timer()
        self._head_timer = self.loop.call_later(self.guard.limits.header_timeout_s, self._head_timeout)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timeout(self) -> None:
        self._head_timer = None
        if self._in_request or self.transport.is_closing():
            return
        self.guard.header_timeouts += 1
        if self._head_bytes and self.conn.their_state == h11.IDLE:  # not while discarding an unread body
            self._send_error(408, "Request Timeout", b"request header timeout")
        else:
            self.transport.close()
