"""The receiver's limits against slow, huge and idle peers, and the shared state that enforces them.

``ReceiverLimits`` holds the settings (``govpipe serve`` flags, README "Running in production"); ``Guard``
holds what is shared by every connection of a process: the connection table and the budget of request bytes
in flight. Both are transport-neutral, so a second server (gRPC) can take the same ``Guard``.

The defaults follow what the OpenTelemetry Collector's confighttp and common proxies set: a header read
deadline, a cap on header bytes, a body read deadline with a minimum rate, a connection cap, and a memory
budget that answers 503 with ``Retry-After`` (which OTLP exporters retry) instead of growing.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class ReceiverLimits:
    header_timeout_s: float = 10.0  # from connect (or first byte after keep-alive) to the end of the headers
    max_header_bytes: int = 64 * 1024  # request line and headers; beyond: 431
    body_timeout_s: float = 30.0  # longest wait for the next piece of a body; beyond: 408
    min_body_rate: int = 16 * 1024  # bytes/s a body must average once body_timeout_s has passed; below: 408
    max_connections: int = 4096  # open sockets; a new one evicts the oldest idle one, never an active request
    max_inflight_bytes: int = 512 * 1024 * 1024  # request bytes held at once (bodies, decompressed); beyond: 503
    max_queue_bytes: int = 256 * 1024 * 1024  # accepted payloads waiting for the landing write; beyond: 503
    keep_alive_s: float = 30.0  # idle time allowed between requests on one connection
    shutdown_grace_s: float = 30.0  # how long a graceful shutdown waits for requests in flight
    retry_after_s: int = 1  # the Retry-After of a 503 for memory or queue pressure

    def reservation(self, declared: int | None, encoding: str, max_body: int) -> int:
        """Bytes to reserve for a request before its body is read: what it may come to hold."""
        if declared is None:
            return max_body  # chunked: as much as the body limit allows
        if encoding in ("", "identity"):
            return min(declared, max_body)
        return min(max_body, max(declared * 8, declared + 64 * 1024))  # compressed: room to inflate


class Closable(Protocol):
    def close_idle(self) -> None: ...


class InflightBudget:
    """Bytes reserved by requests in flight; ``try_take`` fails rather than go over ``limit``."""

    def __init__(self, limit: int):
        self.limit = limit
        self.used = 0
        self.peak = 0
        self.refused = 0
        self._lock = threading.Lock()

    def try_take(self, n: int) -> bool:
        with self._lock:
            if self.used + n > self.limit and self.used > 0:
                self.refused += 1
                return False
            self.used += n
            self.peak = max(self.peak, self.used)
            return True

    def give(self, n: int) -> None:
        with self._lock:
            self.used = max(0, self.used - n)


class ConnectionTable:
    """Open connections, idle ones (no request in progress) in the order they became idle.

    At the cap a new connection evicts the oldest idle one: sockets that never finish their headers, or sit
    between requests, never keep a real request out. Only when every connection is inside a request is a new
    one refused.
    """

    def __init__(self, limit: int):
        self.limit = limit
        self._idle: OrderedDict[int, Closable] = OrderedDict()
        self._active: set[int] = set()
        self.evicted = 0
        self.refused = 0

    def __len__(self) -> int:
        return len(self._idle) + len(self._active)

    def opened(self, conn: Closable) -> bool:
        """Register a new connection (idle); False when it must be closed at once."""
        while len(self) >= self.limit:
            if not self._idle:
                self.refused += 1
                return False
            _, oldest = self._idle.popitem(last=False)
            self.evicted += 1
            oldest.close_idle()
        self._idle[id(conn)] = conn
        return True

    def busy(self, conn: Closable) -> None:
        self._idle.pop(id(conn), None)
        self._active.add(id(conn))

    def idle(self, conn: Closable) -> None:
        self._active.discard(id(conn))
        self._idle[id(conn)] = conn
        self._idle.move_to_end(id(conn))

    def closed(self, conn: Closable) -> None:
        self._idle.pop(id(conn), None)
        self._active.discard(id(conn))


class Guard:
    """What every connection of one receiver process shares: the limits, the connection table, the budget."""

    def __init__(self, limits: ReceiverLimits | None = None):
        self.limits = limits or ReceiverLimits()
        self.connections = ConnectionTable(self.limits.max_connections)
        self.budget = InflightBudget(self.limits.max_inflight_bytes)
        self.header_timeouts = 0
        self.header_too_large = 0
        self.body_timeouts = 0

    def stats(self) -> dict[str, Any]:
        return {
            "connections": len(self.connections),
            "evicted": self.connections.evicted,
            "refused_connections": self.connections.refused,
            "header_timeouts": self.header_timeouts,
            "header_too_large": self.header_too_large,
            "body_timeouts": self.body_timeouts,
            "inflight_bytes": self.budget.used,
            "inflight_peak": self.budget.peak,
            "busy_503": self.budget.refused,
        }


def monotonic() -> float:
    return time.monotonic()
