"""Paging styles (Link header, next-URL bodies, POST bodies, has-more), auth modes and backfills."""

from __future__ import annotations

import base64
import logging
from datetime import date

import pytest

from governance_pipeline.adapters.http_polling.adapter import BackfillNotSupported
from governance_pipeline.errors import PullError
from governance_pipeline.pull_types import Window
from tests.http_polling.helpers import AUDIT_MAPPING, FAST_RETRY, fixture, lake_rows, pull, sources
from tests.support.http import Response, serve

EVENTS = fixture("audit_http", "page1.json")["events"] + fixture("audit_http", "page2.json")["events"][1:]
CREDS = {
    "c": {
        "token": {"env": "T_TOKEN"},
        "username": "svc-audit",
        "password": {"env": "T_PASSWORD"},
        "apiKey": {"env": "T_APIKEY"},
        "clientId": "client-123",
        "clientSecret": {"env": "T_CLIENT_SECRET"},
    }
}


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    for name, value in {
        "T_TOKEN": "tok-abcdef123",
        "T_PASSWORD": "pw-s3cr3t-xyz",
        "T_APIKEY": "key-9876543",
        "T_CLIENT_SECRET": "cs-topsecret-42",
    }.items():
        monkeypatch.setenv(name, value)


def cfg(url: str, **over) -> dict:
    base = {
        "url": url,
        "authMode": "none",
        "eventsJsonPath": "$.items",
        "eventMapping": AUDIT_MAPPING,
        "retry": FAST_RETRY,
    }
    base.update(over)
    return base


def test_link_header_paging_and_resume_from_the_last_url(tmp_path):
    def handle(req):
        page = int(req.q("page", "1"))
        chunk = EVENTS[(page - 1) * 8 : page * 8]
        headers = {"Link": f'</items?page={page + 1}>; rel="next"'} if page * 8 < len(EVENTS) else {}
        return Response(200, {"items": chunk}, headers)

    with serve(handle) as (url, seen):
        sf = sources(cfg(url + "/items"))
        out = pull(sf, tmp_path / "lake")
        assert [r.q("page") for r in seen] == [None, "2", "3"]
        assert out.new == 20 and out.cursor == f"{url}/items?page=3"
        seen.clear()
        again = pull(sf, tmp_path / "lake", cursor=out.cursor)
    assert [r.q("page") for r in seen] == ["3"] and again.new == 0


def test_next_url_in_the_body_keeps_secret_query_params_out_of_the_cursor(tmp_path):
    def handle(req):
        assert req.q("api_key") == "key-9876543"
        page = int(req.q("page", "1"))
        chunk = EVENTS[(page - 1) * 10 : page * 10]
        nxt = f"{base['url']}/items?page={page + 1}&api_key=key-9876543" if page < 2 else None
        return Response(200, {"items": chunk, "next": nxt})

    base: dict = {}
    with serve(handle) as (url, seen):
        base["url"] = url
        sf = sources(
            cfg(
                url + "/items",
                params={"api_key": "${{credentials.apiKey}}"},
                cursorJsonPath="$.next",
                credentialRef="c",
            ),
            credentials=CREDS,
        )
        out = pull(sf, tmp_path / "lake")
    assert out.new == 20 and len(seen) == 2
    assert out.cursor == f"{url}/items?page=2" and "key-9876543" not in out.cursor


def test_next_url_to_another_host_is_refused(tmp_path):
    with serve(lambda req: Response(200, {"items": EVENTS[:2], "next": "https://evil.example/steal"})) as (url, _seen):
        sf = sources(cfg(url, cursorJsonPath="$.next", authMode="bearer", credentialRef="c"), credentials=CREDS)
        with pytest.raises(PullError, match="refusing to follow a next-page URL to another host"):
            pull(sf, tmp_path / "lake")


def test_post_body_carries_templated_cursor_and_has_more_stops(tmp_path):
    def handle(req):
        body = req.json()
        assert req.method == "POST" and body["org"] == "org_1" and body["size"] == 10
        start = int(body.get("after", 0))
        chunk = EVENTS[start : start + 10]
        return Response(200, {"items": chunk, "cursor": {"next": start + 10}, "more": start + 10 < len(EVENTS)})

    config = cfg(
        url="",
        method="post",
        body={"org": "${{ingestionSource.organizationId}}", "size": 10, "after": "${{cursor}}"},
        cursorJsonPath="$.cursor.next",
        hasMoreJsonPath="$.more",
    )
    with serve(handle) as (url, seen):
        config["url"] = url + "/search"
        out = pull(sources(config), tmp_path / "lake")
    assert [r.json().get("after") for r in seen] == [None, "10"]
    assert "cursor" not in seen[1].query  # the cursor travels in the body template, not as a query parameter
    assert out.new == 20 and out.cursor == "20"


