"""Coding agents' log events sent with the real OpenTelemetry SDK log exporter, through the receiver, the pull,
the cost enrichment and the content policy to the lake (docs/agents/*.md)."""

from __future__ import annotations

import json

import duckdb
import pytest
from opentelemetry._logs import LogRecord
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource

from governance_pipeline.ingest import run_pull
from governance_pipeline.pull_types import Runtime
from governance_pipeline.sources_file import load_sources
from tests.otlp.conftest import SECRET

T0 = 1_790_846_102_000_000_000  # 2026-10-01


def _send(url: str, resource: dict, records: list[tuple[str | None, dict]]) -> None:
    exporter = OTLPLogExporter(
        endpoint=f"{url}/api/ingest/otel/agents/v1/logs", headers={"Authorization": f"Bearer {SECRET}"}, timeout=10
    )
    provider = LoggerProvider(resource=Resource.create(resource))
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    logger = provider.get_logger("agent")
    for i, (body, attrs) in enumerate(records):
        logger.emit(LogRecord(timestamp=T0 + i * 1_000_000, body=body, attributes=attrs))
    provider.shutdown()


CLAUDE_COMMON = {
    "user.id": "hash1",
    "session.id": "sess-c",
    "user.email": "li.wei@example.com",
    "organization.id": "org-9",
}
CODEX_COMMON = {"conversation.id": "conv-x", "model": "gpt-5", "app.version": "0.169.0", "user.email": "bo@example.com"}
GEMINI_COMMON = {"session.id": "sess-g", "installation.id": "inst-1", "user.email": "ana@example.com"}


@pytest.fixture
def landed(receiver, sources_file, lake):
    url, _ = receiver
    _send(
        url,
        {"service.name": "claude-code", "service.version": "2.1.328"},
        [
            (
                "claude_code.user_prompt",
                {**CLAUDE_COMMON, "event.name": "user_prompt", "prompt": "fix the build", "prompt_length": "13"},
            ),
            (
                "claude_code.api_request",
                {
                    **CLAUDE_COMMON,
                    "event.name": "api_request",
                    "model": "claude-sonnet-4-5",
                    "input_tokens": "1234",
                    "output_tokens": "56",
                    "cache_read_tokens": "700",
                    "cache_creation_tokens": "300",
                    "cost_usd": 0.005877,
                },
            ),
            (
                "claude_code.tool_result",
                {
                    **CLAUDE_COMMON,
                    "event.name": "tool_result",
                    "tool_name": "Bash",
                    "success": "true",
                    "duration_ms": "85",
                },
            ),
        ],
    )
    _send(
        url,
        {"service.name": "codex_exec", "service.version": "0.169.0"},
        [
            (
                None,
                {
                    **CODEX_COMMON,
                    "event.name": "codex.api_request",
                    "duration_ms": "900",
                    "http.response.status_code": "200",
                    "endpoint": "/responses",
                },
            ),
            (None, {**CODEX_COMMON, "event.name": "codex.sse_event", "event.kind": "response.output_text.delta"}),
            (
                None,
                {
                    **CODEX_COMMON,
                    "event.name": "codex.sse_event",
                    "event.kind": "response.completed",
                    "input_token_count": "1500",
                    "output_token_count": "80",
                    "cached_token_count": "1000",
                    "reasoning_token_count": "20",
                },
            ),
            (None, {**CODEX_COMMON, "event.name": "codex.sse_event", "event.kind": "response.completed"}),
        ],
    )
    _send(
        url,
        {"service.name": "gemini-cli"},
        [
            (
                "API response from gemini-2.5-flash. Status: 200. Duration: 56ms",
                {
                    **GEMINI_COMMON,
                    "event.name": "gemini_cli.api_response",
                    "model": "gemini-2.5-flash",
                    "input_token_count": 2100,
                    "output_token_count": 64,
                    "cached_content_token_count": 1024,
                    "thoughts_token_count": 50,
                    "status_code": 200,
                    "response_text": "hello there",
                },
            ),
            (
                "GenAI operation details",
                {
                    **GEMINI_COMMON,
                    "event.name": "gen_ai.client.inference.operation.details",
                    "gen_ai.request.model": "gemini-2.5-flash",
                    "gen_ai.usage.input_tokens": 2100,
                    "gen_ai.usage.output_tokens": 64,
                },
            ),
        ],
    )
    source = load_sources(sources_file).source("agents")
    outcome = run_pull(source, Runtime(credentials=lambda ref: {}, lake_root=lake), None)
    return outcome


def _q(lake: str, sql: str) -> list[tuple]:
    view = f"read_parquet('{lake}/events/**/*.parquet', hive_partitioning=true)"
    return duckdb.sql(sql.replace("EVENTS", view)).fetchall()


def test_each_model_call_is_one_api_call_with_its_tokens_and_cost(landed, lake):
    assert landed.new == 9
    calls = _q(
        lake,
        "select actor, model, provider, tokens_input, tokens_output, tokens_cache_read, tokens_cache_write, "
        "tokens_reasoning, cost_source, conversation_id from EVENTS where event_type = 'api.call' order by actor",
    )
    assert calls == [
        ("ana@example.com", "gemini-2.5-flash", "gcp.gen_ai", 2100, 114, 1024, None, 50, "computed", "sess-g"),
        ("bo@example.com", "gpt-5", "openai", 1500, 80, 1000, None, 20, "computed", "conv-x"),
        ("li.wei@example.com", "claude-sonnet-4-5", "anthropic", 2234, 56, 700, 300, None, "given", "sess-c"),
    ]
    (cost,) = _q(lake, "select cost_usd from EVENTS where actor = 'li.wei@example.com' and event_type = 'api.call'")
    assert cost == (0.005877,)
    (org,) = _q(lake, "select distinct organization_id from EVENTS where actor = 'li.wei@example.com'")
    assert org == ("org-9",)
    tools = _q(lake, "select tool_name, status from EVENTS where event_type = 'tool.invocation'")
    assert tools == [("Bash", "ok")]
    assert _q(lake, "select count(*) from EVENTS where event_type = 'agent.action'") == [(5,)]


def test_prompt_and_response_text_stay_out(landed, lake):
    rows = _q(lake, "select raw_payload, redacted from EVENTS where redacted is not null order by redacted")
    assert [json.loads(r[1]) for r in rows] == [["attributes.prompt"], ["attributes.response_text"]]
    everything = " ".join(r[0] for r in _q(lake, "select raw_payload from EVENTS"))
    assert "fix the build" not in everything and "hello there" not in everything
