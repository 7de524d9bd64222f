"""Lenient OTLP/JSON -> ``ExportTraceServiceRequest``, the way the OpenTelemetry Collector reads it.

Accepted beyond the strict spec: snake_case keys beside camelCase, int64 values as numbers or decimal
strings, enum names beside numbers, ids as hex (any case) or, failing that, base64. Unknown keys are ignored.
Anything whose shape is wrong raises ``OtlpDecodeError`` naming the JSON path.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

# Levels of arrayValue/kvlistValue nesting one attribute value may have. Protobuf parsers stop at 100 nested
# messages; a kvlist level costs 3 of them and the deepest attribute (a span event's) starts 6 deep, so 31 levels
# is the most a landed request can hold and still be read back. 24 leaves room.
MAX_VALUE_DEPTH = 24


class OtlpDecodeError(ValueError):
    """The body is not an OTLP trace request."""


def _get(obj: dict, camel: str, snake: str) -> Any:
    v = obj.get(camel)
    return obj.get(snake) if v is None else v


def _obj(v: Any, where: str) -> dict:
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise OtlpDecodeError(f"{where}: expected an object")
    return v


def _list(v: Any, where: str) -> list:
    if v is None:
        return []
    if not isinstance(v, list):
        raise OtlpDecodeError(f"{where}: expected an array")
    return v


def _uint(v: Any, where: str) -> int:
    if v is None:
        return 0
    if isinstance(v, bool):
        raise OtlpDecodeError(f"{where}: expected an integer")
    if isinstance(v, int):
        return v
    if isinstance(v, str):
        try:
            return int(v.strip() or 0)
        except ValueError:
            pass
    if isinstance(v, float) and v.is_integer():
        return int(v)
    raise OtlpDecodeError(f"{where}: expected an integer, got {v!r:.40}")


def _int64(v: Any, where: str) -> int:
    n = _uint(v, where)
    if not -(2**63) <= n < 2**63:
        raise OtlpDecodeError(f"{where}: {v!r:.40} is beyond int64")
    return n


def _double(v: Any, where: str) -> float:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v)  # also "NaN", "Infinity", "-Infinity"
        except ValueError:
            pass
    raise OtlpDecodeError(f"{where}: expected a number, got {v!r:.40}")


def _id(v: Any, size: int, where: str) -> bytes:
    if v is None or v == "":
        return b""
    if not isinstance(v, str):
        raise OtlpDecodeError(f"{where}: expected a hex string")
    if len(v) == 2 * size:
        try:
            return bytes.fromhex(v)
        except ValueError:
            pass
    try:
        raw = base64.b64decode(v, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) == size:
        return raw
    raise OtlpDecodeError(f"{where}: expected {2 * size} hex characters, got {v!r:.40}")


_SPAN_KINDS = dict(Span.SpanKind.items())
_SPAN_KINDS.update({name.removeprefix("SPAN_KIND_"): num for name, num in Span.SpanKind.items()})
_STATUS_CODES = dict(Status.StatusCode.items())
_STATUS_CODES.update({name.removeprefix("STATUS_CODE_"): num for name, num in Status.StatusCode.items()})


def _enum(v: Any, names: dict[str, int], where: str) -> Any:  # an int, typed as protobuf's enum ValueType
    if v is None:
        return 0
    if isinstance(v, str) and not v.strip().lstrip("-").isdigit():
        if v.upper() in names:
            return names[v.upper()]
        raise OtlpDecodeError(f"{where}: unknown enum value {v!r:.40}")
    return _uint(v, where)


def _any_value(dst: AnyValue, v: Any, where: str, depth: int = 0) -> None:
    v = _obj(v, where)
    if (s := _get(v, "stringValue", "string_value")) is not None:
        dst.string_value = s if isinstance(s, str) else str(s)
    elif (b := _get(v, "boolValue", "bool_value")) is not None:
        dst.bool_value = b if isinstance(b, bool) else str(b).lower() == "true"
    elif (i := _get(v, "intValue", "int_value")) is not None:
        dst.int_value = _int64(i, where + ".intValue")
    elif (d := _get(v, "doubleValue", "double_value")) is not None:
        dst.double_value = _double(d, where + ".doubleValue")
    elif (a := _get(v, "arrayValue", "array_value")) is not None:
        _check_depth(depth, where)
        arr = dst.array_value
        for n, item in enumerate(_list(_obj(a, where).get("values"), where + ".arrayValue.values")):
            _any_value(arr.values.add(), item, f"{where}.arrayValue.values[{n}]", depth + 1)
    elif (kv := _get(v, "kvlistValue", "kvlist_value")) is not None:
        _check_depth(depth, where)
        _attributes(dst.kvlist_value.values, _obj(kv, where).get("values"), where + ".kvlistValue.values", depth + 1)
    elif (by := _get(v, "bytesValue", "bytes_value")) is not None:
        try:
            dst.bytes_value = base64.b64decode(by)
        except (binascii.Error, ValueError, TypeError):
            raise OtlpDecodeError(f"{where}.bytesValue: not base64") from None


def _check_depth(depth: int, where: str) -> None:
    if depth >= MAX_VALUE_DEPTH:
        raise OtlpDecodeError(
            f"{where.split('.arrayValue', 1)[0].split('.kvlistValue', 1)[0]}: value nested deeper than "
            f"{MAX_VALUE_DEPTH} levels of arrayValue/kvlistValue"
        )


def _attributes(dst: Any, items: Any, where: str, depth: int = 0) -> None:
    for n, item in enumerate(_list(items, where)):
        if type(item) is not dict:
            raise OtlpDecodeError(f"{where}[{n}]: expected an object")
        key = item.get("key")
        if not isinstance(key, str):
            raise OtlpDecodeError(f"{where}[{n}].key: expected a string")
        kv: KeyValue = dst.add()
        kv.key = key
        value = item.get("value")
        if value is None:
            continue
        if type(value) is dict:  # fast path for the common case; everything else goes through _any_value
            text = value.get("stringValue")
            if type(text) is str:
                kv.value.string_value = text
                continue
        _any_value(kv.value, value, f"{where}[{n}].value", depth)


def _span(dst: Span, s: dict, where: str) -> None:
    dst.trace_id = _id(_get(s, "traceId", "trace_id"), 16, where + ".traceId")
    dst.span_id = _id(_get(s, "spanId", "span_id"), 8, where + ".spanId")
    dst.parent_span_id = _id(_get(s, "parentSpanId", "parent_span_id"), 8, where + ".parentSpanId")
    if (ts := _get(s, "traceState", "trace_state")) is not None:
        dst.trace_state = str(ts)
    dst.name = str(s.get("name") or "")
    dst.kind = _enum(s.get("kind"), _SPAN_KINDS, where + ".kind")
    dst.start_time_unix_nano = _uint(_get(s, "startTimeUnixNano", "start_time_unix_nano"), where + ".startTimeUnixNano")
    dst.end_time_unix_nano = _uint(_get(s, "endTimeUnixNano", "end_time_unix_nano"), where + ".endTimeUnixNano")
    if (fl := s.get("flags")) is not None:
        dst.flags = _uint(fl, where + ".flags")
    _attributes(dst.attributes, s.get("attributes"), where + ".attributes")
    for n, ev in enumerate(_list(s.get("events"), where + ".events")):
        ev = _obj(ev, f"{where}.events[{n}]")
        e = dst.events.add()
        e.time_unix_nano = _uint(_get(ev, "timeUnixNano", "time_unix_nano"), f"{where}.events[{n}].timeUnixNano")
        e.name = str(ev.get("name") or "")
        _attributes(e.attributes, ev.get("attributes"), f"{where}.events[{n}].attributes")
    for n, ln in enumerate(_list(s.get("links"), where + ".links")):
        ln = _obj(ln, f"{where}.links[{n}]")
        link = dst.links.add()
        link.trace_id = _id(_get(ln, "traceId", "trace_id"), 16, f"{where}.links[{n}].traceId")
        link.span_id = _id(_get(ln, "spanId", "span_id"), 8, f"{where}.links[{n}].spanId")
        _attributes(link.attributes, ln.get("attributes"), f"{where}.links[{n}].attributes")
    status = _obj(s.get("status"), where + ".status")
    if status:
        dst.status.code = _enum(status.get("code"), _STATUS_CODES, where + ".status.code")
        dst.status.message = str(status.get("message") or "")


@dataclass(frozen=True)
class Shape:
    """The OTLP/JSON keys of one signal: resources, their scopes, the scopes' items (camelCase, snake_case)."""

    resources: tuple[str, str]
    scopes: tuple[str, str]
    items: tuple[str, str]


