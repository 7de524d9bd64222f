"""With the lake on S3 (moto's server on loopback), a 2xx means the landing object is PUT, and pulls read it."""

from __future__ import annotations

import io

import pyarrow.parquet as pq
import pytest
import requests

from governance_pipeline.cli.ingest_tail import newest_events
from governance_pipeline.ingest import run_pull
from governance_pipeline.pull_types import Runtime
from governance_pipeline.receiver import landing_has_data
from governance_pipeline.receiver.server import build_app, running
from governance_pipeline.sources_file import load_sources
from tests.otlp.conftest import SECRET, fixture_bytes
from tests.support.moto import moto_server, use_for_lake


@pytest.fixture
def s3(monkeypatch):
    with moto_server() as endpoint:
        yield use_for_lake(monkeypatch, endpoint, "lake")


def test_receiver_lands_on_s3_and_the_pull_reads_it_back(s3, sources_file):
    lake = "s3://lake/gov"
    with running(build_app(str(sources_file), lake)) as url:
        r = requests.post(
            f"{url}/api/ingest/otel/agents",
            data=fixture_bytes("trace.pb"),
            headers={"Authorization": f"Bearer {SECRET}", "Content-Type": "application/x-protobuf"},
            timeout=10,
        )
        assert r.status_code == 200
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="lake", Prefix="gov/_landing/otlp/agents/")["Contents"]]
        assert len(keys) == 1 and keys[0].endswith(".pb")  # the object exists once the 200 is sent
    assert landing_has_data(lake, "agents")
    source = load_sources(sources_file).source("agents")
    outcome = run_pull(source, Runtime(credentials=lambda ref: {}, lake_root=lake), None)
    assert (outcome.events, outcome.new) == (4, 4)
    events = [o["Key"] for o in s3.list_objects_v2(Bucket="lake", Prefix="gov/events/source_id=agents/")["Contents"]]
    assert events and all("date=2026-10-01" in k for k in events)
    rows = sum(pq.read_table(io.BytesIO(s3.get_object(Bucket="lake", Key=k)["Body"].read())).num_rows for k in events)
    assert rows == 4
    tail = newest_events(lake, "agents", 2)  # govpipe ingest tail reads an S3 lake too
    assert [r["source_event_id"] for r in tail] == ["83e290234994b8ab", "979b3b236720058d"]


def test_worker_processes_read_the_landing_area_on_s3(s3, sources_file, monkeypatch, caplog):
    """The pull's worker processes reach the S3 lake through the same ``AWS_*`` environment as the run."""
    from governance_pipeline.adapters import otel_generic
    from tests.otlp.test_parallel_pull import _land

    caplog.set_level("INFO", logger="governance_pipeline")
    lake = "s3://lake/gov"
    _land(lake)
    monkeypatch.setattr(otel_generic, "PARALLEL_MIN_FILES", 1)
    monkeypatch.setattr(otel_generic, "FILES_PER_TASK", 2)
    monkeypatch.setenv("GOVERNANCE_PULL_WORKERS", "2")
    source = load_sources(sources_file).source("agents")
    outcome = run_pull(source, Runtime(credentials=lambda ref: {}, lake_root=lake), None)
    assert (outcome.new, outcome.errors) == (8 * 5 - 1 + 5 * 3, 2)  # as on a local lake (test_parallel_pull.py)
    assert "worker processes" in caplog.text and "died" not in caplog.text  # decoded by the workers themselves
