"""The real OpenTelemetry SDK log exporters (OTLP/HTTP protobuf) against a running receiver, through to the lake.

Coding agents (Claude Code, Codex CLI, Gemini CLI) send their usage as log events to ``<endpoint>/v1/logs``.
"""

from __future__ import annotations

import duckdb
from opentelemetry._logs import LogRecord
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource

from governance_pipeline.ingest import run_pull
from governance_pipeline.pull_types import Runtime
from governance_pipeline.sources_file import load_sources
from tests.otlp.conftest import SECRET


class _Recording(OTLPLogExporter):
    results: list

    def export(self, batch):
        result = super().export(batch)
        self.results.append(result)
        return result


def _lake_rows(lake: str, columns: str) -> list[tuple]:
    return duckdb.sql(
        f"select {columns} from read_parquet('{lake}/events/**/*.parquet', hive_partitioning=true) "
        "order by event_timestamp, action"
    ).fetchall()


def test_http_log_exporter_lands_each_record_as_one_event_exactly_once(receiver, sources_file, lake):
    url, _ = receiver
    exporter = _Recording(
        endpoint=f"{url}/api/ingest/otel/agents/v1/logs", headers={"Authorization": f"Bearer {SECRET}"}, timeout=10
    )
    exporter.results = []
    provider = LoggerProvider(
        resource=Resource.create({"service.name": "claude-code", "user.email": "ana@example.com"})
    )
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    logger = provider.get_logger("com.anthropic.claude_code.events")
    logger.emit(
        LogRecord(
            timestamp=1_764_000_000_000_000_000,
            body="claude_code.api_request",
            attributes={
                "event.name": "api_request",
                "session.id": "sess-1",
                "model": "claude-sonnet-4-5",
                "input_tokens": "1234",
                "output_tokens": "56",
            },
        )
    )
    logger.emit(
        LogRecord(
            timestamp=1_764_000_001_000_000_000,
            body="claude_code.tool_result",
            attributes={"event.name": "tool_result", "tool.name": "Bash", "user.email": "bo@example.com"},
        )
    )
    provider.shutdown()
    assert exporter.results and all(r.name == "SUCCESS" for r in exporter.results)

    source = load_sources(sources_file).source("agents")
    runtime = Runtime(credentials=lambda ref: {}, lake_root=lake)
    first = run_pull(source, runtime, None)
    assert (first.events, first.new) == (2, 2)
    again = run_pull(source, runtime, first.cursor)
    assert (again.events, again.new) == (0, 0)
    rows = _lake_rows(lake, "action, actor, model, tool_name, tokens_input, tokens_output, conversation_id, event_type")
    assert rows == [
        ("api_request", "ana@example.com", "claude-sonnet-4-5", None, 1234, 56, "sess-1", "api.call"),
        ("tool_result", "bo@example.com", None, "Bash", 0, 0, None, "tool.invocation"),
    ]


def test_the_demo_agent_sends_spans_and_usage_log_events(receiver, sources_file, lake):
    from governance_pipeline.demo.otlp_sender import SpanSender

    url, _ = receiver
    sender = SpanSender(f"{url}/api/ingest/otel/agents", SECRET)
    sender.send_burst(4)
    sender.shutdown()
    source = load_sources(sources_file).source("agents")
    run_pull(source, Runtime(credentials=lambda ref: {}, lake_root=lake), None)
    usage = _lake_rows(lake, "action, model, tokens_input > 0")
    assert [r for r in usage if r[0] == "api_request"] == [("api_request", "claude-sonnet-4-5", True)] * 4
    assert sum(r[0] == "invoke_agent" for r in usage) == 4
