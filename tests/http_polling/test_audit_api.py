"""http_polling against a local paginated audit API serving the shared fixtures."""

from __future__ import annotations

import logging
from datetime import UTC

import pytest

from governance_pipeline.http.client import HttpError
from tests.http_polling.helpers import CREDS, audit_config, fixture, lake_rows, pull, sources
from tests.support.http import Response, serve

PAGE1 = fixture("audit_http", "page1.json")
PAGE2 = fixture("audit_http", "page2.json")
TOKEN = "tok-live-7f3a9c2e51"


def audit_handler(faults: list[Response] | None = None, token: str | None = None):
    faults = list(faults or [])

    def handle(req):
        if faults:
            return faults.pop(0)
        if token is not None and req.headers.get("authorization") != f"Bearer {token}":
            return Response(401, {"error": "bad token"})
        cursor = req.q("cursor")
        if cursor is None:
            return Response(200, PAGE1)
        if cursor == PAGE1["next_cursor"]:
            return Response(200, PAGE2)
        return Response(400, {"error": f"unknown cursor {cursor}"})

    return handle


@pytest.fixture(autouse=True)
def _token(monkeypatch):
    monkeypatch.setenv("ACME_AUDIT_TOKEN", TOKEN)


def test_two_pages_with_429_and_500_land_every_event_once(tmp_path):
    faults = [Response(429, {"e": "slow down"}, {"Retry-After": "0.01"}), Response(500, "boom")]
    with serve(audit_handler(faults, TOKEN)) as (url, seen):
        sf = sources(audit_config(url + "/v1/audit-log"), credentials=CREDS)
        out = pull(sf, tmp_path / "lake")
    assert len(seen) == 4  # 429, 500, page 1, page 2
    assert seen[2].headers["x-org"] == "org_1"
    assert out.events == 21 and out.new == 20 and out.duplicates == 1 and out.errors == 0
    # last page has next_cursor null: keep the cursor that fetched it, so the next run resumes there
    assert out.cursor == PAGE1["next_cursor"]
    rows = lake_rows(
        tmp_path / "lake",
        "select count(*), count(distinct source_event_id), round(sum(cost_usd) filter (where cost_source = 'given'), 6), sum(tokens_input), sum(tokens_output) from events",
    )
    assert rows == [(20, 20, 0.055324, 32959, 5278)]
    by_date = lake_rows(tmp_path / "lake", "select cast(date as varchar) d, count(*) from events group by d order by d")
    assert [n for _, n in by_date] == [16, 4]


def test_resume_from_committed_cursor_and_pick_up_new_events(tmp_path):
    page2_grown = dict(PAGE2, next_cursor="c_more", has_more=True)
    page3 = {
        "events": [dict(PAGE2["events"][-1], id="evt_new_1"), dict(PAGE2["events"][-1], id="evt_new_2")],
        "next_cursor": None,
        "has_more": False,
    }
    state = {"grown": False}

    def handle(req):
        cursor = req.q("cursor")
        if cursor is None:
            return Response(200, PAGE1)
        if cursor == PAGE1["next_cursor"]:
            return Response(200, page2_grown if state["grown"] else PAGE2)
        if cursor == "c_more":
            return Response(200, page3)
        return Response(400, "unknown cursor")

    with serve(handle) as (url, seen):
        sf = sources(audit_config(url), credentials=CREDS)
        first = pull(sf, tmp_path / "lake")
        seen.clear()
        again = pull(sf, tmp_path / "lake", cursor=first.cursor)
        assert [r.q("cursor") for r in seen] == [PAGE1["next_cursor"]]
        assert again.new == 0 and again.cursor == first.cursor
        state["grown"] = True
        seen.clear()
        third = pull(sf, tmp_path / "lake", cursor=again.cursor)
    assert [r.q("cursor") for r in seen] == [PAGE1["next_cursor"], "c_more"]
    assert third.new == 2 and third.cursor == "c_more"
    assert lake_rows(tmp_path / "lake", "select count(*), count(distinct source_event_id) from events") == [(22, 22)]


def test_cursor_cycle_a_b_a_stops_and_keeps_data(tmp_path):
    events = PAGE1["events"]
    pages = {None: ("A", events[:4]), "A": ("B", events[4:8]), "B": ("A", events[8:])}

    def handle(req):
        nxt, evs = pages[req.q("cursor")]
        return Response(200, {"events": evs, "next_cursor": nxt})

    with serve(handle) as (url, seen):
        sf = sources(audit_config(url), credentials=CREDS)
        out = pull(sf, tmp_path / "lake")
    assert [r.q("cursor") for r in seen] == [None, "A", "B"]
    assert out.new == len(events) and out.errors == 1
    assert out.cursor == "B"


