"""The Dagster sensor built for an ``otel_generic`` source requests a run exactly when requests have landed."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

import dagster as dg
from governance_pipeline.defs.build import build_definitions
from governance_pipeline.defs.resources import LakeResource
from governance_pipeline.lake.store import LakeStore
from governance_pipeline.otlp.json_decode import request_from_json
from governance_pipeline.receiver import landing
from governance_pipeline.sources_file import load_sources
from tests.otlp.conftest import fixture_bytes


def test_the_sensor_requests_a_run_for_landed_requests(sources_file, lake):
    resources = {"lake": LakeResource(root=lake)}  # passed, not read from GOVERNANCE_LAKE
    defs = build_definitions(load_sources(sources_file), resources=resources)
    sensor = defs.resolve_sensor_def("pull_agents_sensor")
    with dg.instance_for_test() as instance:
        idle = sensor(dg.build_sensor_context(instance=instance, cursor=None, resources=resources))
        assert not idle.run_requests
        payload = request_from_json(orjson.loads(fixture_bytes("trace_camel.json"))).SerializeToString()
        name = landing.file_name(datetime.now(UTC), "w", 1)
        LakeStore(lake).write_bytes(landing.file_path("agents", name), payload)
        result = sensor(dg.build_sensor_context(instance=instance, cursor=None, resources=resources))
        assert [r.run_key for r in result.run_requests] == [f"1:{name}"]
        again = sensor(dg.build_sensor_context(instance=instance, cursor=result.cursor, resources=resources))
        assert not again.run_requests
