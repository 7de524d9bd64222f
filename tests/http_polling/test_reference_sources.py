"""The reference sources against fake Microsoft, Anthropic and OpenAI endpoints serving the documented shapes."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta

import pytest

from governance_pipeline.demo.fakes.vendors import MicrosoftManagementApi
from governance_pipeline.pull_types import Window
from tests.http_polling.helpers import FAST_RETRY, FIXTURES, fixture, lake_rows, pull, sources
from tests.support.http import Response, serve

CREDS = {
    "ms": {
        "tenantId": "0cdce180-8f35-453c-92f8-c14062d4d2fb",
        "clientId": "app-1",
        "clientSecret": {"env": "MS_SECRET"},
    },
    "anthropic": {"apiKey": {"env": "ANTHROPIC_COMPLIANCE_KEY"}},
    "openai": {"apiKey": {"env": "OPENAI_COMPLIANCE_KEY"}},
}
SECRETS = {
    "MS_SECRET": "ms-secret-value-1",
    "ANTHROPIC_COMPLIANCE_KEY": "sk-ant-api01-testkey",
    "OPENAI_COMPLIANCE_KEY": "sk-openai-compliance-1",
}


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    for k, v in SECRETS.items():
        monkeypatch.setenv(k, v)


def _no_secrets(caplog, lake):
    text = caplog.text + "".join(str(r) for r in lake_rows(lake))
    for v in SECRETS.values():
        assert v not in text


# -- Microsoft: Office 365 Management Activity API ----------------------------------------------------------
class FakeManagementApi(MicrosoftManagementApi):
    """The demo's Management Activity API, with blobs two days old and one non-Copilot record."""

    def __init__(self):
        other = {
            "Id": "not-copilot",
            "RecordType": 15,
            "Operation": "UserLoggedIn",
            "CreationTime": "2026-10-01T10:00:00",
            "UserId": "x@example.com",
        }
        super().__init__(
            FIXTURES / "copilot",
            SECRETS["MS_SECRET"],
            ages=(timedelta(days=2), timedelta(days=2, hours=5)),
            extra_records=[other],
        )


