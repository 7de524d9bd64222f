"""``govpipe serve``, ``govpipe sources secret`` and ``govpipe ingest tail`` as a user runs them."""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC
from pathlib import Path

import pytest
import requests

from governance_pipeline.cli import CommandError
from governance_pipeline.cli.ingest_tail import format_row, newest_events
from governance_pipeline.cli.serve import run as serve_command
from governance_pipeline.cli.sources_secret import secret_command
from governance_pipeline.ingest import run_pull
from governance_pipeline.lake.schema import EVENT_COLUMNS
from governance_pipeline.pull_types import Runtime
from governance_pipeline.receiver.auth import secret_sha256
from governance_pipeline.receiver.server import free_port
from governance_pipeline.sources_file import load_sources
from tests.otlp.conftest import SECRET, fixture_bytes

GOVPIPE = [str(Path(sys.executable).parent / "govpipe")]  # the installed console script


@pytest.fixture
def env(sources_file: Path, lake: str, tmp_path: Path) -> dict:
    return {
        **os.environ,
        "GOVERNANCE_SOURCES": str(sources_file),
        "GOVERNANCE_LAKE": lake,
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
    }


def govpipe(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*GOVPIPE, *args], env=env, capture_output=True, text=True, timeout=120)


def test_sources_secret_prints_a_secret_and_its_sha256(env, capsys):
    out = govpipe(env, "sources", "secret")
    assert out.returncode == 0, out.stderr
    secret = re.search(r"^secret:\s+(gp_is_[A-Za-z0-9_-]{43})$", out.stdout, re.M).group(1)
    digest = re.search(r"^secretSha256:\s+([0-9a-f]{64})$", out.stdout, re.M).group(1)
    assert secret_sha256(secret) == digest
    secret_command(None)
    assert secret not in capsys.readouterr().out  # a new one every time


def test_serve_accepts_spans_then_pull_tail_and_list_see_them(env, lake, monkeypatch):
    monkeypatch.setenv("GOVERNANCE_SOURCES", env["GOVERNANCE_SOURCES"])
    port, grpc_port = free_port(), free_port()
    proc = subprocess.Popen(
        [*GOVPIPE, "serve", "--port", str(port), "--grpc-port", str(grpc_port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/api/ingest/otel/agents"
        deadline = time.monotonic() + 30
        while True:
            try:
                r = requests.post(
                    url,
                    data=fixture_bytes("trace_camel.json"),
                    headers={"Authorization": f"Bearer {SECRET}", "Content-Type": "application/json"},
                    timeout=5,
                )
                break
            except requests.ConnectionError:
                assert proc.poll() is None and time.monotonic() < deadline, (
                    proc.stderr.read() if proc.poll() is not None else "timeout"
                )
                time.sleep(0.1)
        assert r.status_code == 200 and r.json()["events"] == 4
        status = json.loads(govpipe(env, "sources", "list", "--json").stdout)
        assert {s["id"]: s["status"] for s in status}["agents"] == "active"  # landed, not yet pulled
        assert {s["id"]: s["status"] for s in status}["labelled"] == "awaiting_first_event"
        with pytest.raises(CommandError, match=f"cannot listen on 127.0.0.1:{port}"):  # one line, exit 1
            serve_command(argparse.Namespace(host="127.0.0.1", port=port, grpc_port=0, max_body_mib=20.0))
        with pytest.raises(CommandError, match=f"cannot listen on 127.0.0.1:{grpc_port} \\(gRPC\\)"):
            serve_command(
                argparse.Namespace(host="127.0.0.1", port=free_port(), grpc_port=grpc_port, max_body_mib=20.0)
            )
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    assert proc.returncode == 0
    stderr = proc.stderr.read()
    assert "OTLP sources: agents, labelled" in stderr and f"OTLP/gRPC on 127.0.0.1:{grpc_port}" in stderr

    pulled = govpipe(env, "pull", "agents")  # through the Dagster job, against DAGSTER_HOME
    assert pulled.returncode == 0, pulled.stderr
    assert pulled.stdout.strip() == "events=4 new=4 errors=0"

    tail = govpipe(env, "ingest", "tail", "--json", "-n", "3")
    rows = [json.loads(line) for line in tail.stdout.splitlines()]
    assert len(rows) == 3 and set(rows[0]) == {"source_id", *EVENT_COLUMNS}
    assert [r["source_event_id"] for r in rows] == ["83e290234994b8ab", "979b3b236720058d", "47fd7881fd2cc7cc"]
    text = [format_row(r, as_json=False) for r in newest_events(lake, "agents")]
    assert (
        len(text) == 4
        and text[2]
        == "2026-10-01T09:15:02.135Z  agents  api.call  usr_8f2c1a  chat  gpt-4o  in=1250 out=312  $0.006245"
    )
    assert newest_events(lake, "nobody") == []


def test_tail_follow_prints_events_that_arrive_later(env, sources_file, lake):
    from datetime import datetime

    import orjson

    from governance_pipeline.lake.store import LakeStore
    from governance_pipeline.otlp.json_decode import request_from_json
    from governance_pipeline.receiver import landing

    proc = subprocess.Popen(
        [*GOVPIPE, "ingest", "tail", "--follow", "--json", "--interval", "0.2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.5)  # let it list the (empty) lake first
        payload = request_from_json(orjson.loads(fixture_bytes("openinference.json"))).SerializeToString()
        LakeStore(lake).write_bytes(landing.file_path("agents", landing.file_name(datetime.now(UTC), "w", 1)), payload)
        source = load_sources(sources_file).source("agents")
        assert run_pull(source, Runtime(credentials=lambda r: {}, lake_root=lake), None).new == 5
        lines = [json.loads(proc.stdout.readline()) for _ in range(5)]
        assert {line["source_id"] for line in lines} == {"agents"} and lines[0]["source_event_id"] == "7aad4c90a46e4bd8"
    finally:
        proc.kill()
        proc.wait(timeout=10)
