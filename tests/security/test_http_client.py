"""The shared HTTP client against hostile servers: credentials never go to another origin, every request has
an overall deadline and every response a byte cap, and paging has a page and time budget."""

from __future__ import annotations

import time

import pytest

from governance_pipeline.adapters.http_polling.engine import PullError
from governance_pipeline.http import HttpClient, HttpError, RetryPolicy
from tests.http_polling.helpers import AUDIT_MAPPING, FAST_RETRY, pull, sources
from tests.security.peers import drip, flood, raw_server
from tests.support.http import Response, serve

FAST = RetryPolicy(max_attempts=2, backoff_base=0.001, backoff_max=0.01)
SECRET = "sk-ant-api03-SECRETVALUE"


def _leaked(requests_seen, secret: str = SECRET) -> list[str]:
    return [f"{k}: {v}" for r in requests_seen for k, v in r.headers.items() if secret in v or k == "authorization"]


@pytest.mark.parametrize(
    "headers",
    [
        {"x-api-key": SECRET},
        {"Authorization": f"Bearer {SECRET}"},
        {"X-Custom-Token": f"token={SECRET}"},
    ],
)
def test_a_redirect_to_another_origin_drops_every_credential_header(headers):
    with (
        serve(lambda req: Response(200, {"stolen": True})) as (foreign, foreign_seen),
        serve(lambda req: Response(302, "", {"Location": foreign + "/collect"})) as (home, home_seen),
    ):
        client = HttpClient(FAST, secrets=(SECRET,), sleep=lambda s: None)
        client.get(home + "/v1/compliance/activities", headers={**headers, "anthropic-version": "2023-06-01"})
    assert len(home_seen) == 1 and len(foreign_seen) == 1
    assert _leaked(home_seen)  # the home origin did get the credential
    assert _leaked(foreign_seen) == []
    assert foreign_seen[0].headers.get("anthropic-version") == "2023-06-01"  # plain headers still go


def test_session_level_credentials_are_dropped_too():
    """LangSmith puts x-api-key on the session; a redirect elsewhere must not carry it."""
    with (
        serve(lambda req: Response(200, [])) as (foreign, foreign_seen),
        serve(lambda req: Response(307, "", {"Location": foreign + "/api/v1/sessions"})) as (home, _),
    ):
        client = HttpClient(FAST, secrets=(SECRET,), sleep=lambda s: None)
        client.session.headers.update({"x-api-key": SECRET, "x-tenant-id": "tenant-1234"})
        client.get(home + "/api/v1/sessions")
    assert _leaked(foreign_seen) == []


def test_a_same_origin_redirect_keeps_the_credential():
    def handler(req):
        if req.path == "/old":
            return Response(301, "", {"Location": "/new"})
        return Response(200, {"ok": req.headers.get("x-api-key") == SECRET})

    with serve(handler) as (home, _):
        assert HttpClient(FAST, secrets=(SECRET,)).get(home + "/old", headers={"x-api-key": SECRET}).json() == {
            "ok": True
        }


def test_a_secret_in_the_body_is_not_resent_to_another_origin():
    with (
        serve(lambda req: Response(200, {"access_token": "t"})) as (foreign, foreign_seen),
        serve(lambda req: Response(307, "", {"Location": foreign + "/token"})) as (home, _),
    ):
        client = HttpClient(FAST, secrets=(SECRET,), sleep=lambda s: None)
        with pytest.raises(HttpError, match="another origin"):
            client.post(home + "/token", data={"client_secret": SECRET})
    assert foreign_seen == []


