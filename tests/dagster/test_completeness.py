"""Completeness per day: a pull that has covered a day records its partition, with rows=0 on a quiet day.

The UI's partition view then tells a gap (a day never covered) from a day without events.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import yaml

import dagster as dg
from governance_pipeline.defs.build import build_definitions
from governance_pipeline.sources_file import parse_sources
from tests.support.http import Response, serve

ASSET = dg.AssetKey(["events", "acme_audit"])


def _day(n: int) -> str:
    return (datetime.now(UTC).date() - timedelta(days=n)).isoformat()


def _sources(url: str, start: str) -> object:
    doc = {
        "credentials": {"creds": {"token": "tok-completeness-1"}},
        "sources": [
            {
                "id": "acme_audit",
                "type": "http_polling",
                "startDate": start,
                "config": {
                    "url": url,
                    "authMode": "bearer",
                    "headers": {"Authorization": "Bearer ${{credentials.token}}"},
                    "credentialRef": "creds",
                    "cursorJsonPath": "$.next_cursor",
                    "eventsJsonPath": "$.events",
                    "schedule": "*/5 * * * *",
                    "eventMapping": {"source_event_id": "$.id", "event_timestamp": "$.at", "actor": "$.who"},
                },
            }
        ],
    }
    return parse_sources(yaml.safe_dump(doc))


def _partition_rows(instance: dg.DagsterInstance) -> dict[str, int]:
    """The newest materialization of each partition and its rows (``dagster/row_count``)."""
    out: dict[str, int] = {}
    for rec in instance.fetch_materializations(ASSET, limit=1000).records:  # newest first
        mat = rec.asset_materialization
        if mat.partition not in out:
            out[mat.partition] = mat.metadata["dagster/row_count"].value
    return out


def test_a_pull_materializes_every_complete_day_quiet_ones_with_zero_rows(env):
    events = [
        {"id": "e1", "at": f"{_day(5)}T10:00:00Z", "who": "a@example.com"},
        {"id": "e2", "at": f"{_day(5)}T11:00:00Z", "who": "a@example.com"},
        {"id": "e3", "at": f"{_day(3)}T09:30:00Z", "who": "b@example.com"},
    ]

    def handle(req):
        if req.q("cursor"):
            return Response(200, {"events": [], "next_cursor": None})
        return Response(200, {"events": events, "next_cursor": "end"})

    with serve(handle) as (base, _):
        defs = build_definitions(_sources(f"{base}/audit", _day(5)))
        instance = dg.DagsterInstance.get()
        assert defs.resolve_job_def("pull_acme_audit").execute_in_process(instance=instance).success

    rows = _partition_rows(instance)
    complete = [_day(n) for n in (5, 4, 3, 2, 1)]
    assert sorted(rows) == sorted(complete), "every complete day is materialized; today (still open) is not"
    assert rows == {_day(5): 2, _day(4): 0, _day(3): 1, _day(2): 0, _day(1): 0}
    materialized = instance.get_materialized_partitions(ASSET)
    assert materialized == set(complete)


def test_a_second_pull_reports_only_newly_completed_days_and_keeps_counts(env):
    """Days completed by an earlier pull are not reported again; a day's rows count what the lake holds."""
    events = [{"id": "e1", "at": f"{_day(2)}T10:00:00Z", "who": "a@example.com"}]

    def handle(req):
        return Response(200, {"events": [] if req.q("cursor") else events, "next_cursor": None})

    with serve(handle) as (base, _):
        defs = build_definitions(_sources(f"{base}/audit", _day(2)))
        instance = dg.DagsterInstance.get()
        job = defs.resolve_job_def("pull_acme_audit")
        assert job.execute_in_process(instance=instance).success
        first = len(instance.fetch_materializations(ASSET, limit=1000).records)
        assert job.execute_in_process(instance=instance).success
        second = len(instance.fetch_materializations(ASSET, limit=1000).records)
    assert first == 2 and second == 2, "no new day completed between the pulls"
    assert _partition_rows(instance) == {_day(2): 1, _day(1): 0}


def test_a_source_without_a_watermark_reports_only_days_it_wrote(ndjson_source):
    """local_ndjson has no notion of a complete day: only the dates it wrote are materialized."""
    from tests.conftest import copy_fixture

    folder, _ = ndjson_source
    copy_fixture("ndjson/sample.ndjson", folder / "a.ndjson")
    defs = build_definitions()
    instance = dg.DagsterInstance.get()
    assert defs.resolve_job_def("pull_local_demo").execute_in_process(instance=instance).success
    assert instance.get_materialized_partitions(dg.AssetKey(["events", "local_demo"])) == {"2026-10-01"}


def test_days_before_a_sources_retention_window_stay_missing(env, monkeypatch):
    """copilot_studio can read only the last 7 days: a first pull from a startDate 12 days back must not record
    the days it could never read as complete (rows=0 would hide a real gap); the days it read in full are."""
    from governance_pipeline.adapters.copilot_studio import RETENTION
    from governance_pipeline.demo.fakes.vendors import MicrosoftManagementApi
    from tests.http_polling.helpers import FAST_RETRY, FIXTURES

    monkeypatch.setenv("MS_SECRET", "ms-secret-value-1")
    api = MicrosoftManagementApi(FIXTURES / "copilot", "ms-secret-value-1", ages=(timedelta(days=2), timedelta(days=3)))
    asset = dg.AssetKey(["events", "copilot"])
    with serve(api) as (base, _):
        api.url = base
        doc = {
            "credentials": {"ms": {"tenantId": "t-1", "clientId": "app-1", "clientSecret": {"env": "MS_SECRET"}}},
            "sources": [
                {
                    "id": "copilot",
                    "type": "copilot_studio",
                    "startDate": _day(12),
                    "config": {"credentialRef": "ms", "baseUrl": base, "authUrl": base, "retry": FAST_RETRY},
                }
            ],
        }
        defs = build_definitions(parse_sources(yaml.safe_dump(doc)))
        instance = dg.DagsterInstance.get()
        before = datetime.now(UTC)
        assert defs.resolve_job_def("pull_copilot").execute_in_process(instance=instance).success

    materialized = instance.get_materialized_partitions(asset)
    readable_from = before - RETENTION  # the API served nothing older than this to the pull
    unreadable = [d for d in materialized if datetime.fromisoformat(d).replace(tzinfo=UTC) < readable_from]
    assert unreadable == [], "days the pull could never read are recorded as complete"
    assert {_day(n) for n in range(1, 6)} <= materialized, "the days read in full are complete (quiet ones too)"
    assert _day(0) not in materialized
