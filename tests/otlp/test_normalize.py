"""Spans -> normalized events: each precedence list case by case, then the fixtures end to end."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from governance_pipeline.otlp.json_decode import request_from_json
from governance_pipeline.otlp.normalize import normalize
from governance_pipeline.otlp.spans import SpanRecord, iter_spans
from tests.otlp.conftest import fixture_bytes


def _span(
    attrs=None,
    resource=None,
    name="op",
    start=1_790_846_102_123_456_789,
    end=1_790_846_103_123_456_789,
    status=0,
    events=(),
):
    attrs, resource = attrs or {}, resource or {}
    return SpanRecord(
        trace_id="ab" * 16,
        span_id="cd" * 8,
        parent_span_id=None,
        name=name,
        kind=1,
        start_ns=start,
        end_ns=end,
        status_code=status,
        status_message="",
        attrs={**resource, **attrs},
        span_attrs=attrs,
        resource_attrs=resource,
        scope_name="s",
        scope_version="1",
        events=list(events),
        links=[],
    )


def _row(**kw) -> dict:
    return normalize([_span(**kw)]).to_pylist()[0]


# (column, attributes, expected): the first key present whose value parses wins
CASES = [
    ("actor", {"user.id": "u1", "user.email": "e@x", "langwatch.user.id": "lw"}, "lw"),
    ("actor", {"user.id": "u1", "user.email": "e@x"}, "e@x"),
    ("actor", {"enduser.id": "end", "user.id": "u1"}, "u1"),
    ("actor", {"langfuse.user.id": "lf", "enduser.id": "end"}, "end"),
    ("actor", {"llm.user": "lu", "langfuse.user.id": "lf"}, "lf"),
    ("actor", {"traceloop.association.properties.user_id": "tl", "llm.user": "lu"}, "lu"),
    ("actor", {"ai.telemetry.metadata.userId": "ai", "traceloop.association.properties.user_id": "tl"}, "tl"),
    ("actor", {"user.name": "nm", "ai.telemetry.metadata.userId": "ai"}, "ai"),
    ("actor", {"user.name": "nm", "user.email": ""}, "nm"),  # an empty value does not count
    ("action", {"gen_ai.operation.name": "chat", "llm.request.type": "completion"}, "chat"),
    ("action", {"llm.request.type": "completion", "openinference.span.kind": "LLM"}, "completion"),
    ("action", {"openinference.span.kind": "LLM"}, "llm"),
    ("action", {}, "op"),
    ("target", {"gen_ai.response.model": "r", "gen_ai.request.model": "q"}, "q"),
    ("target", {"gen_ai.response.model": "r", "llm.model_name": "m"}, "r"),
    ("target", {"llm.model_name": "m", "llm.model": "lm"}, "m"),
    ("target", {"llm.model": "lm", "ai.model.id": "ai"}, "lm"),
    ("target", {"ai.model.id": "ai", "model": "plain"}, "ai"),
    ("target", {"model": "plain", "gen_ai.tool.name": "t1"}, "plain"),
    ("target", {"gen_ai.tool.name": "t1", "tool.name": "t2"}, "t1"),
    ("target", {"tool.name": "t2", "embedding.model_name": "emb"}, "t2"),
    ("target", {"embedding.model_name": "emb"}, "emb"),
    ("cost_usd", {"gen_ai.usage.cost_usd": 0.5, "gen_ai.usage.cost": 0.7}, 0.5),
    ("cost_usd", {"gen_ai.usage.cost_usd": "n/a", "gen_ai.usage.cost": "0.7"}, 0.7),  # unparseable: fall through
    (
        "cost_usd",
        {"gen_ai.usage.cost": {"amount": 1}, "gen_ai.usage.cost.amount": 0.2},
        0.2,
    ),  # a namespace, not a number
    ("cost_usd", {"gen_ai.usage.cost.amount": 0.2, "gen_ai.usage.cost.currency": "EUR", "llm.cost.usd": 0.3}, 0.3),
    ("cost_usd", {"gen_ai.usage.cost.amount": 0.2, "gen_ai.usage.cost.currency": "usd"}, 0.2),
    ("cost_usd", {"llm.cost.usd": 0.3, "llm.cost.total": 0.4}, 0.3),
    ("cost_usd", {"llm.cost.total": 0.4, "langwatch.cost.usd": 0.5}, 0.4),
    ("cost_usd", {"langwatch.cost.usd": 0.5, "langwatch.span.cost": 0.6}, 0.5),
    ("cost_usd", {"langwatch.span.cost": 0.6}, 0.6),
    ("cost_usd", {"gen_ai.usage.cost": float("nan"), "llm.cost.total": 0.4}, 0.4),
    ("cost_usd", {}, None),
    ("tokens_input", {"gen_ai.usage.input_tokens": "12", "gen_ai.usage.prompt_tokens": 99}, 12),
    ("tokens_input", {"gen_ai.usage.prompt_tokens": 13, "llm.token_count.prompt": 99}, 13),
    ("tokens_input", {"llm.token_count.prompt": 14.0, "ai.usage.inputTokens": 99}, 14),
    ("tokens_input", {"ai.usage.inputTokens": 15, "ai.usage.promptTokens": 99}, 15),
    ("tokens_input", {"ai.usage.promptTokens": 16, "input_tokens": 99}, 16),
    ("tokens_input", {"gen_ai.usage.input_tokens": True, "input_tokens": 17}, 17),  # a bool is not a count
    ("tokens_output", {"gen_ai.usage.output_tokens": 21, "gen_ai.usage.completion_tokens": 99}, 21),
    ("tokens_output", {"gen_ai.usage.completion_tokens": 22, "llm.token_count.completion": 99}, 22),
    ("tokens_output", {"llm.token_count.completion": 23, "ai.usage.outputTokens": 99}, 23),
    ("tokens_output", {"ai.usage.outputTokens": 24, "ai.usage.completionTokens": 99}, 24),
    ("tokens_output", {"ai.usage.completionTokens": 25, "output_tokens": 99}, 25),
    ("tokens_output", {"output_tokens": "26"}, 26),
    # token detail: current semantic-convention name, its deprecated spellings, OpenInference, Vercel AI SDK
    ("tokens_cache_read", {"gen_ai.usage.cache_read.input_tokens": 31, "gen_ai.usage.cache_read_input_tokens": 9}, 31),
    ("tokens_cache_read", {"gen_ai.usage.cache_read_input_tokens": 32, "gen_ai.usage.input_tokens.cached": 9}, 32),
    ("tokens_cache_read", {"gen_ai.usage.input_tokens.cached": 33, "llm.token_count.prompt_details.cache_read": 9}, 33),
    ("tokens_cache_read", {"llm.token_count.prompt_details.cache_read": 34, "ai.usage.cachedInputTokens": 9}, 34),
    ("tokens_cache_read", {"ai.usage.inputTokenDetails.cacheReadTokens": 35, "ai.usage.cachedInputTokens": 9}, 35),
    ("tokens_cache_read", {"ai.usage.cachedInputTokens": "36"}, 36),
    ("tokens_cache_read", {}, None),
    ("tokens_cache_write", {"gen_ai.usage.cache_creation.input_tokens": 41, "cache_creation_tokens": 9}, 41),
    ("tokens_cache_write", {"gen_ai.usage.cache_creation_input_tokens": 42, "cache_creation_tokens": 9}, 42),
    ("tokens_cache_write", {"gen_ai.usage.input_tokens.cache_write": 43}, 43),
    ("tokens_cache_write", {"llm.token_count.prompt_details.cache_write": 44}, 44),
    ("tokens_cache_write", {"ai.usage.inputTokenDetails.cacheWriteTokens": 45}, 45),
    ("tokens_reasoning", {"gen_ai.usage.reasoning.output_tokens": 51, "gen_ai.usage.reasoning_tokens": 9}, 51),
    ("tokens_reasoning", {"gen_ai.usage.output_tokens.reasoning": 52, "reasoning_tokens": 9}, 52),
    ("tokens_reasoning", {"llm.token_count.completion_details.reasoning": 53, "ai.usage.reasoningTokens": 9}, 53),
    ("tokens_reasoning", {"ai.usage.outputTokenDetails.reasoningTokens": 54, "ai.usage.reasoningTokens": 9}, 54),
    ("tokens_reasoning", {"ai.usage.reasoningTokens": 55}, 55),
    ("provider", {"gen_ai.provider.name": "openai", "gen_ai.system": "x"}, "openai"),
    ("provider", {"gen_ai.system": "anthropic", "llm.provider": "x"}, "anthropic"),
    (
        "provider",
        {"llm.provider": "azure", "llm.system": "openai"},
        "azure.ai.openai",
    ),  # normalized (mapping/providers.py)
    ("provider", {"llm.system": "openai"}, "openai"),
    ("conversation_id", {"gen_ai.conversation.id": "c", "session.id": "s"}, "c"),
    ("conversation_id", {"session.id": "s", "langwatch.thread.id": "t"}, "s"),
    ("conversation_id", {"langwatch.thread.id": "t", "langfuse.session.id": "l"}, "t"),
    ("conversation_id", {"langfuse.session.id": "l"}, "l"),
]


@pytest.mark.parametrize("column, attrs, expected", CASES)
def test_precedence(column, attrs, expected):
    assert _row(attrs=attrs)[column] == expected


def test_span_attributes_win_over_resource_attributes():
    row = _row(attrs={"user.email": "span@x"}, resource={"user.email": "res@x", "gen_ai.provider.name": "openai"})
    assert row["actor"] == "span@x" and row["provider"] == "openai"


@pytest.mark.parametrize(
    "attrs, event_type, model, tool",
    [
        ({"gen_ai.request.model": "gpt-4o", "gen_ai.tool.name": "t"}, "api.call", "gpt-4o", "t"),
        ({"tool.name": "lookup"}, "tool.invocation", None, "lookup"),
        ({"embedding.model_name": "emb"}, "api.call", "emb", None),
        ({}, "agent.action", None, None),
    ],
)
def test_event_type_model_and_tool(attrs, event_type, model, tool):
    row = _row(attrs=attrs)
    assert (row["event_type"], row["model"], row["tool_name"]) == (event_type, model, tool)


def test_event_time_is_the_start_time_in_integer_arithmetic():
    # 2026-10-01T09:15:02.123456789Z: a float would round the microseconds
    row = _row(start=1_790_846_102_123_456_789)
    assert row["event_timestamp"] == datetime(2026, 10, 1, 9, 15, 2, 123456, tzinfo=UTC)
    assert _row(start=0)["event_timestamp"] is None  # unknown: the writer uses the ingest time


def test_status_duration_and_error_type():
    exc = {"name": "exception", "timeUnixNano": "1", "attributes": {"exception.type": "TimeoutError"}}
    row = _row(status=2, events=[exc], start=1_000_000_000, end=1_002_500_000)
    assert (row["status"], row["error_type"], row["duration_ms"]) == ("error", "TimeoutError", 2.5)
    row = _row(attrs={"error.type": "RateLimitError"}, status=1, end=0)
    assert (row["status"], row["error_type"], row["duration_ms"]) == ("ok", "RateLimitError", None)
    assert _row()["status"] == "unset"


def _fixture_rows(name: str) -> dict[str, dict]:
    req = request_from_json(orjson.loads(fixture_bytes(name)))
    return {r["span_id"]: r for r in normalize(iter_spans(req)).to_pylist()}


def test_the_camel_fixture():
    rows = _fixture_rows("trace_camel.json")
    chat = rows["47fd7881fd2cc7cc"]
    assert chat["actor"] == "usr_8f2c1a"  # langwatch.user.id on the span beats the resource's user.email
    assert (chat["target"], chat["model"], chat["provider"]) == ("gpt-4o", "gpt-4o", "openai")
    assert (chat["tokens_input"], chat["tokens_output"], chat["cost_usd"]) == (1250, 312, 0.006245)
    assert chat["conversation_id"] == "conv_5b1f0c2e" and chat["parent_span_id"] == "3acaec7f50ad99e3"
    assert chat["event_type"] == "api.call" and chat["trace_id"] == "333c79b545fb32f19a8476adad957ded"
    raw = orjson.loads(chat["raw_payload"])
    assert raw["spanId"] == "47fd7881fd2cc7cc" and raw["resource"]["attributes"]["user.email"] == "dana.lee@example.com"
    tool = rows["979b3b236720058d"]
    assert (tool["event_type"], tool["tool_name"], tool["actor"]) == (
        "tool.invocation",
        "get_order_status",
        "dana.lee@example.com",
    )
    failed = rows["83e290234994b8ab"]
    assert (failed["status"], failed["error_type"], failed["tokens_input"], failed["cost_usd"]) == (
        "error",
        "RateLimitError",
        1604,
        None,
    )
    assert rows["3acaec7f50ad99e3"]["event_type"] == "agent.action"


def test_the_openinference_fixture():
    rows = _fixture_rows("openinference.json")
    llm = rows["261d6823734c02f9"]
    assert (llm["model"], llm["tokens_input"], llm["tokens_output"], llm["cost_usd"]) == (
        "claude-sonnet-4-5-20250929",
        2048,
        256,
        0.009984,
    )
    assert (llm["actor"], llm["action"], llm["conversation_id"]) == ("user-4471", "llm", "sess-9c1e7d")
    assert rows["b0cef8b48b68ed96"]["tool_name"] == "lookup_invoice"
    assert round(sum(r["cost_usd"] or 0 for r in rows.values()), 7) == round(0.009984 + 0.0002142, 7)
