"""JSONPath compilation, coercion and precedence lists."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
import pytest

from governance_pipeline.mapping import EventMapping, compile_path, compile_path_all
from governance_pipeline.mapping.coerce import timestamp_column, to_float, to_int, to_micros
from governance_pipeline.mapping.jsonpath import plain_steps
from governance_pipeline.mapping.precedence import first_float, first_int, first_text

DOC = {
    "id": 7,
    "user": {"email": "a@example.com", "tags": ["x", "y"]},
    "a-b": {"c": 1},
    "items": [{"kind": "model", "name": "gpt-4o"}, {"kind": "tool", "name": "search"}],
}


@pytest.mark.parametrize(
    "path, expected",
    [
        ("$.id", 7),
        ("$.user.email", "a@example.com"),
        ("$.user.tags[1]", "y"),
        ("$['a-b'].c", 1),
        ("$.missing.deeper", None),
        ("$.user.tags[5]", None),
        ("$.items[?(@.kind == 'tool')].name", "search"),
        ("$..email", "a@example.com"),
    ],
)
def test_compiled_paths(path, expected):
    assert compile_path(path)(DOC) == expected


def test_plain_paths_skip_the_jsonpath_parser():
    assert plain_steps("$.user.tags[1]") == ["user", "tags", 1]
    assert plain_steps("$.items[*].name") is None


def test_path_all_returns_every_match():
    assert compile_path_all("$.items")(DOC) == DOC["items"]
    assert compile_path_all("$.items[*].name")(DOC) == ["gpt-4o", "search"]


@pytest.mark.parametrize(
    "raw, micros",
    [
        ("2026-10-01T10:00:00Z", 1790848800_000000),
        ("2026-10-01T12:00:00+02:00", 1790848800_000000),
        ("2026-10-01T10:00:00", 1790848800_000000),  # no zone means UTC
        ("2026-10-01T10:00:00.123456789Z", 1790848800_123456),  # nanosecond fraction truncated
        (1790848800, 1790848800_000000),  # epoch seconds
        (1790848800123, 1790848800_123000),  # ms
        (1790848800123456, 1790848800_123456),  # us
        (1790848800123456789, 1790848800_123456),  # ns, exact integer arithmetic
        ("1790848800123456789", 1790848800_123456),
        (1790848800.5, 1790848800_500000),
        ("not a time", None),
        (None, None),
    ],
)
def test_timestamps(raw, micros):
    assert to_micros(raw) == micros


def test_timestamp_column_vectorized_and_mixed():
    iso = timestamp_column(["2026-10-01T10:00:00Z", "2026-10-01T12:00:00+02:00"])
    assert iso.type == pa.timestamp("us", tz="UTC")
    assert iso.to_pylist()[0] == iso.to_pylist()[1] == datetime(2026, 10, 1, 10, tzinfo=UTC)
    mixed = timestamp_column(["2026-10-01T10:00:00", 1790848800, "2026-10-01T10:00:00+00:00", None])
    assert mixed.to_pylist()[:3] == [datetime(2026, 10, 1, 10, tzinfo=UTC)] * 3
    assert mixed.to_pylist()[3] is None


def test_numbers_from_strings():
    assert to_float("0.25") == 0.25 and to_float("x") is None and to_float(True) is None
    assert to_int("1250") == 1250 and to_int(12.0) == 12 and to_int("12.7") == 12 and to_int(None) is None


def test_event_mapping_defaults_and_model_follows_target():
    m = EventMapping(
        {
            "source_event_id": "$.id",
            "actor": "$.user.email",
            "target": "$.model",
            "tokens_input": "$.usage.in",
            "cost_usd": "$.usage.cost",
            "event_timestamp": "$.t",
        }
    )
    rows = [
        {"id": 1, "user": {"email": "a@x"}, "model": "gpt-4o", "usage": {"in": "12", "cost": "0.5"}, "t": 1790848800},
        {"user": {}, "t": "2026-10-01T10:00:00Z"},
    ]
    table = m.to_table(rows)
    got = table.to_pylist()
    assert got[0]["source_event_id"] == "1" and got[0]["tokens_input"] == 12 and got[0]["cost_usd"] == 0.5
    assert got[0]["model"] == "gpt-4o"
    assert got[1]["actor"] is None and got[1]["tokens_input"] is None  # the writer fills numeric defaults (0)
    assert got[1]["source_event_id"].startswith("sha256:")  # stable id from the raw payload
    assert m.to_table(rows[1:]).column("source_event_id")[0] == table.column("source_event_id")[1]
    assert '"usage"' in got[0]["raw_payload"]


def test_precedence_lists_skip_unparseable_values():
    attrs = {
        "gen_ai.usage.cost_usd": "n/a",
        "gen_ai.usage.cost": "0.006",
        "user.email": "",
        "user.id": "u1",
        "gen_ai.usage.input_tokens": "1250",
    }
    assert first_float(attrs, ["gen_ai.usage.cost_usd", "gen_ai.usage.cost"]) == 0.006
    assert first_text(attrs, ["langwatch.user.id", "user.email", "user.id"]) == "u1"
    assert first_int(attrs, ["gen_ai.usage.input_tokens"]) == 1250
    assert first_int(attrs, ["nope"]) is None
