"""Stock SDK exporters configured only by the standard environment variables, as an agent's operator sets them.

``OTEL_EXPORTER_OTLP_ENDPOINT`` is the source's base URL (HTTP: the SDK appends ``/v1/traces``, ``/v1/logs``,
``/v1/metrics``) or the gRPC port; ``OTEL_EXPORTER_OTLP_HEADERS`` carries the bearer secret (and, over gRPC,
the source id). Every signal must succeed, and traces and logs must reach the lake exactly once.
"""

from __future__ import annotations

import duckdb
import pytest
from opentelemetry._logs import LogRecord
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricExportResult, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult

from governance_pipeline.ingest import run_pull
from governance_pipeline.pull_types import Runtime
from governance_pipeline.receiver.server import build_app, free_port, running
from governance_pipeline.sources_file import load_sources
from tests.otlp.conftest import SECRET, recorded


def _exporters(transport: str):
    if transport == "http":
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    else:
        from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter  # type: ignore[assignment]
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import (  # type: ignore[assignment]
            OTLPMetricExporter,
        )
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (  # type: ignore[assignment]
            OTLPSpanExporter,
        )
    return OTLPSpanExporter(), OTLPLogExporter(), OTLPMetricExporter()  # nothing but the environment


@pytest.mark.parametrize("transport", ["http", "grpc"])
def test_an_sdk_configured_only_by_environment_loses_nothing(transport, sources_file, lake, monkeypatch):
    app = build_app(str(sources_file), lake, max_body_bytes=1 << 20)
    app.grpc_port = free_port()
    with running(app) as url:
        if transport == "http":
            monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"{url}/api/ingest/otel/agents")
            monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", f"Authorization=Bearer%20{SECRET}")
        else:
            monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{app.grpc.port}")
            monkeypatch.setenv(
                "OTEL_EXPORTER_OTLP_HEADERS", f"authorization=Bearer%20{SECRET},x-governance-source=agents"
            )
        spans, logs, metrics = _exporters(transport)
        span_results, log_results, metric_results = recorded(spans), recorded(logs), recorded(metrics)
        resource = Resource.create({"service.name": "claude-code", "user.email": "ana@example.com"})

        tracer_provider = TracerProvider(resource=resource)
        tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
        with tracer_provider.get_tracer("agent").start_as_current_span("chat claude-sonnet-4-5") as span:
            span.set_attribute("gen_ai.request.model", "claude-sonnet-4-5")
            span.set_attribute("gen_ai.usage.input_tokens", 120)
        tracer_provider.shutdown()

        log_provider = LoggerProvider(resource=resource)
        log_provider.add_log_record_processor(SimpleLogRecordProcessor(logs))
        log_provider.get_logger("com.anthropic.claude_code.events").emit(
            LogRecord(
                timestamp=1_764_000_000_000_000_000,
                body="claude_code.api_request",
                attributes={"event.name": "api_request", "model": "claude-sonnet-4-5", "input_tokens": "7"},
            )
        )
        log_provider.shutdown()

        meter_provider = MeterProvider(
            resource=resource, metric_readers=[PeriodicExportingMetricReader(metrics, export_interval_millis=60_000)]
        )
        meter_provider.get_meter("com.anthropic.claude_code").create_counter("claude_code.token.usage").add(7)
        meter_provider.shutdown()

    assert span_results == [SpanExportResult.SUCCESS]
    assert [r.name for r in log_results] == ["SUCCESS"]
    assert metric_results == [MetricExportResult.SUCCESS]
    assert app.metric_points_dropped == {"agents": 1}

    source = load_sources(sources_file).source("agents")
    runtime = Runtime(credentials=lambda ref: {}, lake_root=lake)
    outcome = run_pull(source, runtime, None)
    assert (outcome.new, outcome.errors) == (2, 0)
    assert run_pull(source, runtime, outcome.cursor).new == 0
    rows = duckdb.sql(
        f"select action, model, tokens_input from read_parquet('{lake}/events/**/*.parquet') order by action"
    ).fetchall()
    assert rows == [("api_request", "claude-sonnet-4-5", 7), ("chat claude-sonnet-4-5", "claude-sonnet-4-5", 120)]
