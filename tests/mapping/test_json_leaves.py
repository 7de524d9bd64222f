"""DuckDB's extraction of the mapped paths (``mapping.json_leaves``): typed as Arrow's JSON reader types them,
used for the blocks it can reproduce exactly, and standing down for a run whose values it cannot."""

from __future__ import annotations

import pyarrow as pa
import pytest

from governance_pipeline.mapping.arrow_json import ArrowJsonMapping, _lines
from governance_pipeline.mapping.json_leaves import JsonText, LeafExtractor, json_path
from tests.mapping.test_arrow_json import GENERIC, ndjson, row_path


def leaves(block: bytes, *paths: str):
    return LeafExtractor([p.split(".") for p in paths]).extract(_lines(block))


def test_values_are_typed_as_arrows_json_reader_types_them():
    block = ndjson(
        {"s": "a", "i": 1, "f": 1, "b": True, "o": {"k": [1, "x"]}, "u": {"e": "q@x"}},
        {"s": 'é "q" \\', "i": -2, "f": 2.5, "b": False, "o": {}, "u": None},
        {"s": None, "i": None},
    )
    s, i, f, b, o, e, absent = leaves(block, "s", "i", "f", "b", "o", "u.e", "nowhere")
    assert s.type == pa.string() and s.to_pylist() == ["a", 'é "q" \\', None]
    assert i.type == pa.int64() and i.to_pylist() == [1, -2, None]
    assert f.type == pa.float64() and f.to_pylist() == [1.0, 2.5, None]
    assert b.type == pa.bool_() and b.to_pylist() == [True, False, None]
    assert isinstance(o, JsonText) and o.text.to_pylist() == ['{"k":[1,"x"]}', "{}", None]
    assert e.to_pylist() == ["q@x", None, None]
    assert absent is None


def test_keys_with_dots_and_quotes_in_sql():
    assert json_path(["a.b", "it's"]) == '$."a.b"."it\'s"'
    assert json_path(['say "hi"']) is None
    (v,) = leaves(ndjson({"a.b": {"it's": 7}}), "a.b")  # split on '.': a path of the key 'a' then 'b'
    assert v is None
    extractor = LeafExtractor([["a.b", "it's"]])
    (v,) = extractor.extract(_lines(ndjson({"a.b": {"it's": 7}})))
    assert v.to_pylist() == [7]


def test_the_openai_sample_maps_through_duckdb():
    block = ndjson(
        {
            "id": "e1",
            "created_at": 1790834575,
            "user": {"email": "a@example.com", "id": "u1"},
            "type": "x",
            "model": "gpt-4o",
            "usage": {"prompt_tokens": 3, "completion_tokens": 4},
            "content_classification": {"pii": False, "sensitivity": "general"},
        },
    )
    from governance_pipeline.adapters.openai_compliance import FALLBACKS, MAPPING

    mapping = ArrowJsonMapping(MAPPING, FALLBACKS)
    fast = mapping.map_block(block)
    assert mapping._leaves.active, "the DuckDB extraction declined a plain compliance line"
    assert fast.column("flags").to_pylist() == ['{"pii":false,"sensitivity":"general"}']
    assert fast.equals(row_path(MAPPING, block))


@pytest.mark.parametrize("block", [b'{"id": "a", "n": 1,}\n', b'{"id": "a"}\n{"id": "b", \n'])
def test_a_block_the_row_path_must_see_is_declined_without_standing_down(block):
    mapping = ArrowJsonMapping(GENERIC)
    assert mapping.map_block(block) is None
    assert mapping._leaves.active
    good = ndjson({"id": "b", "n": "x"})
    assert mapping.map_block(good).equals(row_path(GENERIC, good))


def test_a_line_with_leading_blanks_goes_to_arrows_reader_for_that_block():
    mapping = ArrowJsonMapping(GENERIC)
    block = b' {"id": "a", "n": "x"}\n'
    assert mapping.map_block(block).equals(row_path(GENERIC, block))
    assert mapping._leaves.active


@pytest.mark.parametrize(
    "odd",
    [
        {"id": "a", "flags": {"p": 1.5}},  # a float inside an object
        {"id": "a", "flags": {"p": "tab\tq"}},  # an escape inside an object
        {"id": "a", "tin": 123456789012345678901},  # beyond 64 bits
    ],
)
def test_values_it_cannot_type_make_it_stand_down_for_the_run(odd):
    mapping = ArrowJsonMapping(GENERIC)
    block = ndjson({"id": "z", "n": "x"}, odd)
    result = mapping.map_block(block)
    assert not mapping._leaves.active
    assert result is None or result.equals(row_path(GENERIC, block))  # Arrow's reader took the block
    later = ndjson({"id": "b", "n": "y"})
    assert mapping.map_block(later).equals(row_path(GENERIC, later))


def test_mixed_kinds_under_one_path_stand_down():
    mapping = ArrowJsonMapping(GENERIC)
    assert mapping.map_block(ndjson({"id": "a", "n": 1}, {"id": "b", "n": "x"})) is None
    assert not mapping._leaves.active


def test_both_routes_agree_on_a_varied_block():
    block = ndjson(
        {
            "id": "a",
            "ts": 1790834575,
            "who": {"name": "Zoë"},
            "n": "act",
            "model": "gpt-4o",
            "cost": 0.5,
            "tin": 3,
            "tout": 2.9,
            "flags": {"pii": True, "inner": {"k": 1}},
            "ok": True,
        },
        {"id": "b", "ts": 1790834575123, "who": {}, "n": None, "cost": 1, "tin": None, "flags": None, "ok": False},
        {"ts": 1790834575123456, "tin": 5, "flags": {"pii": False, "inner": {"k": -2}}},
    )
    duck = ArrowJsonMapping(GENERIC)
    arrow = ArrowJsonMapping(GENERIC)
    arrow._leaves.active = False
    fast = duck.map_block(block)
    assert duck._leaves.active
    assert fast.equals(row_path(GENERIC, block))
    assert fast.equals(arrow.map_block(block))
    with_lists = ndjson({"id": "a", "flags": {"k": [1, 2]}}, {"id": "b", "flags": {"k": []}})
    assert arrow.map_block(with_lists) is None  # Arrow's reader: lists inside an object go to the row path
    assert duck.map_block(with_lists).equals(row_path(GENERIC, with_lists))
