"""A source's freshness policy: in Dagster on its asset, and in ``govpipe sources list``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
from governance_pipeline.defs.build import build_definitions
from governance_pipeline.defs.freshness import is_fresh
from tests.conftest import REPO, copy_fixture

BIN = Path(sys.executable).parent


def _list_json() -> list[dict]:
    out = subprocess.run(
        [str(BIN / "govpipe"), "sources", "list", "--json"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=dict(os.environ),
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_the_source_asset_carries_its_freshness_policy(ndjson_source):
    defs = build_definitions()
    spec = defs.resolve_assets_def(dg.AssetKey(["events", "local_demo"])).get_asset_spec(
        dg.AssetKey(["events", "local_demo"])
    )
    assert spec.freshness_policy == dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=24))


def test_sources_list_shows_a_silent_source_as_not_fresh_and_a_pulled_one_as_fresh(ndjson_source):
    folder, _ = ndjson_source
    [row] = _list_json()
    assert {"id", "type", "status", "last_event_at", "cursor"} <= set(row)
    assert row["fresh"] is False and row["freshness"] == {"maxLagMinutes": 1440}
    copy_fixture("ndjson/sample.ndjson", folder / "a.ndjson")
    instance = dg.DagsterInstance.get()
    assert build_definitions().resolve_job_def("pull_local_demo").execute_in_process(instance=instance).success
    [row] = _list_json()
    assert row["fresh"] is True


def test_fresh_means_data_landed_within_the_lag():
    now = datetime(2026, 10, 5, 12, tzinfo=UTC)
    assert is_fresh(now - timedelta(minutes=59), timedelta(hours=1), now) is True
    assert is_fresh(now - timedelta(minutes=61), timedelta(hours=1), now) is False
    assert is_fresh(None, timedelta(hours=1), now) is False
