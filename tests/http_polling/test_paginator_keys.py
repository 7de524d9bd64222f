"""The ``paginator`` and ``auth`` keys: offset- and page-number-paged audit APIs pulled through ``run_pull`` from
a real local server, the ``cursor`` type behaving like the seed's flat keys, and one config error per new key."""

from __future__ import annotations

import pytest

from governance_pipeline.config.errors import ConfigError
from tests.http_polling.helpers import AUDIT_MAPPING, FAST_RETRY, fixture, lake_rows, pull, sources
from tests.support.http import Response, serve

EVENTS = fixture("audit_http", "page1.json")["events"] + fixture("audit_http", "page2.json")["events"][1:]
CREDS = {"c": {"token": {"env": "T_TOKEN"}, "apiKey": {"env": "T_APIKEY"}}}
PREFIX = "sources.yaml: source 'acme_audit': "


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    monkeypatch.setenv("T_TOKEN", "tok-abcdef123")
    monkeypatch.setenv("T_APIKEY", "key-9876543")


def cfg(url: str, **over) -> dict:
    base = {"url": url, "eventsJsonPath": "$.items", "eventMapping": AUDIT_MAPPING, "retry": FAST_RETRY}
    base.update(over)
    return base


def test_an_offset_paged_audit_api_is_read_to_its_total_and_commits_no_cursor(tmp_path):
    def handle(req):
        assert req.headers.get("authorization") == "Bearer tok-abcdef123" and req.q("since") == "2026-01-01"
        start, size = int(req.q("skip")), int(req.q("top"))
        return Response(200, {"items": EVENTS[start : start + size], "meta": {"total": len(EVENTS)}})

    config = cfg(
        "/audit",
        params={"since": "2026-01-01"},
        credentialRef="c",
        auth={"type": "bearer"},
        paginator={
            "type": "offset",
            "limit": 7,
            "offsetParam": "skip",
            "limitParam": "top",
            "totalPath": "$.meta.total",
        },
    )
    with serve(handle) as (url, seen):
        sf = sources(dict(config, url=url + "/audit"), credentials=CREDS)
        out = pull(sf, tmp_path / "lake", cursor="kept")
        # 20 events: pages at 0, 7, 14; the total stops paging without asking for an empty fourth page
        assert [(r.q("skip"), r.q("top")) for r in seen] == [("0", "7"), ("7", "7"), ("14", "7")]
        assert out.new == len(EVENTS) == 20
        assert out.cursor == "kept" and not out.cursor_moved  # offsets are no position to resume from
        seen.clear()
        again = pull(sf, tmp_path / "lake", cursor=out.cursor)
    assert len(seen) == 3 and again.new == 0  # the next run re-reads; the lake keeps each event once
    assert len(lake_rows(tmp_path / "lake")) == 20


def test_an_offset_api_without_a_total_stops_on_a_short_page(tmp_path):
    def handle(req):
        start, size = int(req.q("offset")), int(req.q("limit"))
        return Response(200, {"items": EVENTS[start : start + size]})

    with serve(handle) as (url, seen):
        sf = sources(cfg(url + "/audit", paginator={"type": "offset", "limit": 8}))
        out = pull(sf, tmp_path / "lake")
    assert [r.q("offset") for r in seen] == ["0", "8", "16"] and out.new == 20


def test_a_page_number_paged_audit_api_stops_after_total_pages_or_on_an_empty_page(tmp_path):
    def handle(req):
        assert req.headers.get("x-key") == "key-9876543"
        page = int(req.q("p"))
        return Response(200, {"items": EVENTS[page * 6 : (page + 1) * 6], "pages": 4})

    config = cfg(
        "/audit",
        credentialRef="c",
        auth={"type": "api_key", "header": "X-Key"},
        paginator={"type": "page_number", "pageParam": "p", "basePage": 0, "totalPagesPath": "$.pages"},
    )
    with serve(handle) as (url, seen):
        out = pull(sources(dict(config, url=url + "/audit"), credentials=CREDS), tmp_path / "lake")
    assert [r.q("p") for r in seen] == ["0", "1", "2", "3"] and out.new == 20

    def no_total(req):
        page = int(req.q("page"))
        return Response(200, {"items": EVENTS[(page - 1) * 10 : page * 10]})

    with serve(no_total) as (url, seen):
        out = pull(sources(cfg(url + "/audit", paginator={"type": "page_number"})), tmp_path / "lake2")
    assert [r.q("page") for r in seen] == ["1", "2", "3"] and out.new == 20  # page 3 is empty


