"""An overall deadline for one HTTP exchange, however slowly the peer sends.

``requests``' ``timeout`` bounds each socket read, so a server sending a byte a second never trips it. Here the
connection a request uses is noted (a ``requests`` transport adapter whose urllib3 connections register
themselves when they send), and a timer shuts that socket down when the deadline passes: the blocked read
returns at once and the caller sees ``Watch.expired``.
"""

from __future__ import annotations

import contextlib
import socket
import threading
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
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def __enter__(self) -> Watch:
        _local.watch = self
        self._timer.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        with self._lock:
            self._done = True
        self._timer.cancel()
        _local.watch = None

    def attach(self, conn: Any) -> None:
        with self._lock:
            self._conn = conn
            late = self.expired
        if late:
            self._shutdown(conn)

    def _fire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired = True
            conn = self._conn
        if conn is not None:
            self._shutdown(conn)

    @staticmethod
    def _shutdown(conn: Any) -> None:
        sock = getattr(conn, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


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