SPANS = Shape(("resourceSpans", "resource_spans"), ("scopeSpans", "scope_spans"), ("spans", "spans"))
LOG_RECORDS = Shape(("resourceLogs", "resource_logs"), ("scopeLogs", "scope_logs"), ("logRecords", "log_records"))


def fill_request(
    doc: Any, req: Any, shape: Shape, fill: Callable[[Any, dict, str], None], rejected: list[str] | None = None
) -> Any:
    """Fill ``req`` (an ``Export*ServiceRequest``) from parsed OTLP/JSON; ``fill(message, item, where)`` decodes one
    span or log record. With ``rejected``, an item that cannot be decoded (a value beyond its type, nesting beyond
    ``MAX_VALUE_DEPTH``, a wrong shape inside it) is left out and its reason added there; the rest of the request
    is kept. Without, it raises ``OtlpDecodeError`` like any other shape error."""
    if not isinstance(doc, dict):
        raise OtlpDecodeError("body: expected a JSON object")
    rname, iname = shape.resources[0], shape.items[0]
    for r, rs in enumerate(_list(_get(doc, *shape.resources), rname)):
        where = f"{rname}[{r}]"
        rs = _obj(rs, where)
        out = getattr(req, shape.resources[1]).add()
        resource = _obj(rs.get("resource"), where + ".resource")
        _attributes(out.resource.attributes, resource.get("attributes"), where + ".resource.attributes")
        if (url := _get(rs, "schemaUrl", "schema_url")) is not None:
            out.schema_url = str(url)
        for c, ss in enumerate(_list(_get(rs, *shape.scopes), f"{where}.{shape.scopes[0]}")):
            swhere = f"{where}.{shape.scopes[0]}[{c}]"
            ss = _obj(ss, swhere)
            sout = getattr(out, shape.scopes[1]).add()
            scope = _obj(ss.get("scope"), swhere + ".scope")
            sout.scope.name = str(scope.get("name") or "")
            sout.scope.version = str(scope.get("version") or "")
            _attributes(sout.scope.attributes, scope.get("attributes"), swhere + ".scope.attributes")
            if (surl := _get(ss, "schemaUrl", "schema_url")) is not None:
                sout.schema_url = str(surl)
            items = getattr(sout, shape.items[1])
            for n, item in enumerate(_list(_get(ss, *shape.items), f"{swhere}.{iname}")):
                iwhere = f"{swhere}.{iname}[{n}]"
                try:
                    fill(items.add(), _obj(item, iwhere), iwhere)
                except ValueError as exc:  # OtlpDecodeError, or protobuf refusing a value out of its range
                    if rejected is None:
                        raise OtlpDecodeError(str(exc)) from None
                    del items[-1]
                    rejected.append(str(exc) if isinstance(exc, OtlpDecodeError) else f"{iwhere}: {exc}")
    return req


