"""Run the receiver on uvicorn: in the foreground (``govpipe serve``) or in a background thread (tests, demo)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from governance_pipeline.config.loader import load_sources
from governance_pipeline.receiver.app import DEFAULT_MAX_BODY, OtlpApp, routes_from

MAX_CONNECTIONS = 512


def build_app(sources_path: str | None, lake_root: str, max_body_bytes: int = DEFAULT_MAX_BODY) -> OtlpApp:
    """The app for the sources file (read once, now) and the lake."""
    return OtlpApp(routes_from(load_sources(sources_path)), lake_root, max_body_bytes=max_body_bytes)


def uvicorn_config(app: OtlpApp, host: str, port: int, log_level: str = "warning") -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        lifespan="on",
        timeout_keep_alive=30,
        limit_concurrency=MAX_CONNECTIONS,  # beyond this, 503 (which exporters retry) rather than unbounded memory
    )


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@contextmanager
def running(app: OtlpApp, host: str = "127.0.0.1", port: int | None = None) -> Iterator[str]:
    """Serve ``app`` on loopback in a thread; yields the base URL; stops (and drains landing) on exit."""
    port = port or free_port(host)
    server = uvicorn.Server(uvicorn_config(app, host, port))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), name="otlp-receiver", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the OTLP receiver did not start on {host}:{port}")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