def test_dataset_growing_while_paging_lands_each_event_once(tmp_path):
    template = PAGE1["events"][0]
    data = [dict(template, id=f"evt_{i:04d}") for i in range(23)]
    growing = {"on": True}

    def handle(req):
        after = req.q("after")
        start = 0 if after is None else next(i for i, e in enumerate(data) if e["id"] == after) + 1
        page = data[start : start + 5]
        # two events are appended after every request, while the client is paging
        for _ in range(2 if growing["on"] else 0):
            data.append(dict(template, id=f"evt_{len(data):04d}"))
        return Response(200, {"events": page, "last": page[-1]["id"] if page else after, "more": start + 5 < len(data)})

    cfg = audit_config("", cursorJsonPath="$.last", hasMoreJsonPath="$.more", cursorParam="after")
    with serve(handle) as (url, _seen):
        cfg["url"] = url
        sf = sources(cfg, credentials=CREDS)
        first = pull(sf, tmp_path / "lake")
        growing["on"] = False
        second = pull(sf, tmp_path / "lake", cursor=first.cursor)
    assert first.duplicates == 0 and first.new > 23
    assert first.new + second.new == len(data)
    assert lake_rows(tmp_path / "lake", "select count(*), count(distinct source_event_id) from events") == [
        (len(data), len(data))
    ]


def test_4xx_fails_with_status_and_url_but_no_secret(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)

    def handle(req):
        return Response(403, f"token {TOKEN} is not allowed")

    cfg = audit_config("", params={"api_key": "${{credentials.token}}", "limit": "100"})
    with serve(handle) as (url, seen):
        cfg["url"] = url + "/v1/audit-log"
        sf = sources(cfg, credentials=CREDS)
        with pytest.raises(HttpError) as err:
            pull(sf, tmp_path / "lake")
    msg = str(err.value)
    assert "HTTP 403" in msg and "/v1/audit-log" in msg and "limit=100" in msg
    assert TOKEN not in msg and TOKEN not in caplog.text
    assert len(seen) == 1


def test_rotated_token_is_used_on_the_next_run_and_never_logged(tmp_path, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    tokens = {"current": TOKEN}

    def handle(req):
        if req.headers.get("authorization") != f"Bearer {tokens['current']}":
            return Response(401, {"error": "bad token"})
        return audit_handler()(req)

    with serve(handle) as (url, seen):
        sf = sources(audit_config(url), credentials=CREDS)
        first = pull(sf, tmp_path / "lake")
        tokens["current"] = "tok-rotated-0b1c2d3e4f"
        monkeypatch.setenv("ACME_AUDIT_TOKEN", "tok-rotated-0b1c2d3e4f")
        second = pull(sf, tmp_path / "lake", cursor=first.cursor)
    assert second.events == 10 and seen[-1].headers["authorization"] == "Bearer tok-rotated-0b1c2d3e4f"
    lake_text = "".join(str(r) for r in lake_rows(tmp_path / "lake"))
    for secret in (TOKEN, "tok-rotated-0b1c2d3e4f"):
        assert secret not in caplog.text and secret not in lake_text


def test_503_with_http_date_retry_after_then_success(tmp_path):
    import email.utils
    from datetime import datetime

    soon = email.utils.format_datetime(datetime.now(UTC), usegmt=True)  # "now": no real wait
    with serve(audit_handler([Response(503, "maintenance", {"Retry-After": soon})])) as (url, seen):
        out = pull(sources(audit_config(url), credentials=CREDS), tmp_path / "lake")
    assert len(seen) == 3 and out.new == 20


def test_failed_run_commits_nothing_and_the_rerun_lands_everything_once(tmp_path):
    state = {"broken": True}

    def handle(req):
        if req.q("cursor") == PAGE1["next_cursor"] and state["broken"]:
            return Response(502, "bad gateway")  # retried, then the run fails
        return audit_handler()(req)

    with serve(handle) as (url, _seen):
        sf = sources(audit_config(url), credentials=CREDS)
        with pytest.raises(HttpError, match="HTTP 502"):
            pull(sf, tmp_path / "lake")
        state["broken"] = False
        out = pull(sf, tmp_path / "lake")  # the cursor was not committed: start again from none
    assert out.new == 20 and out.cursor == PAGE1["next_cursor"]
    assert lake_rows(tmp_path / "lake", "select count(*), count(distinct source_event_id) from events") == [(20, 20)]
