"""Pulls that fall behind the receiver are not silent: the check ``landing_backlog`` and the pull's metadata say how
many acknowledged requests wait in the landing area and for how long."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest

import dagster as dg
from governance_pipeline.adapters import otel_generic
from governance_pipeline.defs.build import build_definitions
from governance_pipeline.defs.resources import LakeResource
from governance_pipeline.lake.store import LakeStore
from governance_pipeline.otlp.json_decode import request_from_json
from governance_pipeline.receiver import landing
from governance_pipeline.receiver.cursor import LandingCursor, backlog
from governance_pipeline.sources_file import load_sources
from tests.otlp.conftest import fixture_bytes

PAYLOAD = request_from_json(orjson.loads(fixture_bytes("trace_camel.json"))).SerializeToString()


def _land(lake: str, at: datetime, writer: str, seq: int) -> str:
    name = landing.file_name(at, writer, seq)
    LakeStore(lake).write_bytes(landing.file_path("agents", name), PAYLOAD)
    return name


def test_the_backlog_counts_what_the_cursor_has_not_consumed(lake):
    now = datetime.now(UTC)
    store = LakeStore(lake)
    assert backlog(store, "agents", None).files == 0
    assert backlog(store, "agents", None).waiting(now) == timedelta(0)
    first = _land(lake, now - timedelta(minutes=30), "a", 1)
    _land(lake, now - timedelta(minutes=20), "a", 2)
    _land(lake, now - timedelta(minutes=25), "b", 1)
    everything = backlog(store, "agents", None)
    assert everything.files == 3
    assert abs(everything.waiting(now) - timedelta(minutes=30)) < timedelta(seconds=1)
    cursor = LandingCursor().advance([first], LandingCursor().pending(landing.list_landed(store, "agents")))
    rest = backlog(store, "agents", cursor.dump())
    assert rest.files == 2
    assert abs(rest.waiting(now) - timedelta(minutes=25)) < timedelta(seconds=1)


def _backlog_check(result: dg.ExecuteInProcessResult) -> tuple[bool, str, dict]:
    (evaluation,) = [
        e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION" and e.event_specific_data.check_name == "landing_backlog"
    ]
    return evaluation.passed, evaluation.severity.value, {k: v.value for k, v in evaluation.metadata.items()}


@pytest.mark.parametrize(("age", "severity"), [(timedelta(minutes=20), "WARN"), (timedelta(hours=2), "ERROR")])
def test_a_pull_that_leaves_old_requests_waiting_fails_the_check(
    sources_file, lake, monkeypatch, age: timedelta, severity: str
):
    monkeypatch.setattr(otel_generic, "MAX_FILES_PER_RUN", 1)  # each run consumes one file: the pulls fall behind
    now = datetime.now(UTC)
    for seq in (1, 2, 3):
        _land(lake, now - age + timedelta(seconds=seq), "w", seq)
    monkeypatch.setenv("GOVERNANCE_LAKE", lake)  # the pull job's own resources, as `govpipe pull` runs it
    job = build_definitions(load_sources(sources_file)).resolve_job_def("pull_agents")
    with dg.instance_for_test() as instance:
        behind = job.execute_in_process(instance=instance)
        assert behind.success
        passed, got_severity, metadata = _backlog_check(behind)
        assert (passed, got_severity) == (False, severity)
        assert metadata["landing_backlog_files"] == 2
        assert metadata["landing_oldest_waiting_seconds"] >= age.total_seconds() - 60
        output = behind.output_for_node("ingest_agents")
        assert output["new"] > 0
        run_metadata = {
            k: v.value
            for e in behind.all_events
            if e.event_type_value == "STEP_OUTPUT"
            for k, v in e.event_specific_data.metadata.items()
        }
        assert run_metadata["landing_backlog_files"] == 2

        job.execute_in_process(instance=instance)
        caught_up = job.execute_in_process(instance=instance)
        passed, _, metadata = _backlog_check(caught_up)
        assert passed
        assert (metadata["landing_backlog_files"], metadata["landing_oldest_waiting_seconds"]) == (0, 0.0)


def test_only_push_sources_have_the_backlog_check(sources_file, lake):
    defs = build_definitions(load_sources(sources_file), resources={"lake": LakeResource(root=lake)})
    checks = {(k.asset_key.path[-1], k.name) for k in defs.resolve_asset_graph().asset_check_keys}
    assert ("agents", "landing_backlog") in checks
    assert ("files", "landing_backlog") not in checks
