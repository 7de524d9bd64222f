"""Run the receiver on uvicorn: in the foreground (``govpipe serve``) or in a background thread (tests, demo).

The app is wrapped in the body limits (``guarded.GuardedApp``) and served by the h11 protocol with the head
limits (``protocol``), both sharing one ``limits.Guard``; the sources file is watched and re-read when it
changes (``reload.SourcesWatcher``). TLS is optional (a certificate and key in PEM).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from governance_pipeline.receiver.app import DEFAULT_MAX_BODY, OtlpApp, routes_from
from governance_pipeline.receiver.guarded import GuardedApp
from governance_pipeline.receiver.limits import Guard, ReceiverLimits
from governance_pipeline.receiver.protocol import protocol_class
from governance_pipeline.receiver.reload import SourcesWatcher
from governance_pipeline.sources_file import load_sources

RELOAD_INTERVAL_S = 1.0


def build_app(
    sources_path: str | None,
    lake_root: str,
    max_body_bytes: int = DEFAULT_MAX_BODY,
    limits: ReceiverLimits | None = None,
) -> OtlpApp:
    """The app for the sources file (read now, then watched by ``running``/``serve``) and the lake."""
    from governance_pipeline.settings import sources_path as default_sources_path

    path = Path(sources_path) if sources_path is not None else default_sources_path()
    app = OtlpApp(routes_from(load_sources(sources_path)), lake_root, max_body_bytes=max_body_bytes)
    app.sources_path = str(path)
    app.committer.max_queue_bytes = (limits or ReceiverLimits()).max_queue_bytes
    return app


def uvicorn_config(
    app: OtlpApp,
    host: str,
    port: int,
    log_level: str = "warning",
    limits: ReceiverLimits | None = None,
    tls: tuple[str, str] | None = None,
    guard: Guard | None = None,
) -> uvicorn.Config:
    guard = guard or Guard(limits)
    lim = guard.limits
    app.committer.max_queue_bytes = lim.max_queue_bytes
    app.guard = guard  # the gRPC server takes from the same budget
    app.tls = tls  # and serves TLS with the same certificate
    return uvicorn.Config(
        GuardedApp(app, guard, app.max_body_bytes),
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        lifespan="on",
        http=protocol_class(guard),  # h11 with head deadline, 431, connection table (not httptools)
        h11_max_incomplete_event_size=lim.max_header_bytes,
        timeout_keep_alive=lim.keep_alive_s,  # type: ignore[arg-type]
        limit_concurrency=None,  # its 503 counts idle sockets; the Guard's connection table replaces it
        timeout_graceful_shutdown=lim.shutdown_grace_s,  # type: ignore[arg-type]
        backlog=min(lim.max_connections, 4096),
        ssl_certfile=tls[0] if tls else None,
        ssl_keyfile=tls[1] if tls else None,
    )


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@contextmanager
def running(
    app: OtlpApp,
    host: str = "127.0.0.1",
    port: int | None = None,
    limits: ReceiverLimits | None = None,
    tls: tuple[str, str] | None = None,
    reload_interval: float = RELOAD_INTERVAL_S,
) -> Iterator[str]:
    """Serve ``app`` on loopback in a thread; yields the base URL; stops (and drains landing) on exit."""
    port = port or free_port(host)
    server = uvicorn.Server(uvicorn_config(app, host, port, limits=limits, tls=tls))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), name="otlp-receiver", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the OTLP receiver did not start on {host}:{port}")
        time.sleep(0.02)
    path = getattr(app, "sources_path", None)
    watcher = SourcesWatcher(app, path, reload_interval).start() if path else None
    try:
        yield f"{'https' if tls else 'http'}://{host}:{port}"
    finally:
        if watcher is not None:
            watcher.stop()
        server.should_exit = True
        thread.join(timeout=60)
