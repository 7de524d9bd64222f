"""Test set-up: the committed fixture files (``tests/fixtures``), an isolated environment per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.mappings import mapping_yaml

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"

NDJSON_MAPPING = "\n" + mapping_yaml(6)


@pytest.fixture
def env(tmp_path, monkeypatch):
    """Lake, DuckDB file and Dagster home in a temp folder; returns the folder."""
    monkeypatch.setenv("GOVERNANCE_LAKE", str(tmp_path / "lake"))
    monkeypatch.setenv("GOVERNANCE_DUCKDB", str(tmp_path / "governance.duckdb"))
    monkeypatch.setenv("GOVERNANCE_REPORTS", str(tmp_path / "reports"))
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO / "dagster.yaml").read_text())
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return tmp_path


@pytest.fixture
def ndjson_source(env, monkeypatch):
    """A sources file with one local_ndjson source over a folder of fixture files; returns (folder, sources path)."""
    folder = env / "inbox"
    folder.mkdir()
    sources = env / "sources.yaml"
    sources.write_text(
        f"""
sources:
  - id: local_demo
    type: local_ndjson
    startDate: "2026-09-01"
    config:
      path: {folder}
{NDJSON_MAPPING}"""
    )
    monkeypatch.setenv("GOVERNANCE_SOURCES", str(sources))
    return folder, sources


def copy_fixture(rel: str, dest: Path) -> Path:
    dest.write_bytes((FIXTURES / rel).read_bytes())
    return dest


def subprocess_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    return env
