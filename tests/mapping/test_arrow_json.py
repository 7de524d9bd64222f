"""The NDJSON block mapping must equal the row-by-row mapping, or decline (None) so the row path runs."""

from __future__ import annotations

import json

import orjson
import pytest

from governance_pipeline.adapters.openai_compliance import FALLBACKS, MAPPING
from governance_pipeline.mapping.arrow_json import ArrowJsonMapping
from governance_pipeline.mapping.event_mapping import EventMapping
from governance_pipeline.s3 import drops as drops_module
from governance_pipeline.s3.client import S3Location
from governance_pipeline.s3.drops import S3Drops, _Piece
from governance_pipeline.s3.listing import ObjectInfo
from governance_pipeline.s3.stream import decoded, line_aligned
from tests.conftest import FIXTURES
from tests.support.mappings import NESTED_MAPPING

GENERIC = EventMapping(
    {
        "source_event_id": "$.id",
        "event_timestamp": "$.ts",
        "actor": "$.who.name",
        "action": "$.n",
        "target": "$.model",
        "cost_usd": "$.cost",
        "tokens_input": "$.tin",
        "tokens_output": "$.tout",
        "flags": "$.flags",
        "status": "$.ok",
    }
)


def row_path(mapping: EventMapping, block: bytes):
    lines = [line for line in block.split(b"\n") if line]
    return mapping.to_table([orjson.loads(x) for x in lines], [x.decode() for x in lines])


def ndjson(*records) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in records)


@pytest.mark.parametrize("fixture", ["ndjson/sample.ndjson", "openai_compliance/sample.jsonl.gz"])
def test_fixtures_map_identically(fixture):
    block = b"".join(decoded([(FIXTURES / fixture).read_bytes()]))
    mapping = MAPPING if "openai" in fixture else EventMapping(NESTED_MAPPING)
    fast = ArrowJsonMapping(mapping).map_block(block)
    assert fast is not None and fast.equals(row_path(mapping, block))


def test_types_coerce_like_the_row_path():
    block = ndjson(
        {
            "id": "a",
            "ts": 1790834575,
            "who": {"name": 'Zoë "q" \\ x'},
            "n": 7,
            "model": "gpt-4o",
            "cost": 1,
            "tin": 3.9,
            "tout": 2,
            "flags": {"pii": True, "label": 'say "hi" \\ ü', "inner": {"k": 1}},
            "ok": True,
        },
        {
            "id": "b",
            "ts": 1790834575123,
            "who": {"name": "b"},
            "n": 8,
            "model": None,
            "cost": 0.25,
            "tin": 4,
            "tout": None,
            "flags": {"pii": False, "label": "", "inner": {"k": -2}},
            "ok": False,
        },
        {"ts": 1790834575123456, "who": {}, "tin": 5, "flags": {"pii": False, "label": "x", "inner": {"k": 0}}},
    )
    fast = ArrowJsonMapping(GENERIC).map_block(block)
    assert fast is not None
    assert fast.equals(row_path(GENERIC, block))
    assert json.loads(fast.column("flags")[0].as_py()) == {"pii": True, "label": 'say "hi" \\ ü', "inner": {"k": 1}}


def test_rows_without_the_object_get_null_flags():
    block = ndjson(
        {"id": "a", "flags": {"pii": True, "inner": {"k": 1}}},
        {"id": "b"},
        {"id": "c", "flags": None},
        {"id": "d", "flags": {"pii": False, "inner": {"k": 2}}},
    )
    fast = ArrowJsonMapping(GENERIC).map_block(block)
    assert fast is not None and fast.equals(row_path(GENERIC, block))
    assert fast.column("flags").to_pylist()[1:3] == [None, None]


def test_iso_timestamps_with_offsets_and_fractions():
    block = ndjson(
        {"id": "a", "ts": "2026-10-01T10:00:00Z"},
        {"id": "b", "ts": "2026-10-01T12:00:00+02:00"},
        {"id": "c", "ts": "2026-10-01T10:00:00.5Z"},
    )
    fast = ArrowJsonMapping(GENERIC).map_block(block)
    assert fast is not None and fast.column("event_timestamp").equals(
        row_path(GENERIC, block).column("event_timestamp")
    )


