"""A user pastes the seed's pull-config JSON into sources.yaml and runs ``govpipe pull`` and a backfill."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
from governance_pipeline.defs.state import load_state
from tests.conftest import REPO
from tests.http_polling.helpers import fixture, lake_rows
from tests.support.http import Response, serve

BIN = Path(sys.executable).parent
PAGE1, PAGE2 = fixture("audit_http", "page1.json"), fixture("audit_http", "page2.json")
SEED_CONFIG = """{
  "adapter": "http_polling",
  "url": "%s/v1/audit-log",
  "method": "GET",
  "headers": {
    "Authorization": "Bearer ${{credentials.token}}",
    "X-Org": "${{ingestionSource.organizationId}}"
  },
  "authMode": "bearer",
  "credentialRef": "acme_audit_log_creds",
  "cursorJsonPath": "$.next_cursor",
  "eventsJsonPath": "$.events",
  "schedule": "*/5 * * * *",
  "eventMapping": {
    "source_event_id": "$.id",
    "event_timestamp": "$.created_at",
    "actor": "$.user.email",
    "action": "$.event_type",
    "target": "$.model",
    "cost_usd": "$.usage.cost",
    "tokens_input": "$.usage.input_tokens",
    "tokens_output": "$.usage.output_tokens"
  }
}"""


def handle(req):
    if req.headers.get("authorization") != "Bearer tok-e2e-123456" or req.headers.get("x-org") != "org_1":
        return Response(401, {"error": "unauthorized"})
    since, until = req.q("since"), req.q("until")
    page = PAGE2 if req.q("cursor") == PAGE1["next_cursor"] else PAGE1
    if since:  # the backfill source asks for one window and gets it in one page
        events = [e for e in PAGE1["events"] + PAGE2["events"] if since <= e["created_at"] < until]
        return Response(200, {"events": events, "next_cursor": None})
    return Response(200, page)


def run(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=dict(os.environ), timeout=300)


def test_seed_config_pulls_once_resumes_and_backfills(env, monkeypatch):
    monkeypatch.setenv("ACME_AUDIT_TOKEN", "tok-e2e-123456")
    with serve(handle) as (url, seen):
        backfill_config = json.loads(SEED_CONFIG % url)
        backfill_config["params"] = {"since": "${{window.start}}", "until": "${{window.end}}"}
        sources = env / "sources.yaml"
        sources.write_text(
            "credentials:\n  acme_audit_log_creds:\n    token: {env: ACME_AUDIT_TOKEN}\nsources:\n"
            f"  - id: acme_audit\n    type: http_polling\n    organizationId: org_1\n    startDate: '2026-09-25'\n"
            f"    config: {SEED_CONFIG % url}\n"
            f"  - id: acme_backfill\n    type: http_polling\n    organizationId: org_1\n    startDate: '2026-09-25'\n"
            f"    config: {json.dumps(backfill_config)}\n"
        )
        monkeypatch.setenv("GOVERNANCE_SOURCES", str(sources))
        from governance_pipeline.defs.build import build_definitions
        from governance_pipeline.sources_file import load_sources

        defs = build_definitions(load_sources(sources))
        schedules = {s.job_name: s for s in defs.schedules}
        assert schedules["pull_acme_audit"].cron_schedule == "*/5 * * * *"
        assert schedules["pull_acme_audit"].execution_timezone == "UTC"
        first = run([str(BIN / "govpipe"), "pull", "acme_audit"])
        assert first.returncode == 0, first.stderr[-2000:]
        assert first.stdout.strip() == "events=21 new=20 errors=0"
        assert load_state(dg.DagsterInstance.get(), "acme_audit")["cursor"] == PAGE1["next_cursor"]
        second = run([str(BIN / "govpipe"), "pull", "acme_audit"])
        assert second.stdout.strip() == "events=10 new=0 errors=0", second.stderr[-2000:]
        assert seen[-1].q("cursor") == PAGE1["next_cursor"]
        out = run(
            [
                str(BIN / "dagster"),
                "asset",
                "materialize",
                "-m",
                "governance_pipeline.definitions",
                "--select",
                "events/acme_backfill",
                "--partition-range",
                "2026-10-01...2026-10-02",
            ]
        )
        assert out.returncode == 0, out.stderr[-3000:]
        assert seen[-1].q("since") == "2026-10-01T00:00:00Z" and seen[-1].q("until") == "2026-10-03T00:00:00Z"
    rows = lake_rows(
        env / "lake", "select source_id, count(*), count(distinct source_event_id) from events group by 1 order by 1"
    )
    assert rows == [("acme_audit", 20, 20), ("acme_backfill", 20, 20)]
    assert load_state(dg.DagsterInstance.get(), "acme_backfill").get("cursor") is None
