"""Spans made with the real OpenTelemetry Python SDK, recorded in memory, then exported to the receiver with the
SDK's OTLP/HTTP exporter in the batches and order a test chooses (as separate requests)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.otlp.conftest import SECRET


class Recorder:
    """A tracer provider whose finished spans are kept, to be sent later with ``send``."""

    def __init__(self, resource: dict[str, str]) -> None:
        self.memory = InMemorySpanExporter()
        self.provider = TracerProvider(resource=Resource.create(resource))
        self.provider.add_span_processor(SimpleSpanProcessor(self.memory))

    def tracer(self, scope: str, version: str = "1.0.0"):
        return self.provider.get_tracer(scope, version)

    def spans(self) -> list[ReadableSpan]:
        return list(self.memory.get_finished_spans())


def send(url: str, spans: Sequence[ReadableSpan], source: str = "agents") -> None:
    """One export request of ``spans`` (the SDK's protobuf exporter) to the receiver."""
    exporter = OTLPSpanExporter(
        endpoint=f"{url}/api/ingest/otel/{source}", headers={"Authorization": f"Bearer {SECRET}"}, timeout=10
    )
    try:
        assert exporter.export(list(spans)) == SpanExportResult.SUCCESS
    finally:
        exporter.shutdown()


def by_name(spans: Iterable[ReadableSpan], *prefixes: str) -> list[ReadableSpan]:
    return [s for s in spans if s.name.startswith(prefixes)]