def test_float_epochs_and_ints_promoted_to_floats():
    block = ndjson(
        {"id": "a", "ts": 1790834575, "tin": 3},
        {"id": "b", "ts": 1790834575.123456, "tin": 2.7},
        {"id": "c", "ts": 1790834575123.5, "tin": 1},
    )
    fast = ArrowJsonMapping(GENERIC).map_block(block)
    assert fast is not None and fast.equals(row_path(GENERIC, block))


def test_missing_ids_get_the_same_stable_ids():
    block = ndjson({"n": "x"}, {"id": "given", "n": "y"})
    fast = ArrowJsonMapping(GENERIC).map_block(block)
    assert fast.column("source_event_id").equals(row_path(GENERIC, block).column("source_event_id"))


@pytest.mark.parametrize(
    "block",
    [
        b'{"id": "a"}\n{"id": "b", \n',  # malformed line
        b'{"id": "a"}\n[1, 2]\n',  # not an object
        b'{"id": "a"}\n\n{"id": "b"}\n',  # blank line
        b'{"id": "a"}\n   \n{"id": "b"}\n',  # a line of spaces
        b'{"id": "a\x01b"}\n{"id": "c"}\n',  # a raw control character (not JSON; also the line splitter's delimiter)
        b'{"id": "a"}\n{"id": "\xff"}\n',  # not UTF-8
        b'{"id": "a"}\r\n',  # CR line ends
        b'{"id": "a", "n": 1,}\n',  # a trailing comma
        b'{"id": "a", "n": [1, 2 ]}\n',  # a blank before a closing bracket: declined, in case it hides a comma
        b'{"id": "a", "flags": {"p": 1, }}\n',  # a trailing comma after a blank
    ],
)
def test_declines_blocks_the_row_path_must_see(block):
    """Lines the row path rejects (and quarantines) never pass through a block mapping."""
    assert ArrowJsonMapping(GENERIC).map_block(block) is None


@pytest.mark.parametrize(
    "block",
    [
        b'{"id": "a", "n": 1}\n{"id": "b", "n": "x"}\n',  # mixed types
        b'{"id": "a", "flags": {"p": 1.5}}\n',  # a float inside an object mapped to text (printing may differ)
        b'{"id": "a", "flags": {"p": "tab\\tq\\u00e9"}}\n',  # escapes inside an object mapped to text
        b'{"id": "a", "n": [1, 2]}\n',  # an array mapped to text
        b'{"id": "a", "tin": [1, 2]}\n',  # an array mapped to a number
        b'{"id": "a", "flags": {"p": null}}\n',  # null inside an object mapped to text
        b'{"id": "a", "flags": {"p": 1}}\n{"id": "b", "flags": {}}\n',  # a key absent from one object
        b'{"id": "a", "who": "just a string"}\n',  # a string where the path expects an object
        b'{"id": "a", "tin": 123456789012345678901}\n',  # beyond 64 bits
        b'{"id": "a", "ts": 1790834575000000000}\n',  # nanosecond epoch (exact integer division)
        b'{"id": "a", "ts": null, "n": null}\n{"id": "b", "ts": 1790834575, "n": "x"}\n',  # explicit nulls
        b'{"id": "a", "ts": "2026-10-01T10:00:00Z"}\n{"id": "b", "ts": "yesterday"}\n',  # one timestamp only to_micros reads
        b'{"id": "a", "cost": -0.0, "tin": -0, "tout": 1e2}\n',  # signed zeros and exponents
        b'{"id": "a", "ok": true}\n{"id": "b", "ok": false}\n{"id": "c"}\n',  # booleans mapped to text
    ],
)
def test_odd_values_map_like_the_row_path_or_decline(block):
    fast = ArrowJsonMapping(GENERIC).map_block(block)
    assert fast is None or fast.equals(row_path(GENERIC, block))


def test_paths_beyond_plain_keys_use_the_row_path():
    assert not ArrowJsonMapping(EventMapping({"actor": "$.users[0].email"})).supported
    assert not ArrowJsonMapping(EventMapping({"actor": "$..email"})).supported
    assert ArrowJsonMapping(MAPPING, FALLBACKS).supported


