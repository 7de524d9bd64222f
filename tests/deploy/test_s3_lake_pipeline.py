"""The whole pipeline with GOVERNANCE_LAKE on an S3-compatible store: pull, backfill, marts."""

from __future__ import annotations

import json

import duckdb

import dagster as dg
from governance_pipeline.defs.build import build_definitions
from governance_pipeline.sources_file import load_sources
from tests.support.moto import moto_server, use_for_lake


def test_pull_backfill_and_marts_on_an_s3_lake(ndjson_source, env, monkeypatch):
    folder, _ = ndjson_source
    lines = [
        json.dumps(
            {
                "id": f"e{i}",
                "created_at": f"2026-10-0{1 + i % 2}T08:00:00Z",
                "user": {"email": f"u{i % 3}@example.com"},
                "model": "gpt-4o",
                "usage": {"input_tokens": 100, "output_tokens": 10, "cost": 0.5},
            }
        )
        for i in range(10)
    ]
    (folder / "a.ndjson").write_text("\n".join(lines))
    with moto_server() as endpoint:
        s3 = use_for_lake(monkeypatch, endpoint, "governance")
        monkeypatch.setenv("GOVERNANCE_LAKE", "s3://governance/lake")
        defs = build_definitions(load_sources())
        instance = dg.DagsterInstance.get()
        assert defs.resolve_job_def("pull_local_demo").execute_in_process(instance=instance).success
        backfill = defs.resolve_job_def("__ASSET_JOB").get_subset(
            asset_selection={dg.AssetKey(["events", "local_demo"])}
        )
        tags = {"dagster/asset_partition_range_start": "2026-10-01", "dagster/asset_partition_range_end": "2026-10-02"}
        assert backfill.execute_in_process(instance=instance, tags=tags).success
        marts = defs.resolve_job_def("governance_marts")
        assert marts.execute_in_process(instance=instance, tags=tags).success
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="governance")["Contents"]]
    assert {k.split("/date=")[1][:10] for k in keys if k.startswith("lake/events/")} == {"2026-10-01", "2026-10-02"}
    with duckdb.connect(str(env / "governance.duckdb"), read_only=True) as con:
        assert con.execute(
            "select sum(event_count), sum(cost_usd), sum(tokens_input) from governance_kpis"
        ).fetchall() == [(10, 5.0, 1000)]
