"""The real OpenTelemetry SDK gRPC exporters (traces and logs) against the receiver's OTLP/gRPC port."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from opentelemetry._logs import LogRecord
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from governance_pipeline.ingest import run_pull
from governance_pipeline.pull_types import Runtime
from governance_pipeline.receiver.server import build_app, free_port, running
from governance_pipeline.sources_file import load_sources
from tests.otlp.conftest import SECRET


@pytest.fixture
def grpc_receiver(sources_file: Path, lake: str):
    """The gRPC target (host:port) of a receiver serving HTTP and gRPC."""
    app = build_app(str(sources_file), lake, max_body_bytes=1 << 20)
    app.grpc_port = free_port()
    with running(app):
        yield f"127.0.0.1:{app.grpc.port}"
    assert app.grpc is None  # stopped with the HTTP server


def _headers(source: str = "agents", secret: str = SECRET) -> dict[str, str]:
    return {"authorization": f"Bearer {secret}", "x-governance-source": source}


class _Spans(OTLPSpanExporter):
    results: list

    def export(self, spans):
        result = super().export(spans)
        self.results.append(result)
        return result


class _Logs(OTLPLogExporter):
    results: list

    def export(self, batch):
        result = super().export(batch)
        self.results.append(result)
        return result


def _span_provider(target: str, headers: dict[str, str]) -> tuple[TracerProvider, _Spans]:
    exporter = _Spans(endpoint=target, insecure=True, headers=headers, timeout=10)
    exporter.results = []
    provider = TracerProvider(resource=Resource.create({"service.name": "bot", "user.email": "ana@example.com"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


def test_grpc_span_and_log_exporters_reach_the_lake_once(grpc_receiver, sources_file, lake):
    provider, spans = _span_provider(grpc_receiver, _headers())
    with provider.get_tracer("t").start_as_current_span("chat gpt-4o") as span:
        span.set_attributes({"gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 10})
    provider.shutdown()

    logs = _Logs(endpoint=grpc_receiver, insecure=True, headers=_headers(), timeout=10)
    logs.results = []
    log_provider = LoggerProvider(resource=Resource.create({"service.name": "codex_exec"}))
    log_provider.add_log_record_processor(BatchLogRecordProcessor(logs))
    logger = log_provider.get_logger("codex")
    for n in range(3):
        logger.emit(
            LogRecord(
                timestamp=1_764_000_000_000_000_000 + n,
                attributes={"event.name": "codex.sse_event", "conversation.id": "c1", "user.email": "bo@example.com"},
            )
        )
    log_provider.shutdown()
    assert [r.name for r in spans.results] == ["SUCCESS"]
    assert logs.results and {r.name for r in logs.results} == {"SUCCESS"}

    source = load_sources(sources_file).source("agents")
    runtime = Runtime(credentials=lambda ref: {}, lake_root=lake)
    first = run_pull(source, runtime, None)
    assert (first.events, first.new) == (4, 4)
    assert run_pull(source, runtime, first.cursor).new == 0
    rows = duckdb.sql(
        f"select action, actor, event_type from read_parquet('{lake}/events/**/*.parquet') order by action"
    ).fetchall()
    assert (
        rows
        == [("chat gpt-4o", "ana@example.com", "api.call")]
        + [("codex.sse_event", "bo@example.com", "agent.action")] * 3
    )


@pytest.mark.parametrize(
    "headers",
    [
        _headers(secret="gp_is_wrong"),  # UNAUTHENTICATED
        _headers(source="nope"),  # NOT_FOUND
        {"authorization": f"Bearer {SECRET}"},  # no source metadata: INVALID_ARGUMENT
        _headers(source="files"),  # not an OTLP source: INVALID_ARGUMENT
    ],
)
def test_grpc_refusals_fail_the_export_and_land_nothing(grpc_receiver, lake, headers):
    provider, spans = _span_provider(grpc_receiver, headers)
    with provider.get_tracer("t").start_as_current_span("s"):
        pass
    provider.shutdown()
    assert [r.name for r in spans.results] == ["FAILURE"]
    assert not list(Path(lake).glob("_landing/otlp/*/*/*.pb"))


def test_grpc_gzip_logs_and_metrics(grpc_receiver, sources_file, lake):
    from grpc import Compression
    from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

    logs = _Logs(endpoint=grpc_receiver, insecure=True, headers=_headers(), timeout=10, compression=Compression.Gzip)
    logs.results = []
    log_provider = LoggerProvider(resource=Resource.create({"service.name": "gemini-cli"}))
    log_provider.add_log_record_processor(BatchLogRecordProcessor(logs))
    log_provider.get_logger("gemini-cli").emit(
        LogRecord(timestamp=1_764_000_000_000_000_000, body="API response", attributes={"event.name": "x"})
    )
    log_provider.shutdown()
    assert {r.name for r in logs.results} == {"SUCCESS"}

    metrics = OTLPMetricExporter(endpoint=grpc_receiver, insecure=True, headers=_headers(), timeout=10)
    results: list = []
    export = metrics.export
    metrics.export = lambda *a, **k: results.append(export(*a, **k)) or results[-1]
    reader = PeriodicExportingMetricReader(metrics, export_interval_millis=60_000)
    provider = MeterProvider(resource=Resource.create({"service.name": "gemini-cli"}), metric_readers=[reader])
    provider.get_meter("m").create_counter("gemini_cli.token.usage").add(5)
    provider.shutdown()
    assert [r.name for r in results] == ["SUCCESS"]

    source = load_sources(sources_file).source("agents")
    assert run_pull(source, Runtime(credentials=lambda ref: {}, lake_root=lake), None).new == 1
