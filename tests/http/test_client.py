"""The shared HTTP client against a real local server: retries, Retry-After, redaction."""

import email.utils
from datetime import UTC, datetime, timedelta

import pytest

from governance_pipeline.http import HttpClient, HttpError, RetryPolicy, parse_retry_after
from tests.support.http import Response, serve

FAST = RetryPolicy(max_attempts=4, backoff_base=0.001, backoff_max=0.01)


def test_retry_after_seconds_and_http_date():
    now = datetime(2026, 10, 1, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    later = email.utils.format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(later, now=now) == pytest.approx(30.0)
    assert parse_retry_after("garbage") is None


def test_429_then_500_then_success_honours_retry_after():
    calls = iter([Response(429, {"e": 1}, {"Retry-After": "2"}), Response(500, "boom"), Response(200, {"ok": True})])
    slept: list[float] = []
    with serve(lambda req: next(calls)) as (url, seen):
        client = HttpClient(FAST, sleep=slept.append)
        assert client.get(url + "/x").json() == {"ok": True}
    assert len(seen) == 3
    assert slept[0] == 2.0  # Retry-After, not the backoff
    assert client.retries == 2


def test_4xx_fails_at_once_with_status_and_redacted_url():
    with serve(lambda req: Response(403, "token sk-live-SECRET123 rejected")) as (url, seen):
        client = HttpClient(FAST, secrets=("sk-live-SECRET123",), sleep=lambda s: None)
        with pytest.raises(HttpError) as err:
            client.get(url + "/audit", params={"api_key": "sk-live-SECRET123", "page": "2"})
    assert len(seen) == 1
    msg = str(err.value)
    assert "403" in msg and "/audit" in msg and "page=2" in msg
    assert "sk-live-SECRET123" not in msg


def test_5xx_gives_up_after_bounded_attempts():
    with serve(lambda req: Response(502, "bad gateway")) as (url, seen), pytest.raises(HttpError, match="HTTP 502"):
        HttpClient(FAST, sleep=lambda s: None).get(url)
    assert len(seen) == FAST.max_attempts


def test_connection_errors_are_retried_then_reported():
    client = HttpClient(FAST, sleep=lambda s: None, timeout=0.5)
    with pytest.raises(HttpError, match="request failed"):
        client.get("http://127.0.0.1:9/unreachable")
    assert client.requests == FAST.max_attempts
