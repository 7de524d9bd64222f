"""Start every sample upstream the demo's ``sources.yaml`` points at, on fixed loopback ports."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import boto3

from governance_pipeline.demo.fakes.langsmith_api import FakeLangSmith, load_fixtures
from governance_pipeline.demo.fakes.vendors import AnthropicCompliance, AuditApi, MicrosoftManagementApi
from governance_pipeline.demo.httpd import serve
from governance_pipeline.demo.s3_server import moto_server

FIXTURES = Path(__file__).resolve().parents[2] / "demo" / "fixtures"

PORTS = {"audit": 18081, "anthropic": 18082, "microsoft": 18083, "langsmith": 18085, "s3": 18086, "otlp": 4318}

# What the sample upstreams accept; sources.yaml carries the same demo values as literals.
DEMO_ENV = {
    "DEMO_AUDIT_TOKEN": "demo-audit-token-1",
    "DEMO_ANTHROPIC_KEY": "demo-anthropic-key-1",
    "DEMO_MS_CLIENT_SECRET": "demo-ms-client-secret-1",
    "DEMO_LANGSMITH_KEY": "demo-langsmith-key-1",
    "DEMO_S3_KEY_ID": "demo",
    "DEMO_S3_SECRET": "demo-s3-secret-1",
    "DEMO_OTLP_SECRET": "gp_is_demo-otlp-secret-not-for-production",
}
LANGSMITH_TENANT = "6e82b011-8475-411a-93e6-f9826b5b429e"


def otlp_secret_sha256() -> str:
    return hashlib.sha256(DEMO_ENV["DEMO_OTLP_SECRET"].encode()).hexdigest()


def _wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def _free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def seed_s3(endpoint: str) -> None:
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=DEMO_ENV["DEMO_S3_KEY_ID"],
        aws_secret_access_key=DEMO_ENV["DEMO_S3_SECRET"],
    )
    for bucket in ("demo-openai-compliance", "demo-langsmith-export", "demo-governance-archive"):
        s3.create_bucket(Bucket=bucket)
    s3.put_object(
        Bucket="demo-openai-compliance",
        Key="compliance/2026/10/01/00/events.jsonl.gz",
        Body=(FIXTURES / "openai_compliance" / "sample.jsonl.gz").read_bytes(),
    )
    root = FIXTURES / "langsmith_export"
    for path in root.rglob("*.parquet"):
        s3.put_object(
            Bucket="demo-langsmith-export", Key=f"exports/{path.relative_to(root).as_posix()}", Body=path.read_bytes()
        )


def drop_openai_file(endpoint: str, n: int) -> None:
    """A new hourly compliance drop with fresh events (the demo's S3 keeps receiving files)."""
    lines = gzip.decompress((FIXTURES / "openai_compliance" / "sample.jsonl.gz").read_bytes()).splitlines()
    now = datetime.now(UTC)
    out = []
    for i, line in enumerate(lines[:5]):
        rec = json.loads(line)
        rec.update(id=f"live_{n}_{i}", created_at=int(now.timestamp()))
        out.append(json.dumps(rec))
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=DEMO_ENV["DEMO_S3_KEY_ID"],
        aws_secret_access_key=DEMO_ENV["DEMO_S3_SECRET"],
    )
    key = now.strftime("compliance/%Y/%m/%d/%H/") + f"live-{n:05d}.jsonl.gz"
    s3.put_object(Bucket="demo-openai-compliance", Key=key, Body=gzip.compress("\n".join(out).encode()))


def busy_ports() -> list[str]:
    return [f"{name}:{port}" for name, port in PORTS.items() if not _free(port)]


class PortsBusy(RuntimeError):
    """Another program (often another demo) holds the demo's fixed ports."""

    def __init__(self, busy: list[str]):
        super().__init__(f"demo ports already in use ({', '.join(busy)}): is another demo running?")


class Upstreams:
    """Context manager: starts the servers, seeds the data, keeps the live feeds going, stops everything."""

    def __init__(self, live: bool = False):
        self.live = live
        self._stack = ExitStack()
        self._stop = threading.Event()
        self.audit: AuditApi | None = None

    def __enter__(self) -> Upstreams:
        try:
            return self._start()
        except BaseException:
            self._stack.close()
            raise

    def _start(self) -> Upstreams:
        busy = busy_ports()
        if busy:
            raise PortsBusy(busy)
        s = self._stack
        self.audit = AuditApi(FIXTURES / "audit_http", DEMO_ENV["DEMO_AUDIT_TOKEN"])
        s.enter_context(serve(self.audit, port=PORTS["audit"], keep_requests=False))
        s.enter_context(
            serve(
                AnthropicCompliance(FIXTURES / "anthropic_compliance", DEMO_ENV["DEMO_ANTHROPIC_KEY"]),
                port=PORTS["anthropic"],
                keep_requests=False,
            )
        )
        ms_url = f"http://127.0.0.1:{PORTS['microsoft']}"
        s.enter_context(
            serve(
                MicrosoftManagementApi(FIXTURES / "copilot", DEMO_ENV["DEMO_MS_CLIENT_SECRET"], ms_url),
                port=PORTS["microsoft"],
                keep_requests=False,
            )
        )
        fake_ls = FakeLangSmith(load_fixtures(FIXTURES / "langsmith"), DEMO_ENV["DEMO_LANGSMITH_KEY"], LANGSMITH_TENANT)
        s.enter_context(serve(fake_ls, port=PORTS["langsmith"], keep_requests=False))
        self.s3_endpoint = s.enter_context(moto_server(port=PORTS["s3"]))
        seed_s3(self.s3_endpoint)
        receiver = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "governance_pipeline.cli",
                "serve",
                "--port",
                str(PORTS["otlp"]),
                "--grpc-port",
                "0",
            ],
            env=dict(os.environ),
        )
        s.callback(_terminate, receiver)
        _wait_port(PORTS["otlp"])
        from governance_pipeline.demo.otlp_sender import SpanSender

        self.sender = SpanSender(
            f"http://127.0.0.1:{PORTS['otlp']}/api/ingest/otel/agents_otlp", DEMO_ENV["DEMO_OTLP_SECRET"]
        )
        s.callback(self.sender.shutdown)
        self.sender.send_burst(12)
        from governance_pipeline.demo.agent_logs import AgentLogSender

        self.agent_logs = AgentLogSender(
            f"http://127.0.0.1:{PORTS['otlp']}/api/ingest/otel/coding_agents", DEMO_ENV["DEMO_OTLP_SECRET"]
        )
        s.callback(self.agent_logs.shutdown)
        self.agent_logs.send_burst(3)
        if self.live:
            thread = threading.Thread(target=self._feed, daemon=True)
            thread.start()
        s.callback(self._stop.set)
        return self

    def _feed(self) -> None:
        n = 0
        while not self._stop.wait(5):
            n += 1
            self.sender.send_burst(3)
            self.agent_logs.send_burst(1)
            if n % 6 == 0 and self.audit is not None:
                self.audit.add_live_event()
            if n % 12 == 0:
                drop_openai_file(self.s3_endpoint, n)

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._stack.close()


def _terminate(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
