"""An overall deadline for one HTTP exchange, however slowly the peer sends.

``requests``' ``timeout`` bounds each socket read, so a server sending a byte a second never trips it. Here the
connection a request uses is noted (a ``requests`` transport adapter whose urllib3 connections register
themselves when they send), and when the deadline passes the process's one watchdog thread shuts that socket
down: the blocked read returns at once and the caller sees ``Watch.expired``.
"""

from __future__ import annotations

import contextlib
import heapq
import math
import os
import socket
import threading
import time
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_local = threading.local()


class Watch:
    """The deadline of the exchange running on this thread; use as a context manager around it."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.expired = False
        self._conn: Any = None
        self._lock = threading.Lock()
        self._done = False
        self.due = 0.0

    def __enter__(self) -> Watch:
        _local.watch = self
        self.due = time.monotonic() + self.seconds
        _watchdog().add(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        with self._lock:
            self._done = True
        _local.watch = None

    def attach(self, conn: Any) -> None:
        with self._lock:
            self._conn = conn
            late = self.expired
        if late:
            self._shutdown(conn)

    def fire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired = True
            conn = self._conn
        if conn is not None:
            self._shutdown(conn)

    @property
    def done(self) -> bool:
        return self._done

    @staticmethod
    def _shutdown(conn: Any) -> None:
        sock = getattr(conn, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Watchdog:
    """One daemon thread per process firing every ``Watch`` whose deadline passed: starting a timer thread per
    request cost more than the request itself on a local API (benchmarks/http_polling.py)."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._heap: list[tuple[float, int, Watch]] = []
        self._seq = 0
        self._wake = math.inf  # when the thread next looks at the heap
        threading.Thread(target=self._run, name="http-deadline-watchdog", daemon=True).start()

    def add(self, watch: Watch) -> None:
        with self._cond:
            self._seq += 1
            if len(self._heap) > 64 and self._seq % 64 == 0:  # drop finished exchanges now and then
                self._heap = [entry for entry in self._heap if not entry[2].done]
                heapq.heapify(self._heap)
            heapq.heappush(self._heap, (watch.due, self._seq, watch))
            if watch.due < self._wake:  # rare: deadlines are mostly equal, so later ones come due later
                self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                now = time.monotonic()
                due: list[Watch] = []
                while self._heap and self._heap[0][0] <= now:
                    due.append(heapq.heappop(self._heap)[2])
                self._wake = self._heap[0][0] if self._heap else math.inf
                if not due:
                    self._cond.wait(None if self._wake == math.inf else self._wake - now)
                    continue
            for watch in due:
                watch.fire()  # a finished exchange ignores it


_dog: _Watchdog | None = None
_dog_pid = 0
_dog_lock = threading.Lock()


def _watchdog() -> _Watchdog:
    """The process's watchdog, started on first use (again in a forked child, which has no threads)."""
    global _dog, _dog_pid
    if _dog is None or _dog_pid != os.getpid():
        with _dog_lock:
            if _dog is None or _dog_pid != os.getpid():
                _dog, _dog_pid = _Watchdog(), os.getpid()
    return _dog


def _attach(conn: Any) -> None:
    watch = getattr(_local, "watch", None)
    if watch is not None:
        watch.attach(conn)


class _WatchedHTTP(HTTPConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        _attach(self)
        super().request(*args, **kwargs)


class _WatchedHTTPS(HTTPSConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        _attach(self)
        super().request(*args, **kwargs)


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTP


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPS


class WatchedAdapter(HTTPAdapter):
    """A ``requests`` adapter whose connections a ``Watch`` can cut."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
