"""OTLP/gRPC (``govpipe serve --grpc-port``, default 4317): the three ``Export`` services, sharing the HTTP app's
authentication, decoding and landing (``OtlpApp.check`` and ``OtlpApp.ingest``).

gRPC has no path to carry the source, so the call's metadata does: ``x-governance-source: <source_id>`` and
``authorization: Bearer <secret>`` (``OTEL_EXPORTER_OTLP_HEADERS=authorization=Bearer …,x-governance-source=…``).
The server runs on its own asyncio loop in a thread; a call returns only after what it carried is durable.
It shares the HTTP side's edges: a call holds its bytes from the process-wide in-flight budget
(``limits.Guard``; UNAVAILABLE, which exporters retry, when it is spent), and with ``--tls-cert/--tls-key`` gRPC
is served over TLS with the same certificate, so the bearer secret never crosses the network in clear.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path
from typing import Any

import grpc

from governance_pipeline.receiver.app import OtlpApp, Refused
from governance_pipeline.receiver.decode import PROTOBUF
from governance_pipeline.receiver.signals import LOGS, METRICS, TRACES, success

log = logging.getLogger("governance_pipeline.receiver")

SOURCE_HEADER = "x-governance-source"
SERVICES = {
    TRACES: "opentelemetry.proto.collector.trace.v1.TraceService",
    LOGS: "opentelemetry.proto.collector.logs.v1.LogsService",
    METRICS: "opentelemetry.proto.collector.metrics.v1.MetricsService",
}
# HTTP status of a refusal -> gRPC status; OTLP exporters retry UNAVAILABLE and RESOURCE_EXHAUSTED only
STATUS = {
    400: grpc.StatusCode.INVALID_ARGUMENT,
    401: grpc.StatusCode.UNAUTHENTICATED,
    404: grpc.StatusCode.NOT_FOUND,
    413: grpc.StatusCode.RESOURCE_EXHAUSTED,
    503: grpc.StatusCode.UNAVAILABLE,
}
MAX_CONCURRENT_RPCS = 512  # like the HTTP side's connection limit: beyond it, RESOURCE_EXHAUSTED (retried)


class GrpcReceiver:
    def __init__(self, app: OtlpApp, host: str, port: int):
        self.app = app
        self.host = host
        self.port = port
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> GrpcReceiver:
        """Bind and serve; raises ``OSError`` if the port cannot be bound."""
        self._thread = threading.Thread(target=self._run, name="otlp-grpc", daemon=True)
        self._thread.start()
        if not self._ready.wait(20):
            raise OSError(f"the OTLP/gRPC server did not start on {self.host}:{self.port}")
        if self._error is not None:
            raise self._error
        return self

    def stop(self, grace_s: float = 10.0) -> None:
        """Refuse new calls, finish those in flight (up to ``grace_s``), then return."""
        if self._thread is None or self._stop is None:
            return
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(grace_s + 10)
        self._thread = None

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported to start(); after start-up, logged
            if not self._ready.is_set():
                self._error = exc
                self._ready.set()
            else:
                log.error("the OTLP/gRPC server stopped: %s", exc)
        finally:
            self._loop.close()

    async def _serve(self, grace_s: float = 10.0) -> None:
        limit = self.app.max_body_bytes
        server = grpc.aio.server(
            options=[
                ("grpc.max_receive_message_length", limit),
                ("grpc.max_send_message_length", 1 << 20),
                ("grpc.so_reuseport", 0),  # a busy port is an error, not a port shared with another server
            ],
            maximum_concurrent_rpcs=MAX_CONCURRENT_RPCS,
        )
        server.add_generic_rpc_handlers(
            [
                grpc.method_handlers_generic_handler(
                    service, {"Export": grpc.unary_unary_rpc_method_handler(self._handler(signal))}
                )
                for signal, service in SERVICES.items()
            ]
        )
        address = f"{self.host}:{self.port}"
        try:
            if self.app.tls:
                cert, key = (Path(f).read_bytes() for f in self.app.tls)
                bound = server.add_secure_port(address, grpc.ssl_server_credentials([(key, cert)]))
            else:
                bound = server.add_insecure_port(address)
        except RuntimeError as exc:
            raise OSError(f"cannot listen on {self.host}:{self.port} (gRPC): {exc}") from None
        if not bound:
            raise OSError(f"cannot listen on {self.host}:{self.port} (gRPC)")
        self.port = bound
        await server.start()
        self._stop = asyncio.Event()
        self._ready.set()
        await self._stop.wait()
        await server.stop(grace_s)

    def _handler(self, signal: str) -> Any:
        app = self.app

        async def export(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
            # no deserializer: ``request`` is the serialized Export*ServiceRequest, as an HTTP protobuf body
            metadata = {k.lower(): v for k, v in (context.invocation_metadata() or ()) if isinstance(v, str)}
            source_id = (metadata.get(SOURCE_HEADER) or "").strip()
            if not source_id:
                await context.abort(
                    grpc.StatusCode.INVALID_ARGUMENT, f"missing the '{SOURCE_HEADER}' metadata (the source id)"
                )
            budget = app.guard.budget if app.guard is not None else None
            if budget is not None and not budget.try_take(len(request)):
                await context.abort(grpc.StatusCode.UNAVAILABLE, "the receiver is busy (request bytes in flight)")
            try:
                route = app.check(source_id, metadata.get("authorization"))
                outcome = await app.ingest(route, signal, request, PROTOBUF)
            except Refused as r:
                await context.abort(STATUS.get(r.status, grpc.StatusCode.INTERNAL), r.message)
            finally:
                if budget is not None:
                    budget.give(len(request))
            return success(signal, PROTOBUF, outcome, len(request))[1]

        return export
