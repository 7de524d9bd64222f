"""Hostile peers on loopback for the security tests: raw-socket servers that drip, flood or never stop.

Every loop here is bounded (a byte count, a page count) so a test against a client that does not defend
itself still ends on its own.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def raw_server(handle: Callable[[socket.socket], None]) -> Iterator[str]:
    """Accept connections on a free loopback port and run ``handle(conn)`` for each in a thread."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    srv.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except TimeoutError:
                continue
            except OSError:
                return

            def run(c: socket.socket = conn) -> None:
                try:
                    c.settimeout(10)
                    _read_request_head(c)
                    handle(c)
                except OSError:
                    pass
                finally:
                    c.close()

            threading.Thread(target=run, daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.getsockname()[1]}"
    finally:
        stop.set()
        srv.close()
        thread.join(timeout=5)


def _read_request_head(c: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 1 << 16:
        chunk = c.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def drip(total: int = 30, every: float = 0.5) -> Callable[[socket.socket], None]:
    """A 200 whose body arrives one byte every ``every`` seconds (``total`` bytes, so at most total*every s)."""

    def handle(c: socket.socket) -> None:
        c.sendall(f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {total}\r\n\r\n".encode())
        for _ in range(total):
            c.sendall(b" ")
            time.sleep(every)

    return handle


def flood(total: int = 64 << 20, declare: bool = False) -> Callable[[socket.socket], None]:
    """A 200 with a ``total``-byte chunked body (or a declared Content-Length when ``declare``)."""

    def handle(c: socket.socket) -> None:
        block = b"x" * (1 << 16)
        if declare:
            c.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {total}\r\n\r\n".encode())
            for _ in range(total // len(block)):
                c.sendall(block)
            return
        c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in range(total // len(block)):
            c.sendall(b"%x\r\n" % len(block) + block + b"\r\n")
        c.sendall(b"0\r\n\r\n")

    return handle
