"""The generated page extractor gives exactly what the per-field accessors give."""

from governance_pipeline.mapping.jsonpath import compile_extractor, compile_path

PATHS = {
    "source_event_id": "$.id",
    "actor": "$.user.email",
    "target": "$['model-name']",
    "tokens_input": "$.usage[0].n",
    "action": "$.events[?(@.kind == 'x')].name",  # not plain: falls back to jsonpath-ng
    "provider": "$",
}
RECORDS = [
    {
        "id": "a",
        "user": {"email": "x@example.com"},
        "model-name": "m",
        "usage": [{"n": 3}],
        "events": [{"kind": "x", "name": "go"}],
    },
    {"id": 2, "user": None, "usage": []},
    {"user": "not-a-dict", "usage": {"0": 1}},
    ["not", "an", "object"],
    None,
]


def test_generated_extractor_matches_accessors():
    got = compile_extractor(PATHS)(RECORDS)
    for name, path in PATHS.items():
        get = compile_path(path)
        assert got[name] == [get(r) for r in RECORDS], name


def test_keys_are_data_not_code():
    weird = {"actor": "$['a\\'); import os; (\\'']"}
    assert compile_extractor({"actor": "$['x\"y']"})([{'x"y': 1}]) == {"actor": [1]}
    assert compile_extractor(weird)  # compiles without executing anything


def test_an_empty_mapping_extracts_nothing():
    assert compile_extractor({})([{"a": 1}]) == {}
