"""``exports/<id>`` as a Dagster asset: ``govpipe export`` runs the range in process against DAGSTER_HOME."""

from __future__ import annotations

import json
from datetime import UTC

import pytest

import dagster as dg
from governance_pipeline.cli import main
from governance_pipeline.defs.build import build_definitions
from governance_pipeline.sources_file import load_sources
from tests.export.helpers import build_lake, build_ocsf, keys, make_bucket, sources_yaml


@pytest.fixture
def exporting(env, s3_endpoint, aws_env, monkeypatch):
    """A lake and OCSF mart in the test environment, and a sources file with two destinations."""
    lake = build_lake(env)
    build_ocsf(lake, env / "governance.duckdb")
    bucket = f"exp-{env.name[-20:].lower().replace('_', '-')}".rstrip("-")
    make_bucket(s3_endpoint, bucket)
    dests = [
        {"id": "to_s3", "bucket": bucket, "prefix": "gov", "endpointUrl": s3_endpoint},
        {
            "id": "ocsf_s3",
            "bucket": bucket,
            "prefix": "ocsf",
            "endpointUrl": s3_endpoint,
            "format": "ocsf",
            "startDate": "2026-09-15",
        },
    ]
    path = env / "sources.yaml"
    path.write_text(sources_yaml(env / "inbox", dests))
    monkeypatch.setenv("GOVERNANCE_SOURCES", str(path))
    return env, bucket


def materializations(key: str) -> dict[str, dict]:
    instance = dg.DagsterInstance.get()
    records = instance.fetch_materializations(dg.AssetKey(["exports", key]), limit=100).records
    return {r.partition_key: {k: v.value for k, v in r.asset_materialization.metadata.items()} for r in records}


def test_assets_lineage_and_partitions(exporting):
    defs = build_definitions(load_sources())
    graph = defs.resolve_asset_graph()
    events = graph.get(dg.AssetKey(["exports", "to_s3"]))
    assert dg.AssetKey(["events", "acme_ndjson"]) in events.parent_keys
    ocsf = graph.get(dg.AssetKey(["exports", "ocsf_s3"]))
    assert dg.AssetKey("governance_ocsf_events") in ocsf.parent_keys
    assert ocsf.partitions_def.get_first_partition_key() == "2026-09-15"
    assert events.partitions_def.get_first_partition_key() == "2026-10-01"  # the sources' startDate
    assert defs.resolve_job_def("export_to_s3").partitions_def is not None


def test_govpipe_export_runs_each_day_and_records_it(exporting, s3_endpoint, capsys):
    _env, bucket = exporting
    assert main(["export", "to_s3", "--from", "2026-10-01", "--to", "2026-10-03"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == ["2026-10-01 rows=14 files=2", "2026-10-02 rows=6 files=1", "2026-10-03 rows=6 files=1"]
    assert out[3].startswith("total rows=26 files=4 run=")
    mats = materializations("to_s3")
    assert sorted(mats) == ["2026-10-01", "2026-10-02", "2026-10-03"]
    assert mats["2026-10-01"]["rows_written"] == 14 and mats["2026-10-01"]["files_written"] == 2
    assert mats["2026-10-01"]["rows_by_source"] == {"acme_ndjson": 6, "otel_app": 8}
    assert mats["2026-10-03"]["progress"] == "3/3"
    run = dg.DagsterInstance.get().get_run_records()[0].dagster_run
    assert run.tags["dagster/asset_partition_range_start"] == "2026-10-01"
    assert run.tags["dagster/asset_partition_range_end"] == "2026-10-03"
    assert len(keys(s3_endpoint, bucket, "gov/")) == 4

    assert main(["export", "ocsf_s3", "--from", "2026-10-02", "--to", "2026-10-02"]) == 0
    assert capsys.readouterr().out.startswith("2026-10-02 rows=6 files=1\n")
    assert keys(s3_endpoint, bucket, "ocsf/")[0].startswith(
        "ocsf/export_id=ocsf_s3/source_id=acme_ndjson/year=2026/month=10/day=02/part-"
    )


def test_a_failed_day_does_not_stop_the_others_and_is_retried_alone(exporting, capsys):
    env, _ = exporting
    bad = env / "lake/events/source_id=acme_ndjson/date=2026-10-02/zz-corrupt.parquet"
    bad.write_bytes(b"PAR1 this is not parquet PAR1")
    assert main(["export", "to_s3", "--from", "2026-10-01", "--to", "2026-10-03"]) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines()[:2] == ["2026-10-01 rows=14 files=2", "2026-10-03 rows=6 files=1"]
    assert captured.err.startswith(
        "govpipe: export to 'to_s3' failed for 1 of 3 days: 2026-10-02 (re-materialize "
        "those partitions to retry); 2026-10-02: ArrowInvalid: "
    )
    assert sorted(materializations("to_s3")) == ["2026-10-01", "2026-10-03"]
    bad.unlink()
    assert main(["export", "to_s3", "--from", "2026-10-02", "--to", "2026-10-02"]) == 0
    assert capsys.readouterr().out.startswith("2026-10-02 rows=6 files=1\n")
    assert sorted(materializations("to_s3")) == ["2026-10-01", "2026-10-02", "2026-10-03"]


def test_a_destination_problem_fails_the_run_in_plain_words(exporting, monkeypatch, capsys):
    env, _ = exporting
    doc = json.loads((env / "sources.yaml").read_text())
    doc["destinations"][0]["bucket"] = "bucket-that-is-not-there"
    (env / "sources.yaml").write_text(json.dumps(doc))
    assert main(["export", "to_s3", "--from", "2026-10-01", "--to", "2026-10-03"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(
        "govpipe: export to 'to_s3' failed on 2026-10-01: bucket 'bucket-that-is-not-there' does "
        "not exist or is not writable at http://127.0.0.1:"
    )
    assert materializations("to_s3") == {}


def test_bad_ranges_are_refused(exporting, capsys):
    assert main(["export", "to_s3", "--from", "2026-10-03", "--to", "2026-10-01"]) == 2
    assert main(["export", "to_s3", "--from", "2026-09-01", "--to", "2026-10-01"]) == 2
    assert main(["export", "nope", "--from", "2026-10-01", "--to", "2026-10-01"]) == 2
    err = capsys.readouterr().err
    assert "--to 2026-10-01 is before --from 2026-10-03" in err
    assert "the range must lie within 2026-10-01 .. " in err
    assert "no destination 'nope' (known: to_s3, ocsf_s3)" in err


def test_an_optional_schedule_exports_the_previous_day_once(exporting):
    from datetime import datetime

    env, _ = exporting
    doc = json.loads((env / "sources.yaml").read_text())
    doc["destinations"][0]["schedule"] = "30 2 * * *"
    (env / "sources.yaml").write_text(json.dumps(doc))
    defs = build_definitions(load_sources())
    schedule = defs.resolve_schedule_def("export_to_s3_schedule")
    assert schedule.cron_schedule == "30 2 * * *" and schedule.job_name == "export_to_s3"
    when = datetime(2026, 10, 3, 2, 30, tzinfo=UTC)
    with dg.build_schedule_context(scheduled_execution_time=when, repository_def=defs.get_repository_def()) as ctx:
        request = schedule.evaluate_tick(ctx).run_requests[0]
    assert (request.run_key, request.partition_key) == ("2026-10-02", "2026-10-02")
    assert [s.name for s in defs.schedules if s.name.startswith("export_")] == ["export_to_s3_schedule"]
