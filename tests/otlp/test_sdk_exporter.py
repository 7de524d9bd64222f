"""The real OpenTelemetry SDK exporter (protobuf over HTTP) against a running receiver, through to the lake."""

from __future__ import annotations

import duckdb
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.trace import Status, StatusCode

from governance_pipeline.ingest import run_pull
from governance_pipeline.pull_types import Runtime
from governance_pipeline.sources_file import load_sources
from tests.otlp.conftest import OTHER_SECRET, SECRET


class _Recording(OTLPSpanExporter):
    """The SDK exporter, remembering what each export returned."""

    results: list

    def export(self, spans):
        result = super().export(spans)
        self.results.append(result)
        return result


def _provider(url: str, source: str, secret: str, resource: dict) -> tuple[TracerProvider, _Recording]:
    exporter = _Recording(
        endpoint=f"{url}/api/ingest/otel/{source}", headers={"Authorization": f"Bearer {secret}"}, timeout=10
    )
    exporter.results = []
    provider = TracerProvider(resource=Resource.create(resource))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


def test_sdk_exporter_succeeds_and_the_spans_reach_the_lake_once(receiver, sources_file, lake):
    url, _ = receiver
    provider, exporter = _provider(url, "agents", SECRET, {"service.name": "bot", "user.email": "ana@example.com"})
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("invoke_agent bot") as root:
        root.set_attribute("gen_ai.operation.name", "invoke_agent")
        with tracer.start_as_current_span("chat gpt-4o") as chat:
            chat.set_attributes(
                {
                    "gen_ai.request.model": "gpt-4o",
                    "gen_ai.usage.input_tokens": 100,
                    "gen_ai.usage.output_tokens": 20,
                    "gen_ai.usage.cost": 0.0012,
                }
            )
        with tracer.start_as_current_span("execute_tool search") as tool:
            tool.set_attribute("gen_ai.tool.name", "search")
            tool.set_status(Status(StatusCode.ERROR, "boom"))
    provider.shutdown()
    assert exporter.results == [SpanExportResult.SUCCESS] * 3

    source = load_sources(sources_file).source("agents")
    runtime = Runtime(credentials=lambda ref: {}, lake_root=lake)
    first = run_pull(source, runtime, None)
    assert (first.events, first.new) == (3, 3)
    again = run_pull(source, runtime, first.cursor)
    assert (again.events, again.new) == (0, 0)
    rows = duckdb.sql(
        f"select span_id, event_type, actor, model, tool_name, status, tokens_input, cost_usd, source_id "
        f"from read_parquet('{lake}/events/**/*.parquet', hive_partitioning=true) order by event_type"
    ).fetchall()
    assert [r[1] for r in rows] == ["agent.action", "api.call", "tool.invocation"]
    chat_row = rows[1]
    assert chat_row[2:8] == ("ana@example.com", "gpt-4o", None, "unset", 100, 0.0012)
    assert rows[2][5] == "error" and {r[8] for r in rows} == {"agents"}


def test_sdk_exporter_with_a_rejected_resource_still_succeeds(receiver, lake):
    url, _ = receiver
    provider, exporter = _provider(
        url, "labelled", OTHER_SECRET, {"service.name": "x", "governance.source_type": "other"}
    )
    with provider.get_tracer("t").start_as_current_span("s"):
        pass
    provider.shutdown()
    assert exporter.results == [SpanExportResult.SUCCESS]  # partial success is not an export failure


def test_sdk_exporter_reports_failure_on_a_wrong_secret(receiver):
    url, _ = receiver
    provider, exporter = _provider(url, "agents", "gp_is_wrong", {"service.name": "x"})
    with provider.get_tracer("t").start_as_current_span("s"):
        pass
    provider.shutdown()
    assert exporter.results == [SpanExportResult.FAILURE]
