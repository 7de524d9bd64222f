"""Declarative automation: what is downstream of the sources updates after new data lands, no fixed schedules."""

from __future__ import annotations

import dagster as dg
from governance_pipeline.defs.build import build_definitions
from tests.conftest import copy_fixture

DOWNSTREAM = ["governance_kpis", "governance_ocsf_events", "governance_report"]


def test_marts_and_report_have_automation_conditions_and_no_hourly_schedules(ndjson_source):
    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    for name in DOWNSTREAM:
        assert graph.get(dg.AssetKey(name)).automation_condition is not None, name
    names = {s.name for s in defs.schedules or []}
    assert not names & {"governance_marts_hourly", "governance_report_job_schedule"}, names
    sensors = [s for s in defs.sensors or [] if isinstance(s, dg.AutomationConditionSensorDefinition)]
    assert len(sensors) == 1 and sensors[0].default_status == dg.DefaultSensorStatus.RUNNING


def test_a_pull_that_lands_data_requests_the_marts_for_those_days(ndjson_source):
    folder, _ = ndjson_source
    defs = build_definitions()
    instance = dg.DagsterInstance.get()
    first = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    assert first.total_requested == 0, "nothing new: nothing to build"
    copy_fixture("ndjson/sample.ndjson", folder / "a.ndjson")
    assert defs.resolve_job_def("pull_local_demo").execute_in_process(instance=instance).success
    after = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor)
    requested = {(key.to_user_string(), pk) for key, subset in _requested(after).items() for pk in subset}
    assert ("governance_kpis", "2026-10-01") in requested
    assert ("governance_ocsf_events", "2026-10-01") in requested
    assert requested == {("governance_kpis", "2026-10-01"), ("governance_ocsf_events", "2026-10-01")}, (
        "only the days that changed"
    )
    # once the marts are built, the report follows
    marts = defs.resolve_job_def("governance_marts")
    assert marts.execute_in_process(instance=instance, partition_key="2026-10-01").success
    last = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=after.cursor)
    assert set(_requested(last)) == {dg.AssetKey("governance_report")}


def _requested(result) -> dict:
    out = {}
    for r in result.results:
        if r.true_subset.size:
            key = r.key if isinstance(r.key, dg.AssetKey) else None
            if key is not None:
                partitioned = r.true_subset.is_partitioned
                out[key] = set(r.true_subset.expensively_compute_partition_keys()) if partitioned else {None}
    return out
