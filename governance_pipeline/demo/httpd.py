"""A small threaded HTTP server on loopback: handlers are plain functions Request -> Response.

Used by the demo's sample upstreams and by the tests' fake APIs (real sockets, never patched functions).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body or b"null")

    def q(self, name: str, default: str | None = None) -> str | None:
        return self.query.get(name, [default])[0]


@dataclass
class Response:
    status: int = 200
    body: bytes | str | dict | list = b""
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request], Response]


@contextmanager
def serve(handler: Handler, port: int = 0, keep_requests: bool = True) -> Iterator[tuple[str, list[Request]]]:
    """Serve ``handler`` on loopback (``port`` 0: a free one); yields (base URL, list of requests received)."""
    seen: list[Request] = []

    class _H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _do(self) -> None:
            u = urlparse(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            req = Request(
                self.command,
                u.path,
                parse_qs(u.query),
                {k.lower(): v for k, v in self.headers.items()},
                self.rfile.read(length),
            )
            if keep_requests:
                seen.append(req)
            resp = handler(req)
            body = resp.body
            ctype = resp.headers.get("Content-Type")
            if isinstance(body, (dict, list)):
                body, ctype = json.dumps(body).encode(), ctype or "application/json"
            elif isinstance(body, str):
                body = body.encode()
            self.send_response(resp.status)
            for k, v in resp.headers.items():
                if k != "Content-Type":
                    self.send_header(k, v)
            self.send_header("Content-Type", ctype or "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = _do

        def log_message(self, *args) -> None:  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), _H)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
