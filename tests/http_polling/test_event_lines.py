"""Pages split into event lines by simdjson and mapped as NDJSON blocks must land exactly what decoding every
event with orjson and mapping it record by record lands; anything the split cannot take goes the orjson way."""

from __future__ import annotations

import json

import orjson
import pytest

from governance_pipeline.adapters.http_polling import engine
from governance_pipeline.adapters.http_polling.config import HttpPollingConfig
from governance_pipeline.adapters.http_polling.engine import _Split
from governance_pipeline.mapping.arrow_json import ArrowJsonMapping
from tests.http_polling.helpers import audit_config, lake_rows, pull, sources
from tests.support.http import Response, serve

CLEAN = [  # shapes the block path maps itself
    {
        "id": "e1",
        "created_at": "2026-10-01T10:00:00Z",
        "user": {"email": 'zoë "q" \\ \u2028 a@example.com'},
        "event_type": "chat",
        "model": "gpt-4o",
        "usage": {"cost": 1e-7, "input_tokens": 12, "output_tokens": 3},
    },
    {
        "id": "e2",
        "created_at": "2026-10-01T12:00:00.123456+02:00",
        "user": {"email": None},
        "event_type": "tool",
        "model": None,
        "usage": {"cost": 0.25},
    },
    {"created_at": "2026-10-02T00:00:00Z", "user": {}, "event_type": "chat", "usage": None, "x": [{"y": 1}, {"y": 2}]},
    {
        "id": "e4",
        "created_at": "2026-10-02T00:00:01Z",
        "event_type": "chat",
        "usage": {"input_tokens": 17, "output_tokens": -1},
    },
]
TRICKY = [  # mixed types: the block path declines, the lines are mapped record by record
    {
        "id": "e1",
        "created_at": "2026-10-01T10:00:00Z",
        "user": {"email": 'zoë "q" \\ \u2028 a@example.com'},
        "event_type": "chat",
        "model": "gpt-4o",
        "usage": {"cost": 1e-7, "input_tokens": 12, "output_tokens": 3.0},
    },
    {
        "id": "e2",
        "created_at": 1790834575123,
        "user": {"email": None},
        "event_type": 7,
        "model": None,
        "usage": {"cost": "0.25"},
    },
    {
        "created_at": "2026-10-01T12:00:00.123456+02:00",
        "user": "not an object",
        "event_type": ["a", "list"],
        "usage": None,
        "x": [{"y": 1}, {"y": 2}],
    },
    {
        "id": "e4",
        "created_at": 1790834575.5,
        "event_type": True,
        "usage": {"input_tokens": "17", "output_tokens": -1},
        "big": 12345678901234567890,
    },
]


def _pull_both(tmp_path, monkeypatch, body: dict, block_maps: bool = True) -> tuple[list, list, object, object]:
    mapped_blocks = []
    block_path = ArrowJsonMapping.map_block
    monkeypatch.setattr(
        ArrowJsonMapping,
        "map_block",
        lambda self, block: mapped_blocks.append(block_path(self, block)) or mapped_blocks[-1],
    )
    with serve(lambda req: Response(200, body)) as (url, _):
        cfg = audit_config(url + "/v1/audit-log", authMode="none", headers={})
        cfg.pop("credentialRef")
        split = pull(sources(cfg), tmp_path / "lines")
        objects = [e for e in body["events"] if isinstance(e, dict)]
        if len(objects) < len(body["events"]):
            assert mapped_blocks == []  # not split: decoded by orjson
        elif block_maps:
            assert len(mapped_blocks) == 1 and mapped_blocks[0].num_rows == len(objects)
        else:
            assert mapped_blocks == [None]  # split, but the block path declined: mapped record by record
        monkeypatch.setattr(engine._Split, "of", classmethod(lambda cls, c: None))
        decoded = pull(sources(cfg), tmp_path / "decoded")
    # raw_payload is compared as JSON: simdjson prints 1e-7 as 1e-07, orjson as 1e-7
    sql = "select * exclude (ingested_at, raw_payload), raw_payload::JSON from events order by source_event_id"
    return lake_rows(tmp_path / "lines", sql), lake_rows(tmp_path / "decoded", sql), split, decoded


