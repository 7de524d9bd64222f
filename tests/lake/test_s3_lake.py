"""The lake on an S3-compatible store (moto's server on loopback): same layout, same exactly-once."""

from __future__ import annotations

import pyarrow.dataset as ds
import pytest

from governance_pipeline.ingest import run_pull
from governance_pipeline.lake.store import LakeStore, s3_filesystem
from governance_pipeline.pull_types import Runtime
from governance_pipeline.sources_file import parse_sources
from tests.conftest import NDJSON_MAPPING, copy_fixture
from tests.support.moto import moto_server, use_for_lake


@pytest.fixture(scope="module")
def s3_endpoint():
    with moto_server() as url:
        yield url


def test_pull_into_an_s3_lake_is_exactly_once(s3_endpoint, tmp_path, monkeypatch):
    use_for_lake(monkeypatch, s3_endpoint, "lake")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    copy_fixture("ndjson/sample.ndjson", inbox / "a.ndjson")
    source = parse_sources(
        f"sources:\n  - id: files\n    type: local_ndjson\n    config:\n      path: {inbox}\n{NDJSON_MAPPING}"
    ).sources[0]
    runtime = Runtime(credentials=lambda r: {}, lake_root="s3://lake/governance")
    assert run_pull(source, runtime, None).new == 10
    assert run_pull(source, runtime, None).new == 0  # the re-pull finds every id present
    keys = LakeStore("s3://lake/governance").list_files("events", ".parquet")
    assert len(keys) == 1 and keys[0].startswith("events/source_id=files/date=2026-10-01/part-")
    dataset = ds.dataset("lake/governance/events", filesystem=s3_filesystem(), format="parquet", partitioning="hive")
    table = dataset.to_table()
    assert table.num_rows == 10 and set(table.column("source_id").to_pylist()) == {"files"}
