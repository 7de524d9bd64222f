"""Read a landed OTLP trace file span by span, so one span the parser refuses does not hide the others.

A landed file is one serialized ``ExportTraceServiceRequest``. It normally parses whole. One that does not (a span
nested beyond protobuf's limit of 100 messages, landed before the receiver refused such spans) is taken apart on
the wire: each ``ResourceSpans``, ``ScopeSpans`` and ``Span`` is parsed on its own (so each is less deep), the
parts that parse are kept, and each span that still does not parse is reported with its span id.
"""

from __future__ import annotations

from collections.abc import Iterator

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import InstrumentationScope
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from governance_pipeline.otlp.wire import fields

# field numbers (opentelemetry/proto/trace/v1/trace.proto, collector/trace/v1/trace_service.proto)
_REQ_RESOURCE_SPANS = 1
_RS_RESOURCE, _RS_SCOPE_SPANS, _RS_SCHEMA_URL = 1, 2, 3
_SS_SCOPE, _SS_SPANS, _SS_SCHEMA_URL = 1, 2, 3
_SPAN_ID = 2


def read_request(payload: bytes) -> tuple[ExportTraceServiceRequest, list[tuple[str | None, str]]]:
    """The request in ``payload`` and, for each span that could not be read, ``(span id hex or None, reason)``.
    Raises ``DecodeError`` when not even the file's outer structure can be read."""
    try:
        return ExportTraceServiceRequest.FromString(payload), []
    except DecodeError:
        pass
    req = ExportTraceServiceRequest()
    bad: list[tuple[str | None, str]] = []
    for field, value in _fields(payload):
        if field == _REQ_RESOURCE_SPANS:
            req.resource_spans.append(_resource_spans(value, bad))
    return req, bad


def _resource_spans(data: bytes, bad: list[tuple[str | None, str]]) -> ResourceSpans:
    try:
        return ResourceSpans.FromString(data)
    except DecodeError:
        pass
    out = ResourceSpans()
    for field, value in _fields(data):
        if field == _RS_RESOURCE:
            out.resource.CopyFrom(Resource.FromString(value))
        elif field == _RS_SCOPE_SPANS:
            out.scope_spans.append(_scope_spans(value, bad))
        elif field == _RS_SCHEMA_URL:
            out.schema_url = value.decode("utf-8", "replace")
    return out


def _scope_spans(data: bytes, bad: list[tuple[str | None, str]]) -> ScopeSpans:
    try:
        return ScopeSpans.FromString(data)
    except DecodeError:
        pass
    out = ScopeSpans()
    for field, value in _fields(data):
        if field == _SS_SCOPE:
            out.scope.CopyFrom(InstrumentationScope.FromString(value))
        elif field == _SS_SCHEMA_URL:
            out.schema_url = value.decode("utf-8", "replace")
        elif field == _SS_SPANS:
            try:
                out.spans.append(Span.FromString(value))
            except DecodeError as exc:
                span_id = next((v.hex() for f, v in _fields(value) if f == _SPAN_ID), None)
                bad.append((span_id, f"span could not be decoded ({exc}; nested deeper than protobuf reads?)"))
    return out


def _fields(buf: bytes) -> Iterator[tuple[int, bytes]]:
    """``(field number, bytes)`` of each length-delimited field of one message; other fields are skipped."""
    for field, wire_type, start, end in fields(buf, DecodeError):
        if wire_type == 2:
            yield field, buf[start:end]
