"""The ASGI app: ``POST /api/ingest/otel/<source_id>`` (also ``.../<source_id>/v1/traces``).

Checks run cheapest first and before the body is read: route, method, source, source type, secret,
content type and encoding, declared length. The body is then streamed, decompressed under the size limit,
decoded, filtered span by span, and landed; the 2xx is sent only after the landing file is durable.
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
from governance_pipeline.receiver.decode import CONTENT_TYPES, PROTOBUF, Admission, admit, decode, media_type

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
        otlp = bool(getattr(s.adapter_cls, "accepts_otlp", False))
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


class OtlpApp:
    def __init__(
        self, routes: dict[str, Route], lake_root: str, max_body_bytes: int = DEFAULT_MAX_BODY, linger_s: float = 0.0
    ):
        self.routes = routes
        self.max_body_bytes = max_body_bytes
        self.offload_bytes = OFFLOAD_BYTES
        self.committer = GroupCommitter(LakeStore(lake_root), linger_s=linger_s)

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
                await send({"type": "lifespan.startup.complete"})
            elif msg["type"] == "lifespan.shutdown":
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

        path = scope["path"]
        if not path.startswith(PREFIX):
            return await fail(404, "not_found", f"no such endpoint: {path}")
        source_id = path[len(PREFIX) :].removesuffix("/v1/traces").strip("/")
        if scope["method"] != "POST":
            return await fail(405, "method_not_allowed", "only POST is supported", ((b"allow", b"POST"),))
        route = self.routes.get(source_id)
        if route is None:
            return await fail(404, "unknown_source", f"unknown source '{source_id}'")
        if not route.otlp or not route.secret_sha256:
            return await fail(400, "wrong_endpoint", f"source '{source_id}' is not an OTLP source")
        if not authorized(headers.get("authorization"), route.secret_sha256):
            return await fail(
                401, "unauthorized", "missing or wrong bearer secret", ((b"www-authenticate", b"Bearer"),)
            )
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
            if len(body) > self.offload_bytes:  # keep the event loop answering small requests meanwhile
                admission = await asyncio.to_thread(_decode_and_admit, body, ctype, route.allowed_label)
            else:
                admission = _decode_and_admit(body, ctype, route.allowed_label)
        except OtlpDecodeError as exc:
            return await fail(400, "bad_request", str(exc))
        if admission.payload is not None:
            try:
                await self.committer.land(source_id, admission.payload)
            except LandingError:
                return await fail(
                    503, "unavailable", "could not store the request durably; retry", ((b"retry-after", b"1"),)
                )
        body_type, out = responses.success(ctype, admission.accepted, admission.rejected, admission.message, wire)
        await _send(send, 200, body_type, out)


def _decode_and_admit(body: bytes, ctype: str, allowed_label: str | None) -> Admission:
    undecodable: list[str] = []  # spans the pull could not read: rejected in partial_success, the rest lands
    req = decode(body, ctype, undecodable)
    if undecodable and not any(ss.spans for rs in req.resource_spans for ss in rs.scope_spans):
        raise OtlpDecodeError("; ".join(undecodable[:3]))  # nothing in it can be landed: 400, as OTLP says
    return admit(req, allowed_label, body if ctype == PROTOBUF else None, undecodable)


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
