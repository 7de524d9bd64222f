"""Prompt and response text stays out of raw_payload unless the source asks for it (enrich/content.py)."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from governance_pipeline.config.errors import ConfigError
from governance_pipeline.enrich.content import ContentPolicy
from governance_pipeline.lake.store import LakeStore
from governance_pipeline.lake.writer import LakeWriter
from governance_pipeline.sources_file import parse_sources

SPAN = {
    "spanId": "s1",
    "attributes": {
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.input.messages": '[{"role":"user","parts":[{"type":"text","content":"secret plan"}]}]',
        "gen_ai.output.messages": "[...]",
        "llm.input_messages.0.message.content": "hello",
        "customer.ssn": "123",
        "gen_ai.usage.input_tokens": 5,
    },
    "resource": {"attributes": {"service.name": "x"}},
}
CLAUDE_LOG = {"body": "claude_code.user_prompt", "attributes": [{"key": "prompt", "value": {"stringValue": "fix it"}}]}
LANGSMITH_RUN = {"id": "r1", "inputs": {"q": "hi"}, "outputs": {"a": "yo"}, "extra": {"metadata": {"k": 1}}}
PLAIN = {"id": "p1", "attributes": {"gen_ai.request.model": "gpt-4o"}, "response": {"status": 200}}


def _table(*docs) -> pa.Table:
    return pa.table(
        {
            "source_event_id": [str(i) for i in range(len(docs))],
            "event_timestamp": ["2026-10-01T10:00:00Z"] * len(docs),
            "raw_payload": [json.dumps(d) for d in docs],
        }
    )


def _written(tmp_path, policy: ContentPolicy, *docs) -> list[dict]:
    w = LakeWriter(LakeStore(str(tmp_path)), "src", "t", content=policy)
    w.write(_table(*docs))
    w.commit()
    (f,) = LakeStore(str(tmp_path)).list_files("events", ".parquet")
    rows = pq.read_table(tmp_path / f).sort_by("source_event_id").to_pylist()
    return [{"raw": json.loads(r["raw_payload"]), "redacted": r["redacted"]} for r in rows]


def test_content_is_removed_by_default_and_the_lake_says_what(tmp_path):
    span, log, run, plain = _written(tmp_path, ContentPolicy(), SPAN, CLAUDE_LOG, LANGSMITH_RUN, PLAIN)
    assert set(span["raw"]["attributes"]) == {"gen_ai.request.model", "customer.ssn", "gen_ai.usage.input_tokens"}
    assert json.loads(span["redacted"]) == [
        "attributes.gen_ai.input.messages",
        "attributes.gen_ai.output.messages",
        "attributes.llm.input_messages.0.message.content",
    ]
    assert log["raw"]["attributes"] == [] and json.loads(log["redacted"]) == ["attributes.prompt"]
    assert set(run["raw"]) == {"id", "extra"} and json.loads(run["redacted"]) == ["inputs", "outputs"]
    assert plain["raw"] == PLAIN and plain["redacted"] is None  # an audit record's response object is not content
    assert "secret plan" not in json.dumps([span, log, run])


def test_capture_content_keeps_it_and_redact_removes_more(tmp_path):
    policy = ContentPolicy(capture_content=True, redact=("customer.ssn", "$.extra.metadata"))
    span, run = _written(tmp_path, policy, SPAN, LANGSMITH_RUN)
    assert "gen_ai.input.messages" in span["raw"]["attributes"] and "customer.ssn" not in span["raw"]["attributes"]
    assert json.loads(span["redacted"]) == ["attributes.customer.ssn"]
    assert run["raw"]["inputs"] == {"q": "hi"} and run["raw"]["extra"] == {}
    assert json.loads(run["redacted"]) == ["$.extra.metadata"]


SOURCES = """
sources:
  - id: files
    type: local_ndjson
    captureContent: true
    redact: [customer.ssn, "$.a[?(@.b"]
    config: {path: /tmp/x, eventMapping: {source_event_id: $.id}}
"""


def test_the_sources_file_sets_the_policy_and_checks_paths():
    with pytest.raises(ConfigError, match=r"source 'files': redact\[1\]: invalid JSONPath"):
        parse_sources(SOURCES, file="s.yaml")
    src = parse_sources(SOURCES.replace(', "$.a[?(@.b"', ""), file="s.yaml").sources[0]
    assert src.capture_content is True and src.redact == ("customer.ssn",)
