"""The documented plug-in route, end to end: a package installed into the environment registers a source type
through the ``governance_pipeline.adapters`` entry point group (tests/plugins/govpipe_sample_plugin, installed by
``make install``); ``govpipe validate`` checks its config and ``govpipe pull`` lands its events exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import duckdb

from governance_pipeline.adapters.registry import ENTRY_POINT_GROUP, adapter_types, get_adapter
from tests.conftest import REPO

BIN = Path(sys.executable).parent
EVENTS = """
      - {source_event_id: e1, event_timestamp: "2026-10-01T10:00:00Z", actor: ana@example.com, action: chat, target: gpt-4o, model: gpt-4o, tokens_input: 10, tokens_output: 2}
      - {source_event_id: e2, event_timestamp: "2026-10-01T11:00:00Z", actor: ana@example.com, action: tool, target: search, tool_name: search}
      - {source_event_id: e3, event_timestamp: "2026-10-02T09:30:00Z", actor: bo@example.com, action: chat, target: claude-sonnet-4-5, model: claude-sonnet-4-5, cost_usd: 0.25}
"""


def govpipe(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "govpipe"), *args], capture_output=True, text=True, cwd=REPO, env=dict(os.environ), timeout=300
    )


def sources(env: Path, monkeypatch, config: str) -> Path:
    path = env / "sources.yaml"
    path.write_text(f"""
sources:
  - id: plug
    type: static_events
    startDate: "2026-09-01"
    config:
{config}""")
    monkeypatch.setenv("GOVERNANCE_SOURCES", str(path))
    return path


def test_the_sample_plugin_is_installed_through_the_entry_point_group():
    names = {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}
    assert names.get("static_events") == "govpipe_sample_plugin:StaticEventsAdapter", (
        "the test plug-in is not installed: run `make install` (it installs tests/plugins/govpipe_sample_plugin)"
    )
    assert "static_events" in adapter_types()
    assert get_adapter("static_events").__module__ == "govpipe_sample_plugin"


def test_validate_checks_a_plugin_config_with_the_file_source_and_key_path(env, monkeypatch):
    path = sources(env, monkeypatch, "      events: []\n      colour: blue\n")
    out = govpipe("validate")
    assert out.returncode == 2, out.stdout + out.stderr
    lines = out.stderr.strip().splitlines()
    assert any(line.startswith(f"{path}: source 'plug': config.events") for line in lines), lines
    assert any(line.startswith(f"{path}: source 'plug': config.colour") for line in lines), lines


def test_govpipe_pull_lands_plugin_events_once_and_resumes_from_its_cursor(env, monkeypatch):
    sources(env, monkeypatch, "      events:" + EVENTS)
    assert govpipe("validate").returncode == 0
    first = govpipe("pull", "plug")
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().splitlines()[-1] == "events=3 new=3 errors=0"
    again = govpipe("pull", "plug")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().splitlines()[-1] == "events=0 new=0 errors=0"
    rows = duckdb.sql(
        f"SELECT source_id, source_event_id, actor, event_type, tokens_input, cost_source, date::VARCHAR "
        f"FROM read_parquet('{env}/lake/events/**/*.parquet', hive_partitioning=true) ORDER BY source_event_id"
    ).fetchall()
    assert rows == [
        ("plug", "e1", "ana@example.com", "api.call", 10, "computed", "2026-10-01"),  # priced from its tokens
        ("plug", "e2", "ana@example.com", "tool.invocation", 0, "none", "2026-10-01"),
        ("plug", "e3", "bo@example.com", "api.call", 0, "given", "2026-10-02"),  # the event's own cost is kept
    ]
