"""The receiver against slow, huge and idle peers: slowloris, oversized headers, slow bodies, memory in flight,
plus TLS and a sources file that changes while it runs. Real sockets on loopback; every loop is bounded."""

from __future__ import annotations

import asyncio
import select
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
import requests

from governance_pipeline.lake.store import LakeStore
from governance_pipeline.receiver.auth import new_secret, secret_sha256
from governance_pipeline.receiver.committer import GroupCommitter, LandingError
from governance_pipeline.receiver.server import build_app, running
from tests.support.tls import self_signed

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "otlp" / "trace.pb"
SECRET = new_secret()
PB = "application/x-protobuf"


def _sources(ids: tuple[str, ...] = ("agents",)) -> str:
    body = "".join(
        f"""
  - id: {i}
    type: otel_generic
    config:
      secretSha256: "{secret_sha256(SECRET)}"
"""
        for i in ids
    )
    return "sources:" + body


@pytest.fixture
def sources_file(tmp_path: Path) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(_sources())
    return path


def export(url: str, source: str = "agents", timeout: float = 60, body: bytes | None = None, **kw):
    return requests.post(
        f"{url}/api/ingest/otel/{source}",
        data=FIXTURE.read_bytes() if body is None else body,
        headers={"Authorization": f"Bearer {SECRET}", "Content-Type": PB},
        timeout=timeout,
        **kw,
    )


def _connect(url: str) -> socket.socket:
    u = urlparse(url)
    return socket.create_connection((u.hostname, u.port), timeout=10)