def test_the_cursor_type_pages_and_commits_like_the_flat_keys(tmp_path):
    def handle(req):
        page = int(req.q("after", "0"))
        chunk = EVENTS[page * 10 : (page + 1) * 10]
        return Response(200, {"items": chunk, "next": str(page + 1) if chunk else None, "more": page < 1})

    flat = cfg("/audit", cursorJsonPath="$.next", cursorParam="after", hasMoreJsonPath="$.more")
    typed = cfg(
        "/audit", paginator={"type": "cursor", "cursorPath": "$.next", "cursorParam": "after", "hasMorePath": "$.more"}
    )
    results = []
    for i, config in enumerate((flat, typed)):
        with serve(handle) as (url, seen):
            out = pull(sources(dict(config, url=url + "/audit")), tmp_path / f"lake{i}")
            results.append(([r.q("after") for r in seen], out.new, out.cursor))
    assert results[0] == results[1] == ([None, "1"], 20, "2")


def test_a_single_page_api_is_asked_once(tmp_path):
    def handle(req):
        return Response(200, {"items": EVENTS, "next": "ignored"}, {"Link": '</audit?p=2>; rel="next"'})

    with serve(handle) as (url, seen):
        out = pull(sources(cfg(url + "/audit", paginator={"type": "single_page"})), tmp_path / "lake")
    assert len(seen) == 1 and out.new == 20


def problems(config: dict) -> list[str]:
    with pytest.raises(ConfigError) as err:
        sources(cfg("https://api.acme.com/v1/audit", **config), credentials=CREDS)
    return str(err.value).splitlines()


@pytest.mark.parametrize(
    "override, expected",
    [
        pytest.param(
            {"paginator": {"type": "cursor", "cursorPath": "$.next["}},
            "config.paginator.cursor.cursorPath: invalid JSONPath '$.next[':",
            id="cursor-path",
        ),
        pytest.param(
            {"paginator": {"type": "json_link"}},
            "config.paginator.json_link.nextUrlPath: Field required",
            id="json-link",
        ),
        pytest.param(
            {"paginator": {"type": "offset", "limit": 0}},
            "config.paginator.offset.limit: Input should be greater than or equal to 1",
            id="offset-limit",
        ),
        pytest.param(
            {"paginator": {"type": "page_number", "pageSize": 5}},
            "config.paginator.page_number.pageSize: unknown key",
            id="page-number-unknown-key",
        ),
        pytest.param(
            {"paginator": {"type": "link_header", "rel": "x"}},
            "config.paginator.link_header.rel: unknown key",
            id="link-header",
        ),
        pytest.param(
            {"paginator": {"type": "scroll"}},
            "config.paginator: Input tag 'scroll' found using 'type' does not match",
            id="unknown-type",
        ),
        pytest.param(
            {"paginator": {"type": "offset", "limit": 5}, "cursorJsonPath": "$.next"},
            "config: give either paginator or cursorJsonPath, not both",
            id="paginator-and-flat-key",
        ),
        pytest.param(
            {"auth": {"type": "oauth2_client_credentials"}, "credentialRef": "c"},
            "config.auth.oauth2_client_credentials.tokenUrl: Field required",
            id="oauth2-token-url",
        ),
        pytest.param(
            {"auth": {"type": "digest"}},
            "config.auth: Input tag 'digest' found using 'type' does not match",
            id="unknown-auth-type",
        ),
        pytest.param(
            {"auth": {"type": "bearer"}, "authMode": "bearer", "credentialRef": "c"},
            "config: give either auth or authMode, not both",
            id="auth-and-flat-key",
        ),
        pytest.param(
            {"auth": {"type": "basic"}, "credentialRef": "c"},
            "config.auth: credential set 'c' has no key 'username'",
            id="auth-credential-keys",
        ),
    ],
)
def test_invalid_paginator_and_auth_keys_name_the_key_path(override, expected):
    lines = problems(override)
    assert any(line.startswith(PREFIX + expected) for line in lines), lines
