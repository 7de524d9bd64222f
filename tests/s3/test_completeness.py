"""Completeness of an S3 drop: days are complete up to the newest object read (its LastModified time)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import dagster as dg
from governance_pipeline.defs.build import build_definitions
from governance_pipeline.lake.completeness import day_end
from tests.s3.conftest import load_source, runtime_for
from tests.s3.sources import s3_polling

ASSET = dg.AssetKey(["events", "drops"])


def _day(n: int) -> str:
    return (datetime.now(UTC).date() - timedelta(days=n)).isoformat()


def _records(day: str, n: int) -> bytes:
    rows = [
        {"id": f"{day}-{i}", "created_at": f"{day}T0{i}:00:00Z", "user": {"email": "a@example.com"}} for i in range(n)
    ]
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def test_a_drop_completes_the_days_before_its_newest_object(moto, aws_env, env, monkeypatch):
    bucket = moto.bucket()
    path = env / "sources.yaml"
    path.write_text(s3_polling(moto.url, bucket).replace("2026-09-01", _day(4)))
    monkeypatch.setenv("GOVERNANCE_SOURCES", str(path))
    defs = build_definitions()
    instance = dg.DagsterInstance.get()
    job = defs.resolve_job_def("pull_drops")
    # nothing written yet: no watermark, no day recorded
    assert job.execute_in_process(instance=instance).success
    assert instance.get_materialized_partitions(ASSET) == set()
    moto.put(bucket, "drops/a.ndjson", _records(_day(3), 2))
    assert job.execute_in_process(instance=instance).success
    # the object was written now (LastModified), so every day before today is complete; today stays open
    assert instance.get_materialized_partitions(ASSET) == {_day(n) for n in (4, 3, 2, 1)}


def test_the_s3_watermark_is_the_newest_object_read(moto, aws_env, env):
    bucket = moto.bucket()
    sources, source = load_source(s3_polling(moto.url, bucket))
    before = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    moto.put(bucket, "drops/a.ndjson", _records("2026-10-01", 1))
    adapter = source.adapter_cls(source, runtime_for(sources, env / "lake"))
    for _ in adapter.stream(None, None):
        pass
    watermark = adapter.complete_before(None, datetime.now(UTC))
    assert watermark is not None and before <= watermark <= datetime.now(UTC)
    assert watermark < day_end(datetime.now(UTC).date())