def _slow_headers(url: str, n: int) -> list[socket.socket]:
    """``n`` connections that start a request and never finish its headers."""
    socks = []
    for _ in range(n):
        s = _connect(url)
        s.sendall(b"POST /api/ingest/otel/agents HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        socks.append(s)
    return socks


def _reply(s: socket.socket, wait: float = 30) -> bytes:
    """What the server sends before closing (b"" if it just closes); bounded by ``wait``."""
    s.settimeout(wait)
    out = b""
    try:
        while chunk := s.recv(65536):
            out += chunk
            if b"\r\n\r\n" in out:
                break
    except ConnectionResetError:
        pass
    return out


def test_slowloris_does_not_lock_out_a_valid_exporter(sources_file, tmp_path):
    app = build_app(str(sources_file), str(tmp_path / "lake"))
    with running(app) as url:
        socks = _slow_headers(url, 600)
        try:
            r = export(url)
            assert r.status_code == 200, r.text
        finally:
            for s in socks:
                s.close()


def test_idle_connections_beyond_the_connection_cap_are_evicted_for_a_new_client(sources_file, tmp_path):
    from governance_pipeline.receiver.limits import ReceiverLimits

    app = build_app(str(sources_file), str(tmp_path / "lake"))
    with running(app, limits=ReceiverLimits(max_connections=64)) as url:
        socks = _slow_headers(url, 200)
        try:
            assert export(url).status_code == 200
            assert _reply(socks[0], wait=30) == b""  # the oldest idle one was closed to make room
        finally:
            for s in socks:
                s.close()


def test_an_oversized_header_gets_431_and_memory_does_not_grow(sources_file, tmp_path):
    app = build_app(str(sources_file), str(tmp_path / "lake"))
    with running(app) as url:
        s = _connect(url)
        s.sendall(b"POST /api/ingest/otel/agents HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Junk: ")
        reply = b""
        try:
            for _ in range(16 * 64):  # up to 16 MiB of one header, 16 KiB at a time
                s.sendall(b"a" * 16384)
                if select.select([s], [], [], 0)[0]:
                    break
        except OSError:
            pass
        reply = _reply(s, wait=30)
        s.close()
        assert reply.startswith(b"HTTP/1.1 431"), reply[:200]
        assert export(url).status_code == 200


def test_a_connection_that_never_finishes_its_headers_is_closed(sources_file, tmp_path):
    from governance_pipeline.receiver.limits import ReceiverLimits

    app = build_app(str(sources_file), str(tmp_path / "lake"))
    with running(app, limits=ReceiverLimits(header_timeout_s=1)) as url:
        (s,) = _slow_headers(url, 1)
        reply = _reply(s, wait=30)
        s.close()
    assert reply == b"" or reply.startswith(b"HTTP/1.1 408")


def test_a_body_that_stalls_gets_408(sources_file, tmp_path):
    from governance_pipeline.receiver.limits import ReceiverLimits

    app = build_app(str(sources_file), str(tmp_path / "lake"))
    with running(app, limits=ReceiverLimits(body_timeout_s=1)) as url:
        s = _connect(url)
        s.sendall(
            b"POST /api/ingest/otel/agents HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-protobuf\r\n"
            + f"Authorization: Bearer {SECRET}\r\nContent-Length: 100000\r\n\r\n".encode()
            + b"\x0a" * 10
        )
        reply = _reply(s, wait=30)
        s.close()
    assert reply.startswith(b"HTTP/1.1 408"), reply[:200]


def test_bytes_in_flight_over_the_cap_get_503_with_retry_after_then_succeed(sources_file, tmp_path):
    from governance_pipeline.receiver.limits import ReceiverLimits

    app = build_app(str(sources_file), str(tmp_path / "lake"))
    with running(app, limits=ReceiverLimits(max_inflight_bytes=1 << 20)) as url:
        hog = _connect(url)
        hog.sendall(
            b"POST /api/ingest/otel/agents HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-protobuf\r\n"
            + f"Authorization: Bearer {SECRET}\r\nContent-Length: 900000\r\n\r\n".encode()
            + b"\x0a" * 1000
        )
        time.sleep(0.5)  # let the hog's request be admitted first (ordering, not a timed assertion)
        busy = export(url, body=b"\x00" * 500_000)
        assert busy.status_code == 503 and busy.headers.get("Retry-After")
        hog.close()
        for _ in range(100):  # the hog's reservation is released when its connection goes
            r = export(url)
            if r.status_code == 200:
                break
            time.sleep(0.1)
        assert r.status_code == 200


def test_the_commit_queue_is_capped(tmp_path):
    async def scenario() -> None:
        committer = GroupCommitter(LakeStore(str(tmp_path / "lake")), linger_s=1.0, max_queue_bytes=1000)
        committer.start()
        try:
            first = asyncio.ensure_future(committer.land("agents", b"\x0a\x00" * 300))
            await asyncio.sleep(0.1)
            with pytest.raises(LandingError, match="busy"):
                await committer.land("agents", b"\x0a\x00" * 300)
            await first
        finally:
            committer.stop()

    asyncio.run(scenario())


def test_a_changed_sources_file_is_picked_up_without_a_restart(sources_file, tmp_path):
    app = build_app(str(sources_file), str(tmp_path / "lake"))
    with running(app) as url:
        assert export(url, "newagents").status_code == 404
        sources_file.write_text(_sources(("agents", "newagents")))
        for _ in range(150):  # polled every second or so
            r = export(url, "newagents")
            if r.status_code != 404:
                break
            time.sleep(0.1)
        assert r.status_code == 200
        sources_file.write_text(_sources(("newagents",)))
        for _ in range(150):
            r = export(url, "agents")
            if r.status_code == 404:
                break
            time.sleep(0.1)
        assert r.status_code == 404
        sources_file.write_text("sources: [not valid")  # a broken edit keeps the last good routes
        time.sleep(2.5)
        assert export(url, "newagents").status_code == 200


def test_tls(sources_file, tmp_path):
    cert, key = self_signed(tmp_path)
    app = build_app(str(sources_file), str(tmp_path / "lake"))
    with running(app, tls=(str(cert), str(key))) as url:
        assert url.startswith("https://")
        assert export(url, verify=str(cert)).status_code == 200
        with pytest.raises(requests.ConnectionError):
            requests.post(url.replace("https://", "http://") + "/api/ingest/otel/agents", timeout=10)


def test_govpipe_serve_over_tls_drains_a_request_in_flight_on_sigterm(sources_file, tmp_path):
    import os
    import signal
    import sys
    import threading

    from governance_pipeline.receiver.server import free_port

    cert, key = self_signed(tmp_path)
    port = free_port()
    env = {**os.environ, "GOVERNANCE_SOURCES": str(sources_file), "GOVERNANCE_LAKE": str(tmp_path / "lake")}
    govpipe = str(Path(sys.executable).parent / "govpipe")
    args = [govpipe, "serve", "--port", str(port), "--tls-cert", str(cert), "--tls-key", str(key)]
    proc = subprocess.Popen(args, env=env, stderr=subprocess.PIPE, text=True)
    url = f"https://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                assert export(url, verify=str(cert), timeout=5).status_code == 200
                break
            except requests.ConnectionError:
                assert proc.poll() is None
                time.sleep(0.1)
        body = FIXTURE.read_bytes()
        sent = threading.Event()

        def slow_body():
            yield body[:10]
            sent.set()
            time.sleep(1.0)  # SIGTERM arrives while this request is in flight
            yield body[10:]

        result: dict = {}

        def in_flight():
            result["r"] = requests.post(
                f"{url}/api/ingest/otel/agents",
                data=slow_body(),
                headers={"Authorization": f"Bearer {SECRET}", "Content-Type": PB},
                verify=str(cert),
                timeout=60,
            )

        t = threading.Thread(target=in_flight)
        t.start()
        assert sent.wait(30)
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        t.join(60)
        assert result["r"].status_code == 200
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    assert proc.returncode == 0, proc.stderr.read()[-2000:]
