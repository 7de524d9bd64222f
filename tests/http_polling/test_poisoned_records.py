"""A poisoned event on a page never fails the pull: it is quarantined with its reason, the rest of the page lands,
on the event-lines (block) path and on the decoded (row) path alike."""

from __future__ import annotations

import json

import orjson
import pytest

from governance_pipeline.adapters.http_polling import engine
from tests.http_polling.helpers import audit_config, lake_rows, pull, sources
from tests.support.http import Response, serve


def event(i: int, **usage) -> dict:
    return {
        "id": f"e{i}",
        "created_at": f"2026-10-01T10:00:{i:02d}Z",
        "user": {"email": f"u{i}@example.com"},
        "event_type": "chat",
        "model": "gpt-4o",
        "usage": {"cost": 0.01, "input_tokens": 10 + i, "output_tokens": 1, **usage},
    }


POISONED = {
    "float-1e30": event(90, input_tokens=1e30),
    "int-string-20-digits": event(91, input_tokens="99999999999999999999"),
    "int-20-digits": event(92, output_tokens=99999999999999999999),
    "year-beyond-9999": {**event(93), "created_at": 10**22},  # epoch ns: year 318857
    "before-1970": {**event(94), "created_at": "1969-12-31T23:59:59Z"},
    "unparseable-tokens": event(95, input_tokens="lots"),
    "cost-object": event(96, cost={"usd": 1}),
}


def _quarantine(lake) -> list[dict]:
    return [
        orjson.loads(line) for p in sorted(lake.glob("quarantine/**/*.ndjson")) for line in p.read_bytes().splitlines()
    ]


@pytest.mark.parametrize("lines", [True, False], ids=["event-lines", "decoded"])
@pytest.mark.parametrize("name", list(POISONED))
def test_a_poisoned_event_is_quarantined_and_the_page_lands(tmp_path, monkeypatch, lines, name):
    if not lines:
        monkeypatch.setattr(engine._Split, "of", classmethod(lambda cls, c: None))
    events = [event(1), POISONED[name], event(2), event(3)]
    body = json.dumps({"events": events, "next_cursor": None}).encode()  # orjson refuses ints beyond 64 bits
    with serve(lambda req: Response(200, body, {"Content-Type": "application/json"})) as (url, _):
        cfg = audit_config(url + "/v1/audit-log", authMode="none", headers={})
        cfg.pop("credentialRef")
        out = pull(sources(cfg), tmp_path)
    assert (out.events, out.new, out.errors, out.quarantined) == (4, 3, 1, 1)
    assert [r[0] for r in lake_rows(tmp_path, "select source_event_id from events order by 1")] == ["e1", "e2", "e3"]
    (bad,) = _quarantine(tmp_path)
    assert bad["error"] and orjson.loads(bad["raw"])["id"] == POISONED[name]["id"]
    assert bad["line"] == 2