@pytest.mark.parametrize(
    "mode, over, header, expected",
    [
        ("bearer", {}, "authorization", "Bearer tok-abcdef123"),
        ("basic", {}, "authorization", "Basic " + base64.b64encode(b"svc-audit:pw-s3cr3t-xyz").decode()),
        ("api_key", {"apiKeyHeader": "X-Audit-Key"}, "x-audit-key", "key-9876543"),
    ],
)
def test_static_auth_modes(tmp_path, caplog, mode, over, header, expected):
    caplog.set_level(logging.DEBUG)
    with serve(lambda req: Response(200, {"items": EVENTS[:3]})) as (url, seen):
        pull(sources(cfg(url, authMode=mode, credentialRef="c", **over), credentials=CREDS), tmp_path / "lake")
    assert seen[0].headers[header] == expected
    assert expected.split()[-1] not in caplog.text


def test_oauth2_client_credentials_fetches_and_refreshes_the_token(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    issued: list[str] = []

    def handle(req):
        if req.path == "/oauth/token":
            form = dict(p.split("=", 1) for p in req.body.decode().split("&"))
            assert form["grant_type"] == "client_credentials" and form["client_secret"] == "cs-topsecret-42"
            issued.append(f"access-{len(issued) + 1}-zzzz")
            return Response(200, {"access_token": issued[-1], "expires_in": 3600, "token_type": "Bearer"})
        if req.headers.get("authorization") != f"Bearer {issued[-1]}" or (len(issued) == 1 and req.q("cursor")):
            return Response(401, {"error": "expired"})  # the first token "expires" after page 1
        start = int(req.q("cursor") or 0)
        return Response(
            200, {"items": EVENTS[start : start + 10], "next": start + 10 if start + 10 < len(EVENTS) else None}
        )

    with serve(handle) as (url, _seen):
        config = cfg(
            url + "/items",
            authMode="oauth2_client_credentials",
            tokenUrl=url + "/oauth/token",
            scope="audit.read",
            credentialRef="c",
            cursorJsonPath="$.next",
        )
        out = pull(sources(config, credentials=CREDS), tmp_path / "lake")
    assert out.new == 20 and len(issued) == 2
    assert all(t not in caplog.text for t in [*issued, "cs-topsecret-42"])


def test_backfill_uses_window_templates_and_leaves_the_cursor(tmp_path):
    def handle(req):
        start, end = req.q("from"), req.q("to")
        inside = [e for e in EVENTS if start is None or start <= e["created_at"] < end]
        return Response(200, {"items": inside})

    with serve(handle) as (url, seen):
        config = cfg(
            url,
            params={"from": "${{window.start}}", "to": "${{window.end}}", "cursor": "${{cursor}}"},
            cursorJsonPath="$.next",
        )
        sf = sources(config)
        first = pull(sf, tmp_path / "lake")
        assert seen[0].query == {}  # unknown window and no cursor: the parameters are left out
        window = Window.for_dates(date(2026, 10, 2), date(2026, 10, 2))
        out = pull(sf, tmp_path / "lake", cursor="c_committed", window=window)
    assert seen[-1].q("from") == "2026-10-02T00:00:00Z" and seen[-1].q("to") == "2026-10-03T00:00:00Z"
    assert seen[-1].q("cursor") is None
    assert out.cursor == "c_committed" and not out.cursor_moved
    assert first.new == 20 and out.new == 4
    assert lake_rows(tmp_path / "lake", "select count(*) from events") == [(20,)]


def test_backfill_without_window_templates_names_the_source(tmp_path):
    sf = sources(cfg("http://127.0.0.1:9/items"))
    with pytest.raises(BackfillNotSupported, match="source 'acme_audit' cannot be backfilled by time"):
        pull(sf, tmp_path / "lake", window=Window.for_dates(date(2026, 10, 1), date(2026, 10, 1)))
