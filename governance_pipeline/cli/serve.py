"""``govpipe serve [--host 127.0.0.1] [--port 4318] [--grpc-port 4317] [limits] [--tls-cert C --tls-key K]``: the
OTLP receiver (docs/otlp.md).

OTLP/HTTP on ``--port`` (traces, logs, metrics), OTLP/gRPC on ``--grpc-port`` (0 turns gRPC off).

The sources file (``GOVERNANCE_SOURCES``) is read at start-up and re-read when it changes (polled every
``--reload-interval`` seconds): a new ``otel_generic`` source is accepted within seconds, a removed one gets
404, with no restart. Accepted spans land under the lake (``GOVERNANCE_LAKE``); the ``otel_generic`` sensor
turns them into events. The limits against slow, huge and idle peers are listed in README, "Running in
production".
"""

from __future__ import annotations

import signal
import socket
import sys
from pathlib import Path

from governance_pipeline.receiver.limits import ReceiverLimits

_D = ReceiverLimits()


def register(sub) -> None:
    p = sub.add_parser("serve", help="run the OTLP receiver (HTTP and gRPC)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=4318, help="port (default 4318)")
    p.add_argument("--grpc-port", type=int, default=4317, help="OTLP/gRPC port (default 4317; 0 disables gRPC)")
    p.add_argument("--max-body-mib", type=float, default=20.0, help="body limit, also after decompression (default 20)")
    p.add_argument("--tls-cert", help="serve HTTPS with this certificate chain (PEM); needs --tls-key")
    p.add_argument("--tls-key", help="private key (PEM) of --tls-cert")
    g = p.add_argument_group("limits against slow, huge and idle peers")
    g.add_argument(
        "--header-timeout", type=float, default=_D.header_timeout_s, help="seconds to send the request head (10)"
    )
    g.add_argument(
        "--max-header-kib", type=float, default=_D.max_header_bytes / 1024, help="request head size; beyond: 431 (64)"
    )
    g.add_argument(
        "--body-timeout", type=float, default=_D.body_timeout_s, help="longest pause inside a body; beyond: 408 (30)"
    )
    g.add_argument(
        "--min-body-rate-kib",
        type=float,
        default=_D.min_body_rate / 1024,
        help="KiB/s a body must average after --body-timeout (16; 0: off)",
    )
    g.add_argument(
        "--max-connections",
        type=int,
        default=_D.max_connections,
        help="open connections; at the cap the oldest idle one is closed (4096)",
    )
    g.add_argument(
        "--max-inflight-mib",
        type=float,
        default=_D.max_inflight_bytes / (1 << 20),
        help="request bytes held at once; beyond: 503 + Retry-After (512)",
    )
    g.add_argument(
        "--max-queue-mib",
        type=float,
        default=_D.max_queue_bytes / (1 << 20),
        help="accepted bytes waiting for the landing write; beyond: 503 + Retry-After (256)",
    )
    g.add_argument("--keep-alive", type=float, default=_D.keep_alive_s, help="idle seconds between requests (30)")
    g.add_argument(
        "--shutdown-grace", type=float, default=_D.shutdown_grace_s, help="seconds to drain requests on SIGTERM (30)"
    )
    g.add_argument(
        "--reload-interval", type=float, default=1.0, help="seconds between sources-file checks (1; 0: never)"
    )
    p.set_defaults(func=run)


def limits_from(args) -> ReceiverLimits:
    def arg(name: str, default):
        return getattr(args, name, None) if getattr(args, name, None) is not None else default

    return ReceiverLimits(
        header_timeout_s=arg("header_timeout", _D.header_timeout_s),
        max_header_bytes=int(arg("max_header_kib", _D.max_header_bytes / 1024) * 1024),
        body_timeout_s=arg("body_timeout", _D.body_timeout_s),
        min_body_rate=int(arg("min_body_rate_kib", _D.min_body_rate / 1024) * 1024),
        max_connections=arg("max_connections", _D.max_connections),
        max_inflight_bytes=int(arg("max_inflight_mib", _D.max_inflight_bytes / (1 << 20)) * (1 << 20)),
        max_queue_bytes=int(arg("max_queue_mib", _D.max_queue_bytes / (1 << 20)) * (1 << 20)),
        keep_alive_s=arg("keep_alive", _D.keep_alive_s),
        shutdown_grace_s=arg("shutdown_grace", _D.shutdown_grace_s),
    )


def run(args) -> int:
    import uvicorn

    from governance_pipeline import settings
    from governance_pipeline.cli import CommandError
    from governance_pipeline.receiver.reload import SourcesWatcher
    from governance_pipeline.receiver.server import build_app, uvicorn_config

    tls = _tls(args, CommandError)
    limits = limits_from(args)
    app = build_app(None, settings.lake_root(), max_body_bytes=int(args.max_body_mib * 1024 * 1024), limits=limits)
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as exc:
        sock.close()
        raise CommandError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from None
    app.grpc_host, app.grpc_port = args.host, args.grpc_port  # served from the app's start-up, beside HTTP
    otlp = sorted(r.source_id for r in app.routes.values() if r.otlp)
    base = f"{'https' if tls else 'http'}://{args.host}:{args.port}/api/ingest/otel/"
    print(f"OTLP receiver on {base}<source_id>[/v1/traces|logs|metrics]; lake {settings.lake_root()}", file=sys.stderr)
    if args.grpc_port:
        print(
            f"OTLP/gRPC{' over TLS' if tls else ''} on {args.host}:{args.grpc_port} (metadata: authorization, x-governance-source)",
            file=sys.stderr,
        )
    print(
        f"OTLP sources: {', '.join(otlp) if otlp else 'none (add an otel_generic source)'}", file=sys.stderr, flush=True
    )
    interval = getattr(args, "reload_interval", 1.0)
    watched = app.sources_path
    watcher = SourcesWatcher(app, watched, interval).start() if watched and interval and interval > 0 else None
    # uvicorn drains in-flight requests (and the landing queue) on SIGTERM, then re-raises the signal to the
    # handler that was there before it: make that a clean exit rather than death by signal
    signal.signal(signal.SIGTERM, _exit_cleanly)
    server = uvicorn.Server(uvicorn_config(app, args.host, args.port, limits=limits, tls=tls))
    try:
        server.run(sockets=[sock])
    except SystemExit:  # uvicorn exits when the app's start-up (the gRPC port) fails
        if server.started:
            raise
    finally:
        if watcher is not None:
            watcher.stop()
    if not server.started:
        raise CommandError(app.startup_error or "the OTLP receiver did not start")
    return 0


def _tls(args, error: type[Exception]) -> tuple[str, str] | None:
    cert, key = getattr(args, "tls_cert", None), getattr(args, "tls_key", None)
    if not cert and not key:
        return None
    if not (cert and key):
        raise error("--tls-cert and --tls-key go together")
    for flag, path in (("--tls-cert", cert), ("--tls-key", key)):
        if not Path(path).is_file():
            raise error(f"{flag}: no such file: {path}")
    return cert, key


def _exit_cleanly(signum, frame) -> None:
    raise SystemExit(0)
