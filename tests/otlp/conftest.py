"""Shared set-up for the OTLP tests: a sources file with OTLP and non-OTLP sources, a lake, a live receiver."""

from __future__ import annotations

from pathlib import Path

import pytest

from governance_pipeline.receiver.auth import new_secret, secret_sha256
from governance_pipeline.receiver.server import build_app, running

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "otlp"
SECRET = new_secret()
OTHER_SECRET = new_secret()


def sources_yaml(ndjson_dir: Path) -> str:
    return f"""
sources:
  - id: agents
    type: otel_generic
    config:
      secretSha256: "{secret_sha256(SECRET)}"
  - id: labelled
    type: otel_generic
    config:
      secretSha256: "{secret_sha256(OTHER_SECRET).upper()}"
      allowedSourceTypeLabel: claude_cowork
  - id: files
    type: local_ndjson
    config:
      path: "{ndjson_dir}"
      eventMapping: {{source_event_id: "$.id"}}
"""


@pytest.fixture
def sources_file(tmp_path: Path) -> Path:
    (tmp_path / "ndjson").mkdir()
    path = tmp_path / "sources.yaml"
    path.write_text(sources_yaml(tmp_path / "ndjson"))
    return path


@pytest.fixture
def lake(tmp_path: Path) -> str:
    return str(tmp_path / "lake")


@pytest.fixture
def receiver(sources_file: Path, lake: str):
    """(base URL, app) of a receiver serving on a free loopback port."""
    app = build_app(str(sources_file), lake, max_body_bytes=1 << 20)
    with running(app) as url:
        yield url, app


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def recorded(exporter) -> list:
    """The results of ``exporter.export``, appended as the SDK exports (a stock exporter, its calls recorded)."""
    results: list = []
    export = exporter.export

    def recording(*args, **kwargs):
        results.append(export(*args, **kwargs))
        return results[-1]

    exporter.export = recording
    return results
