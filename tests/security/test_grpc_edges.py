"""OTLP/gRPC shares the HTTP side's edges: the process-wide budget of bytes in flight, and TLS when the
receiver is given a certificate (a bearer secret never crosses the network in clear on either port)."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import grpc
import pytest

from governance_pipeline.receiver.auth import new_secret, secret_sha256
from governance_pipeline.receiver.limits import ReceiverLimits
from governance_pipeline.receiver.server import build_app, free_port, running
from tests.support.tls import self_signed

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "otlp" / "trace.pb"
SECRET = new_secret()
EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
METADATA = (("authorization", f"Bearer {SECRET}"), ("x-governance-source", "agents"))


@pytest.fixture
def sources_file(tmp_path: Path) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(
        f'sources:\n  - id: agents\n    type: otel_generic\n    config:\n      secretSha256: "{secret_sha256(SECRET)}"\n'
    )
    return path


def _export(channel: grpc.Channel, body: bytes) -> bytes:
    call = channel.unary_unary(EXPORT, request_serializer=None, response_deserializer=None)
    return call(body, metadata=METADATA, timeout=20)


def _landed(lake: Path) -> int:
    return sum(1 for p in (lake / "_landing").rglob("*") if p.is_file()) if (lake / "_landing").exists() else 0


def test_grpc_calls_take_from_the_budget_http_bodies_hold(sources_file, tmp_path):
    """A slow HTTP upload that reserved most of the in-flight budget keeps gRPC calls out (UNAVAILABLE, which
    exporters retry) until it ends; then the same call lands."""
    body = FIXTURE.read_bytes()
    limits = ReceiverLimits(max_inflight_bytes=64 * 1024)
    app = build_app(str(sources_file), str(tmp_path / "lake"), max_body_bytes=1 << 20, limits=limits)
    app.grpc_port = free_port()
    with running(app, limits=limits) as url:
        host, port = url.removeprefix("http://").split(":")
        slow = socket.create_connection((host, int(port)), timeout=10)
        slow.sendall(
            b"POST /api/ingest/otel/agents HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
            + f"Authorization: Bearer {SECRET}\r\nContent-Length: {60 * 1024}\r\n\r\n".encode()
            + b"\0" * 100
        )
        with grpc.insecure_channel(f"127.0.0.1:{app.grpc.port}") as channel:
            deadline = time.monotonic() + 10
            while True:  # the HTTP side reserves once it has read the head
                try:
                    _export(channel, body + b"\x0a\x00" * 4096)  # empty resource_spans: ~8 KiB more to hold
                except grpc.RpcError as exc:
                    assert exc.code() == grpc.StatusCode.UNAVAILABLE, exc
                    break
                assert time.monotonic() < deadline, "the gRPC call was never refused"
                time.sleep(0.05)
            slow.close()
            deadline = time.monotonic() + 10
            while True:
                try:
                    _export(channel, body + b"\x0a\x00" * 4096)
                    break
                except grpc.RpcError as exc:
                    assert exc.code() == grpc.StatusCode.UNAVAILABLE and time.monotonic() < deadline, exc
                    time.sleep(0.05)
    assert app.grpc is None


def test_grpc_is_served_over_tls_when_the_receiver_has_a_certificate(sources_file, tmp_path):
    cert, key = self_signed(tmp_path)
    lake = tmp_path / "lake"
    app = build_app(str(sources_file), str(lake))
    app.grpc_port = free_port()
    with running(app, tls=(str(cert), str(key))):
        target = f"127.0.0.1:{app.grpc.port}"
        with grpc.insecure_channel(target) as plain:  # the secret would travel in clear: no answer
            with pytest.raises(grpc.RpcError) as refused:
                _export(plain, FIXTURE.read_bytes())
            assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
        assert _landed(lake) == 0
        creds = grpc.ssl_channel_credentials(root_certificates=cert.read_bytes())
        with grpc.secure_channel(target, creds) as channel:
            _export(channel, FIXTURE.read_bytes())
    assert _landed(lake) == 1
