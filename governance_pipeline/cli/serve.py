"""``govpipe serve [--host 127.0.0.1] [--port 4318] [--grpc-port 4317]``: the OTLP receiver (docs/otlp.md).

OTLP/HTTP on ``--port`` (traces, logs, metrics), OTLP/gRPC on ``--grpc-port`` (0 turns gRPC off).

The sources file (``GOVERNANCE_SOURCES``) is read once at start-up; restart to pick up new sources or secrets.
Accepted spans land under the lake (``GOVERNANCE_LAKE``); the ``otel_generic`` sensor turns them into events.
"""

from __future__ import annotations

import signal
import socket
import sys


def register(sub) -> None:
    p = sub.add_parser("serve", help="run the OTLP receiver (HTTP and gRPC)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=4318, help="port (default 4318)")
    p.add_argument("--grpc-port", type=int, default=4317, help="OTLP/gRPC port (default 4317; 0 disables gRPC)")
    p.add_argument("--max-body-mib", type=float, default=20.0, help="body limit, also after decompression (default 20)")
    p.set_defaults(func=run)


def run(args) -> int:
    import uvicorn

    from governance_pipeline import settings
    from governance_pipeline.cli import CommandError
    from governance_pipeline.receiver.server import build_app, uvicorn_config

    app = build_app(None, settings.lake_root(), max_body_bytes=int(args.max_body_mib * 1024 * 1024))
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
    base = f"http://{args.host}:{args.port}/api/ingest/otel/"
    print(f"OTLP receiver on {base}<source_id>[/v1/traces|logs|metrics]; lake {settings.lake_root()}", file=sys.stderr)
    if args.grpc_port:
        print(
            f"OTLP/gRPC on {args.host}:{args.grpc_port} (metadata: authorization, x-governance-source)",
            file=sys.stderr,
        )
    print(
        f"OTLP sources: {', '.join(otlp) if otlp else 'none (add an otel_generic source)'}", file=sys.stderr, flush=True
    )
    # uvicorn drains in-flight requests (and the landing queue) on SIGTERM, then re-raises the signal to the
    # handler that was there before it: make that a clean exit rather than death by signal
    signal.signal(signal.SIGTERM, _exit_cleanly)
    server = uvicorn.Server(uvicorn_config(app, args.host, args.port))
    try:
        server.run(sockets=[sock])
    except SystemExit:  # uvicorn exits when the app's start-up (the gRPC port) fails
        if server.started:
            raise
    if not server.started:
        raise CommandError(app.startup_error or "the OTLP receiver did not start")
    return 0


def _exit_cleanly(signum, frame) -> None:
    raise SystemExit(0)
