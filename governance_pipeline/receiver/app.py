"""The ASGI app: ``POST /api/ingest/otel/<source_id>`` (traces) and ``.../<source_id>/v1/{traces,logs,metrics}``.

Checks run cheapest first and before the body is read: route, method, source, source type, secret,
content type and encoding, declared length. The body is then streamed, decompressed under the size limit,
decoded, filtered record by record, and landed; the 2xx is sent only after the landing file is durable.
``check`` and ``ingest`` are the transport-independent part, shared with OTLP/gRPC (``receiver.grpc_server``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from governance_pipeline.config.models import SourcesFile
from governance_pipeline.lake.store import LakeStore
from governance_pipeline.otlp.json_decode import OtlpDecodeError
from governance_pipeline.receiver import responses
from governance_pipeline.receiver.auth import authorized
from governance_pipeline.receiver.body import ENCODINGS, BadEncoding, BodyTooLarge, read_body
from governance_pipeline.receiver.committer import GroupCommitter, LandingError
from governance_pipeline.receiver.decode import CONTENT_TYPES, PROTOBUF, media_type
from governance_pipeline.receiver.signals import SIGNALS, TRACES, Outcome, decode_and_admit, success

PREFIX = "/api/ingest/otel/"
DEFAULT_MAX_BODY = 20 * 1024 * 1024
OFFLOAD_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Route:
    """What the receiver needs to know about one source."""

    source_id: str
    otlp: bool
    secret_sha256: str | None = None
    allowed_label: str | None = None


def routes_from(sources: SourcesFile) -> dict[str, Route]:
    out = {}
    for s in sources.sources:
        otlp = s.adapter_cls.accepts_otlp
        cfg = s.config
        out[s.id] = Route(
            s.id,
            otlp,
            getattr(cfg, "secretSha256", None) if otlp else None,
            getattr(cfg, "allowedSourceTypeLabel", None) if otlp else None,
        )
    return out


class ClientGone(Exception):
    pass


class Refused(Exception):
    """A request refused with an HTTP status (the gRPC transport maps it to a gRPC status code)."""

    def __init__(self, status: int, slug: str, message: str, extra: tuple = ()):
        super().__init__(message)
        self.status, self.slug, self.message, self.extra = status, slug, message, extra


def split_path(path: str) -> tuple[str, str] | None:
    """``/api/ingest/otel/<id>[/v1/<signal>]`` -> (source id, signal); None for any other path."""
    if not path.startswith(PREFIX):
        return None
    rest = path[len(PREFIX) :].strip("/")
    for signal in SIGNALS:
        if rest.endswith(f"/v1/{signal}"):
            return rest[: -len(f"/v1/{signal}")].strip("/"), signal
    return rest, TRACES


class OtlpApp:
    def __init__(
        self, routes: dict[str, Route], lake_root: str, max_body_bytes: int = DEFAULT_MAX_BODY, linger_s: float = 0.0
    ):
        self.routes = routes
        self.max_body_bytes = max_body_bytes
        self.offload_bytes = OFFLOAD_BYTES
        self.committer = GroupCommitter(LakeStore(lake_root), linger_s=linger_s)
        self.sources_path: str | None = None  # the file the reload watcher polls (receiver.server.build_app)
        self.grpc_port = 0  # set before start-up to also serve OTLP/gRPC (receiver.grpc_server)
        self.grpc_host = "127.0.0.1"
        self.grpc: Any = None
        self.guard: Any = None  # the HTTP side's limits.Guard, shared with gRPC (server.uvicorn_config sets both)
        self.tls: tuple[str, str] | None = None  # (certificate, key) files: gRPC is then served over TLS too
        self.startup_error: str | None = None
        self.metric_points_dropped: dict[str, int] = {}

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            self.committer.start()
            await self._http(scope, receive, send)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                self.committer.start()
                if self.grpc_port:
                    from governance_pipeline.receiver.grpc_server import GrpcReceiver

                    try:
                        self.grpc = GrpcReceiver(self, self.grpc_host, self.grpc_port).start()
                    except Exception as exc:
                        self.startup_error = str(exc)
                        self.committer.stop()
                        await send({"type": "lifespan.startup.failed", "message": str(exc)})
                        return
                await send({"type": "lifespan.startup.complete"})
            elif msg["type"] == "lifespan.shutdown":
                if self.grpc is not None:
                    self.grpc.stop()  # finishes the calls in flight, which land through the committer
                    self.grpc = None
                self.committer.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: dict, receive: Any, send: Any) -> None:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        ctype = media_type(headers.get("content-type"))
        reply_type = PROTOBUF if ctype == PROTOBUF else "application/json"

        async def fail(status: int, slug: str, message: str, extra: tuple = ()) -> None:
            body_type, body = responses.error(reply_type, status, slug, message)
            await _send(send, status, body_type, body, extra)

        parsed = split_path(scope["path"])
        if parsed is None:
            return await fail(404, "not_found", f"no such endpoint: {scope['path']}")
        source_id, signal = parsed
        if scope["method"] != "POST":
            return await fail(405, "method_not_allowed", "only POST is supported", ((b"allow", b"POST"),))
        try:
            route = self.check(source_id, headers.get("authorization"))
        except Refused as r:
            return await fail(r.status, r.slug, r.message, r.extra)
        if ctype not in CONTENT_TYPES:
            return await fail(
                415, "unsupported_media_type", f"unsupported media type, supported: [{', '.join(CONTENT_TYPES)}]"
            )
        encoding = (headers.get("content-encoding") or "identity").strip().lower()
        if encoding not in ENCODINGS:
            return await fail(
                415, "unsupported_encoding", f"unsupported content encoding '{encoding}', supported: gzip, deflate, br"
            )
        declared = headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_body_bytes:
            return await fail(413, "too_large", f"body over the limit of {self.max_body_bytes} bytes")
        try:
            body, wire = await read_body(_chunks(receive), encoding, self.max_body_bytes)
        except ClientGone:
            return
        except BodyTooLarge:
            return await fail(
                413, "too_large", f"body over the limit of {self.max_body_bytes} bytes (after decompression)"
            )
        except BadEncoding as exc:
            return await fail(400, "bad_request", str(exc))
        try:
            outcome = await self.ingest(route, signal, body, ctype)
        except Refused as r:
            return await fail(r.status, r.slug, r.message, r.extra)
        body_type, out = success(signal, ctype, outcome, wire)
        await _send(send, 200, body_type, out)

    def check(self, source_id: str, authorization: str | None) -> Route:
        """The route of ``source_id`` if it is an OTLP source and ``authorization`` carries its secret."""
        route = self.routes.get(source_id)
        if route is None:
            raise Refused(404, "unknown_source", f"unknown source '{source_id}'")
        if not route.otlp or not route.secret_sha256:
            raise Refused(400, "wrong_endpoint", f"source '{source_id}' is not an OTLP source")
        if not authorized(authorization, route.secret_sha256):
            raise Refused(401, "unauthorized", "missing or wrong bearer secret", ((b"www-authenticate", b"Bearer"),))
        return route

    async def ingest(self, route: Route, signal: str, body: bytes, ctype: str) -> Outcome:
        """Decode, admit and land one request body; returns once what was accepted is durable."""
        try:
            if len(body) > self.offload_bytes:  # keep the event loop answering small requests meanwhile
                outcome = await asyncio.to_thread(decode_and_admit, signal, body, ctype, route.allowed_label)
            else:
                outcome = decode_and_admit(signal, body, ctype, route.allowed_label)
        except OtlpDecodeError as exc:
            raise Refused(400, "bad_request", str(exc)) from None
        if outcome.dropped:
            dropped = self.metric_points_dropped
            dropped[route.source_id] = dropped.get(route.source_id, 0) + outcome.dropped
        if outcome.admission.payload is not None:
            try:
                await self.committer.land(route.source_id, outcome.admission.payload)
            except LandingError:
                raise Refused(
                    503, "unavailable", "could not store the request durably; retry", ((b"retry-after", b"1"),)
                ) from None
        return outcome


async def _chunks(receive: Any) -> AsyncIterator[bytes]:
    while True:
        msg = await receive()
        if msg["type"] == "http.disconnect":
            raise ClientGone
        yield msg.get("body", b"")
        if not msg.get("more_body", False):
            return


async def _send(send: Any, status: int, content_type: str, body: bytes, extra: tuple = ()) -> None:
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