def test_copilot_studio_end_to_end(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    api = FakeManagementApi()
    with serve(api) as (url, _seen):
        api.url = url
        config = {"credentialRef": "ms", "baseUrl": url, "authUrl": url, "retry": FAST_RETRY}
        sf = sources(
            config, type_="copilot_studio", credentials=CREDS, startDate=str(date.today() - timedelta(days=30))
        )
        first = pull(sf, tmp_path / "lake")
        assert api.subscribed
        # windows are contiguous, at most 24 h, and clamped to the 7-day retention
        assert all(a[1] == b[0] for a, b in zip(api.windows, api.windows[1:]))
        assert api.windows[0][0] >= datetime.now(UTC) - timedelta(days=7)
        assert first.events == 8 and first.new == 7 and first.errors == 0  # the non-Copilot record is counted, not kept
        rows = lake_rows(
            tmp_path / "lake",
            "select actor, action, target, model, conversation_id, raw_payload from events where source_event_id like 'ecf89da6%'",
        )
        actor, action, target, model, _thread, raw = rows[0]
        assert actor == "ana.pereira@example.org" and (action, target, model) == (
            "CopilotInteraction",
            "Expense helper",
            None,
        )
        assert json.loads(raw)["CopilotEventData"]["AppIdentity"] == "Copilot.Studio.cr3a1_expenseHelper"
        hosts = lake_rows(tmp_path / "lake", "select target from events where source_event_id like '245776f1%'")
        assert hosts == [("Word",)]
        # the next run resumes from the cursor: only a late blob is new
        api.add_blob([dict(fixture("copilot", "records.json")[0], Id="late-record-1")])
        api.windows.clear()
        second = pull(sf, tmp_path / "lake", cursor=first.cursor)
    assert len(api.windows) == 1 and second.new == 1 and second.cursor >= first.cursor
    assert lake_rows(tmp_path / "lake", "select count(*), count(distinct source_event_id) from events") == [(8, 8)]
    _no_secrets(caplog, tmp_path / "lake")
    leaked = [line for line in caplog.text.splitlines() if any(t in line for t in api.tokens)]
    assert not leaked


# -- Anthropic: Compliance API activities --------------------------------------------------------------------
def anthropic_api(data):
    def handle(req):
        if (
            req.headers.get("x-api-key") != SECRETS["ANTHROPIC_COMPLIANCE_KEY"]
            or req.headers.get("anthropic-version") != "2023-06-01"
        ):
            return Response(401, {"type": "error", "error": {"type": "authentication_error"}})
        rows = [
            d
            for d in data
            if d["created_at"] >= req.q("created_at.gte", "")
            and (req.q("created_at.lt") is None or d["created_at"] < req.q("created_at.lt"))
        ]
        after = req.q("after_id")
        if after:
            rows = rows[[d["id"] for d in rows].index(after) + 1 :]
        page = rows[:5]
        return Response(
            200,
            {
                "data": page,
                "has_more": len(rows) > 5,
                "first_id": page[0]["id"] if page else None,
                "last_id": page[-1]["id"] if page else None,
            },
        )

    return handle


def test_claude_compliance_end_to_end(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    data = fixture("anthropic_compliance", "activities_page.json")["data"]
    with serve(anthropic_api(data)) as (url, seen):
        sf = sources(
            {"credentialRef": "anthropic", "baseUrl": url, "retry": FAST_RETRY},
            type_="claude_compliance",
            credentials=CREDS,
            startDate="2026-10-01",
        )
        first = pull(sf, tmp_path / "lake")
        assert [r.q("after_id") for r in seen] == [None, data[4]["id"]]
        assert seen[0].q("created_at.gte") == "2026-10-01T00:00:00.000000Z"
        assert first.new == 8 and first.cursor == "2026-10-01T17:44:27.000000Z"
        seen.clear()
        second = pull(sf, tmp_path / "lake", cursor=first.cursor)
    assert seen[0].q("created_at.gte") == "2026-10-01T17:34:27.000000Z" and second.new == 0
    rows = {r[0]: r[1:] for r in lake_rows(tmp_path / "lake", "select action, actor, target from events")}
    assert rows["claude_artifact_viewed"][1].startswith("claude_artifact_")
    assert rows["api_key_created"][1].startswith("api_key_") or rows["api_key_created"][1]
    by_type = lake_rows(
        tmp_path / "lake", "select target from events where action = 'claude_chat_created' order by source_event_id"
    )
    assert all(t.startswith("claude_chat_") for (t,) in by_type)
    assert lake_rows(
        tmp_path / "lake", "select count(*) from events where actor like '%@example.%' and event_type = 'agent.action'"
    ) == [(8,)]
    _no_secrets(caplog, tmp_path / "lake")


def test_claude_compliance_backfill_filters_at_the_source_and_keeps_the_cursor(tmp_path):
    data = fixture("anthropic_compliance", "activities_page.json")["data"]
    with serve(anthropic_api(data)) as (url, seen):
        sf = sources({"credentialRef": "anthropic", "baseUrl": url}, type_="claude_compliance", credentials=CREDS)
        out = pull(
            sf,
            tmp_path / "lake",
            cursor="2026-10-05T00:00:00.000000Z",
            window=Window.for_dates(date(2026, 10, 1), date(2026, 10, 1)),
        )
    assert (
        seen[0].q("created_at.gte") == "2026-10-01T00:00:00Z" and seen[0].q("created_at.lt") == "2026-10-02T00:00:00Z"
    )
    assert out.new == 8 and out.cursor == "2026-10-05T00:00:00.000000Z"


def test_claude_compliance_mapping_override(tmp_path):
    data = fixture("anthropic_compliance", "activities_page.json")["data"]
    with serve(anthropic_api(data)) as (url, _seen):
        config = {"credentialRef": "anthropic", "baseUrl": url, "eventMapping": {"actor": "$.actor.user_id"}}
        pull(sources(config, type_="claude_compliance", credentials=CREDS, startDate="2026-10-01"), tmp_path / "lake")
    assert lake_rows(
        tmp_path / "lake", "select count(*) from events where actor like 'user_%' and target is not null"
    ) == [(8,)]


# -- OpenAI: Compliance Logs Platform ------------------------------------------------------------------------
def test_openai_compliance_api_end_to_end(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    gz = (FIXTURES / "openai_compliance" / "sample.jsonl.gz").read_bytes()
    extra = b'{"id":"evt_x1","type":"AUTH_LOG","created_at":1790900000,"user":{"email":"eve@example.com"}}\n{not json\n'
    files = {"log_1": gz, "log_2": extra}
    listing = {
        "2026-10-01T00:00:00Z": {"data": [{"id": "log_1"}], "has_more": True, "last_end_time": "2026-10-02T00:00:00Z"},
        "2026-10-02T00:00:00Z": {"data": [{"id": "log_2"}], "has_more": False, "last_end_time": "2026-10-02T06:00:00Z"},
        "2026-10-02T06:00:00Z": {"data": [], "has_more": False, "last_end_time": "2026-10-02T06:00:00Z"},
    }

    def handle(req):
        if req.headers.get("authorization") != f"Bearer {SECRETS['OPENAI_COMPLIANCE_KEY']}":
            return Response(401, {"error": "unauthorized"})
        if req.path == "/v1/compliance/workspaces/ws_7f2e41c9/logs":
            return Response(200, listing[req.q("after")])
        if req.path.startswith("/v1/compliance/workspaces/ws_7f2e41c9/logs/"):
            return Response(302, b"", {"Location": "/files/" + req.path.rsplit("/", 1)[1]})
        if req.path.startswith("/files/"):
            return Response(200, files[req.path.rsplit("/", 1)[1]])
        return Response(404, "")

    with serve(handle) as (url, seen):
        config = {
            "credentialRef": "openai",
            "baseUrl": url + "/v1/compliance",
            "workspaceId": "ws_7f2e41c9",
            "retry": FAST_RETRY,
        }
        sf = sources(config, type_="openai_compliance_api", credentials=CREDS, startDate="2026-10-01")
        first = pull(sf, tmp_path / "lake")
        assert first.events == 22 and first.new == 21 and first.errors == 1 and first.quarantined == 1
        assert first.cursor == "2026-10-02T06:00:00Z"
        seen.clear()
        second = pull(sf, tmp_path / "lake", cursor=first.cursor)
    assert [r.q("after") for r in seen] == ["2026-10-02T06:00:00Z"] and second.new == 0
    row = lake_rows(
        tmp_path / "lake",
        "select actor, action, target, tokens_input, tokens_output, conversation_id, flags from events where source_event_id = 'cmpl_evt_916b2211c289a2a053f583a5'",
    )
    assert row[0][:6] == (
        "dana.lee@example.com",
        "conversation.message.created",
        "gpt-4o",
        2421,
        227,
        "conv_5344e96224aa1665",
    )
    assert json.loads(row[0][6])["sensitivity"] == "general"
    _no_secrets(caplog, tmp_path / "lake")
