"""Checks per day (partition): uniqueness of (source_id, source_event_id) and the marts' sums against the lake."""

from __future__ import annotations

import dagster as dg
from governance_pipeline.defs.build import build_definitions
from tests.conftest import copy_fixture

EVENTS = dg.AssetKey(["events", "local_demo"])
RANGE = {"dagster/asset_partition_range_start": "2026-09-30", "dagster/asset_partition_range_end": "2026-10-02"}


def _evaluations(result: dg.ExecuteInProcessResult) -> dict[tuple[str, str | None], bool]:
    out = {}
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            out[(data.check_name, data.partition)] = data.passed
    return out


def test_checks_are_partitioned_like_their_assets(ndjson_source):
    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    for key in graph.asset_check_keys:
        if key.name in ("unique_source_event_id", "kpis_sums_match_lake_daily", "ocsf_rows_match_lake_daily"):
            spec = graph.get_check_spec(key)
            assert spec.partitions_def is not None, key


def test_a_backfill_reports_uniqueness_for_each_day_of_its_range(ndjson_source):
    folder, _ = ndjson_source
    copy_fixture("ndjson/sample.ndjson", folder / "a.ndjson")
    defs = build_definitions()
    instance = dg.DagsterInstance.get()
    job = defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(instance=instance, asset_selection=[EVENTS], tags=RANGE)
    assert result.success
    assert _evaluations(result) == {
        ("unique_source_event_id", "2026-09-30"): True,
        ("unique_source_event_id", "2026-10-01"): True,
        ("unique_source_event_id", "2026-10-02"): True,
    }


def test_an_incremental_pull_checks_each_day_it_wrote(ndjson_source):
    folder, _ = ndjson_source
    copy_fixture("ndjson/sample.ndjson", folder / "a.ndjson")
    defs = build_definitions()
    result = defs.resolve_job_def("pull_local_demo").execute_in_process(instance=dg.DagsterInstance.get())
    assert _evaluations(result) == {("unique_source_event_id", "2026-10-01"): True}


def test_the_marts_check_their_sums_per_day(ndjson_source):
    folder, _ = ndjson_source
    copy_fixture("ndjson/sample.ndjson", folder / "a.ndjson")
    defs = build_definitions()
    instance = dg.DagsterInstance.get()
    assert defs.resolve_job_def("pull_local_demo").execute_in_process(instance=instance).success
    marts = defs.resolve_job_def("governance_marts")
    result = marts.execute_in_process(instance=instance, tags=RANGE)
    assert result.success
    got = _evaluations(result)
    for day in ("2026-09-30", "2026-10-01", "2026-10-02"):
        assert got[("kpis_sums_match_lake_daily", day)] is True
        assert got[("ocsf_rows_match_lake_daily", day)] is True
