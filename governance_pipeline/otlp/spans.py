"""Walk an ``ExportTraceServiceRequest`` into flat span records (plain Python values, hex ids)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

SOURCE_TYPE_KEYS = ("governance.source_type", "LangWatchSourceType")
STATUS_NAMES = {0: "unset", 1: "ok", 2: "error"}


def any_value(v: AnyValue) -> Any:
    """An OTLP ``AnyValue`` as a JSON-able Python value (bytes as base64 text; empty as None)."""
    kind = v.WhichOneof("value")
    if kind == "string_value":
        return v.string_value
    if kind == "int_value":
        return v.int_value
    if kind == "double_value":
        return v.double_value
    if kind == "bool_value":
        return v.bool_value
    if kind == "array_value":
        return [any_value(x) for x in v.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: any_value(kv.value) for kv in v.kvlist_value.values}
    if kind == "bytes_value":
        return base64.b64encode(v.bytes_value).decode()
    return None


def attributes(kvs: Any) -> dict[str, Any]:
    return {kv.key: any_value(kv.value) for kv in kvs}


def resource_source_type(resource_attrs: Any) -> str | None:
    """The source-type label a resource carries (``governance.source_type`` or ``LangWatchSourceType``)."""
    found: dict[str, str] = {}
    for kv in resource_attrs:
        if kv.key in SOURCE_TYPE_KEYS and kv.value.WhichOneof("value") == "string_value":
            found[kv.key] = kv.value.string_value
    for key in SOURCE_TYPE_KEYS:
        if key in found:
            return found[key]
    return None


@dataclass(slots=True)
class SpanRecord:
    """One span with its resource and scope, attributes already merged (span wins over resource)."""

    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    kind: int
    start_ns: int
    end_ns: int
    status_code: int
    status_message: str
    attrs: dict[str, Any]
    span_attrs: dict[str, Any]
    resource_attrs: dict[str, Any]
    scope_name: str
    scope_version: str
    events: list[dict[str, Any]]
    links: list[dict[str, Any]]

    def raw(self) -> dict[str, Any]:
        """The span as OTLP-style JSON (camelCase, hex ids, int64 as strings, attributes flattened)."""
        return {
            "traceId": self.trace_id,
            "spanId": self.span_id,
            "parentSpanId": self.parent_span_id,
            "name": self.name,
            "kind": self.kind,
            "startTimeUnixNano": str(self.start_ns),
            "endTimeUnixNano": str(self.end_ns),
            "status": {"code": self.status_code, "message": self.status_message},
            "attributes": self.span_attrs,
            "events": self.events,
            "links": self.links,
            "resource": {"attributes": self.resource_attrs},
            "scope": {"name": self.scope_name, "version": self.scope_version},
        }


def iter_spans(req: ExportTraceServiceRequest) -> Iterator[SpanRecord]:
    for rs in req.resource_spans:
        res = attributes(rs.resource.attributes)
        for ss in rs.scope_spans:
            scope_name, scope_version = ss.scope.name, ss.scope.version
            for s in ss.spans:
                own = attributes(s.attributes)
                status = s.status
                events, links = s.events, s.links
                yield SpanRecord(
                    trace_id=s.trace_id.hex(),
                    span_id=s.span_id.hex(),
                    parent_span_id=s.parent_span_id.hex() or None,
                    name=s.name,
                    kind=s.kind,
                    start_ns=s.start_time_unix_nano,
                    end_ns=s.end_time_unix_nano,
                    status_code=status.code,
                    status_message=status.message,
                    attrs={**res, **own} if res else own,
                    span_attrs=own,
                    resource_attrs=res,
                    scope_name=scope_name,
                    scope_version=scope_version,
                    events=[
                        {"name": e.name, "timeUnixNano": str(e.time_unix_nano), "attributes": attributes(e.attributes)}
                        for e in events
                    ]
                    if events
                    else [],
                    links=[
                        {
                            "traceId": ln.trace_id.hex(),
                            "spanId": ln.span_id.hex(),
                            "attributes": attributes(ln.attributes),
                        }
                        for ln in links
                    ]
                    if links
                    else [],
                )