@pytest.mark.parametrize("events, block_maps", [(CLEAN, True), (TRICKY, False)], ids=["block-mapped", "row-mapped"])
def test_event_lines_land_exactly_what_decoded_events_land(tmp_path, monkeypatch, events, block_maps):
    lines, decoded, out_lines, out_decoded = _pull_both(
        tmp_path, monkeypatch, {"events": events, "next_cursor": None}, block_maps
    )
    assert len(lines) == 4 and [r[:-1] for r in lines] == [r[:-1] for r in decoded]
    assert [json.loads(r[-1]) for r in lines] == [json.loads(r[-1]) for r in decoded]
    assert (
        (out_lines.events, out_lines.new, out_lines.errors)
        == (out_decoded.events, out_decoded.new, out_decoded.errors)
        == (4, 4, 0)
    )


def test_a_page_with_an_event_that_is_not_an_object_is_decoded_and_quarantines_it(tmp_path, monkeypatch):
    body = {"events": [TRICKY[0], "just text", TRICKY[1]], "next_cursor": None}
    lines, decoded, out_lines, _ = _pull_both(tmp_path, monkeypatch, body, block_maps=False)
    assert len(lines) == 2 and [r[:-1] for r in lines] == [r[:-1] for r in decoded]
    assert (out_lines.events, out_lines.errors, out_lines.quarantined) == (3, 1, 1)


def _split(**paths) -> _Split:
    cfg = HttpPollingConfig.model_validate(audit_config("https://api.example.com/audit", **paths))
    split = _Split.of(cfg.compiled)
    assert split is not None
    return split


@pytest.mark.parametrize(
    "body, events",
    [
        ({"data": {"items": TRICKY}, "next": "c2", "more": True}, TRICKY),
        ({"data": {"items": TRICKY[0]}, "next": 5, "more": "false"}, [TRICKY[0]]),  # one object: one event
        ({"data": {"items": []}, "next": None}, []),
        ({"data": {}, "next": {"an": "object"}}, []),
    ],
)
def test_split_reads_the_paths_like_the_compiled_jsonpaths(body, events):
    split = _split(eventsJsonPath="$.data.items", cursorJsonPath="$.next", hasMoreJsonPath="$.more")
    cfg = HttpPollingConfig.model_validate(
        audit_config(
            "https://x.example.com", eventsJsonPath="$.data.items", cursorJsonPath="$.next", hasMoreJsonPath="$.more"
        )
    )
    lines, values = split.read(json.dumps(body).encode())
    cursor, more = values["next"], values["has_more"]
    assert [orjson.loads(line) for line in lines] == events == cfg.compiled.events(body)
    expected_cursor = cfg.compiled.cursor(body)
    assert cursor == (None if isinstance(expected_cursor, dict) else expected_cursor)
    assert more == cfg.compiled.has_more(body)


@pytest.mark.parametrize(
    "body",
    [
        b'{"events": [{"id": 1}, 2]}',  # an event that is not an object
        b'{"events": "text"}',
        b'{"events": [{"id": 1},]}',  # not JSON: the orjson path reports it
        b'{"events": [{"id": NaN}]}',
    ],
)
def test_split_leaves_what_it_cannot_take_to_the_orjson_path(body):
    assert _split().read(body) is None


def test_paths_with_indexes_or_wildcards_are_not_split():
    for paths in (
        {"eventsJsonPath": "$.pages[0].events"},
        {"eventsJsonPath": "$..events"},
        {"cursorJsonPath": "$.links[*].next"},
    ):
        cfg = HttpPollingConfig.model_validate(audit_config("https://api.example.com/audit", **paths))
        assert _Split.of(cfg.compiled) is None