def test_http_polling_templated_header_is_not_sent_on_a_foreign_redirect(tmp_path, monkeypatch):
    monkeypatch.setenv("ACME_TOKEN", SECRET)
    with (
        serve(lambda req: Response(200, {"events": []})) as (foreign, foreign_seen),
        serve(lambda req: Response(302, "", {"Location": foreign + "/audit"})) as (home, home_seen),
    ):
        sf = sources(
            {
                "url": home + "/audit",
                "headers": {"X-Acme-Key": "${{credentials.token}}"},
                "credentialRef": "acme",
                "eventsJsonPath": "$.events",
                "eventMapping": AUDIT_MAPPING,
                "retry": FAST_RETRY,
            },
            credentials={"acme": {"token": {"env": "ACME_TOKEN"}}},
        )
        pull(sf, tmp_path / "lake")
    assert _leaked(home_seen) and _leaked(foreign_seen) == []


def test_a_control_character_in_a_header_value_never_shows_the_secret():
    token = "tok-abcdef-123456\n"
    with serve(lambda req: Response(200, {})) as (home, _):
        client = HttpClient(FAST, secrets=(token,), sleep=lambda s: None)
        with pytest.raises(HttpError) as err:
            client.get(home, headers={"Authorization": f"Bearer {token}"})
    assert "abcdef" not in str(err.value)


def test_a_server_dripping_one_byte_at_a_time_hits_the_overall_deadline():
    with raw_server(drip(total=30, every=0.5)) as url:
        client = HttpClient(FAST, timeout=2, deadline=2, sleep=lambda s: None)
        with pytest.raises(HttpError, match="deadline"):
            client.get(url)


@pytest.mark.parametrize("declare", [True, False])
def test_a_huge_response_is_refused_at_the_byte_cap(declare):
    with raw_server(flood(total=64 << 20, declare=declare)) as url:
        client = HttpClient(FAST, max_response_bytes=1 << 20, sleep=lambda s: None)
        with pytest.raises(HttpError, match="limit of 1048576 bytes"):
            client.get(url)


def _inventing(delay: float = 0.0, pages: int = 200):
    """A server that answers every page with one event and a cursor it never used before (bounded)."""
    count = [0]

    def handler(req):
        count[0] += 1
        time.sleep(delay)
        if count[0] > pages:
            return Response(200, {"events": [], "next": None})
        n = count[0]
        return Response(200, {"events": [{"id": f"e{n}", "ts": "2026-10-01T00:00:00Z"}], "next": f"c{n}"})

    return handler


def _paging_config(url: str, **extra) -> dict:
    return {
        "url": url + "/audit",
        "cursorJsonPath": "$.next",
        "eventsJsonPath": "$.events",
        "eventMapping": {"source_event_id": "$.id", "event_timestamp": "$.ts"},
        "retry": FAST_RETRY,
        **extra,
    }


def test_max_pages_ends_a_run_that_pages_forever_without_committing(tmp_path):
    with serve(_inventing()) as (url, seen):
        sf = sources(_paging_config(url, maxPages=20))
        with pytest.raises(PullError, match="maxPages"):
            pull(sf, tmp_path / "lake")
    assert len(seen) <= 21


def test_the_run_time_budget_ends_a_slow_endless_run(tmp_path):
    with serve(_inventing(delay=0.05, pages=100)) as (url, seen):
        sf = sources(_paging_config(url, maxRunSeconds=0.5))
        with pytest.raises(PullError, match="maxRunSeconds"):
            pull(sf, tmp_path / "lake")
    assert len(seen) < 100


def test_langsmith_runs_query_with_endless_fresh_cursors_is_bounded():
    from governance_pipeline.langsmith.api import LangSmithApi, LangSmithError

    count = [0]

    def handler(req):
        count[0] += 1
        nxt = f"c{count[0]}" if count[0] < 300 else None  # bounded: the old loop would end here by itself
        return Response(200, {"runs": [{"id": f"r{count[0]}"}], "cursors": {"next": nxt}})

    with serve(handler) as (url, seen):
        api = LangSmithApi(url, "ls-key-123456", page_size=1, policy=FAST)
        api.max_pages = 20
        with pytest.raises(LangSmithError, match="pages"):
            for _ in api.runs("session-1"):
                pass
    assert len(seen) <= 21