def request_from_json(doc: Any, rejected: list[str] | None = None) -> ExportTraceServiceRequest:
    """An ``ExportTraceServiceRequest`` from parsed OTLP/JSON (``orjson.loads`` output); see ``fill_request``."""
    req: ExportTraceServiceRequest = fill_request(doc, ExportTraceServiceRequest(), SPANS, _span, rejected)
    return req


def parse_protobuf(body: bytes, message: type[Any]) -> Any:
    """``body`` as a ``message``; ``OtlpDecodeError`` when it is not one."""
    req = message()
    try:
        req.ParseFromString(body)
    except DecodeError as exc:
        raise OtlpDecodeError(f"not a protobuf {message.__name__}: {exc}") from None
    return req


def load_json(body: bytes) -> Any:
    """A JSON body parsed (an empty body as an empty object: an empty request); ``OtlpDecodeError`` when it is not
    JSON."""
    if not body.strip():
        return {}
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise OtlpDecodeError(f"not valid JSON: {exc}") from None


def decode_body(
    body: bytes, json: bool, message: type[Any], from_json: Callable[..., Any], rejected: list[str] | None
) -> Any:
    """One OTLP request body (protobuf, or JSON through ``from_json(doc, rejected)``); ``OtlpDecodeError`` when it
    is not one."""
    if not json:
        return parse_protobuf(body, message)
    return from_json(load_json(body), rejected)