def test_floats_mapped_to_text_keep_python_formatting():
    block = ndjson({"id": "a", "n": 1.5}, {"id": "b", "n": 2.0})
    fast = ArrowJsonMapping(GENERIC).map_block(block)
    assert fast.column("action").to_pylist() == ["1.5", "2"] and fast.equals(row_path(GENERIC, block))


def test_fallback_fields_fill_nulls():
    block = ndjson({"id": "a", "user": {"id": "u1", "email": "a@example.com"}}, {"id": "b", "user": {"id": "u2"}})
    fast = ArrowJsonMapping(MAPPING, FALLBACKS).map_block(block)
    assert fast.column("actor").to_pylist() == ["a@example.com", "u2"]


def test_a_bad_block_falls_back_with_exact_line_numbers(monkeypatch):
    monkeypatch.setattr(drops_module, "BLOCK_BYTES", 200)
    good = [
        json.dumps({"id": f"e{i}", "created_at": 1790834575, "user": {"email": "a@example.com"}}) for i in range(20)
    ]
    good[12] = '{"id": "broken", '
    data = ("\n".join(good) + "\n").encode()
    engine = S3Drops(S3Location("b"), "ndjson", MAPPING, lambda: None, "s", fallbacks=dict(FALLBACKS))
    chunks = decoded(data[i : i + 40] for i in range(0, len(data), 40))
    obj = ObjectInfo("k.jsonl.gz", "etag", len(data))
    pieces = (engine._map_piece(_Piece(obj, "etag", block)) for block in line_aligned(chunks, drops_module.BLOCK_BYTES))
    batches = list(engine._ndjson_blocks(pieces, "k.jsonl.gz"))
    assert len(batches) > 3
    assert sum(b.table.num_rows for b in batches) == 19 and sum(b.raw_count for b in batches) == 20
    (bad,) = [q for b in batches for q in b.quarantine]
    assert (bad["file"], bad["line"]) == ("k.jsonl.gz", 13)


def test_escaped_strings_and_missing_objects():
    block = ndjson(
        {"id": 'a"b', "who": {"name": "tab\there \u00e9 \\ /"}, "n": "x"}, {"id": "e", "who": None}, {"id": "f"}
    )
    fast = ArrowJsonMapping(GENERIC).map_block(block)
    assert fast is not None and fast.equals(row_path(GENERIC, block))
    assert fast.column("actor").to_pylist() == ["tab\there \u00e9 \\ /", None, None]


def test_keys_are_matched_with_their_case():
    block = ndjson({"ID": "upper", "id": "lower", "who": {"Name": "N", "name": "n"}})
    fast = ArrowJsonMapping(GENERIC).map_block(block)
    assert fast.column("source_event_id").to_pylist() == ["lower"] and fast.column("actor").to_pylist() == ["n"]


def test_booleans_and_numbers_map_to_every_target_like_the_row_path():
    block = ndjson(
        {"id": "a", "ts": "2026-10-01T10:00:00Z", "n": True, "cost": 1, "tin": "7", "tout": 2.9, "model": 3},
        {
            "id": "b",
            "ts": "2026-10-01T11:00:00.123456+01:00",
            "n": False,
            "cost": 0.5,
            "tin": None,
            "tout": -1.5,
            "model": 4,
        },
    )
    fast = ArrowJsonMapping(GENERIC).map_block(block)
    assert fast is not None and fast.equals(row_path(GENERIC, block))


@pytest.mark.parametrize("bad", [{"cost": True}, {"tin": "x"}, {"tout": False}, {"ts": "yesterday"}, {"tin": 1e30}])
def test_a_strict_value_that_does_not_coerce_declines_the_block_and_the_row_path_rejects_it(bad):
    block = ndjson(
        {"id": "a", "ts": "2026-10-01T10:00:00Z", "tin": 1}, {"id": "b", "ts": "2026-10-01T10:00:00Z", **bad}
    )
    assert ArrowJsonMapping(GENERIC).map_block(block) is None
    lines = [line for line in block.split(b"\n") if line]
    rejects: list = []
    table = GENERIC.to_table([orjson.loads(x) for x in lines], [x.decode() for x in lines], rejects)
    assert table.column("source_event_id").to_pylist() == ["a"]
    assert [i for i, _ in rejects] == [1]
