"""OTLP log records: lenient OTLP/JSON decoding, admission, and normalization into lake events.

A log record becomes one event (docs/otlp.md, "How a log record becomes an event"). Its attributes go
through the same precedence lists as a span's (``otlp.normalize``), the record's attributes winning over its
resource's, with the event name (``eventName`` ▸ the ``event.name`` attribute ▸ a string body) standing in
for the span name. Log records carry no id, so ``source_event_id`` is derived: the BLAKE2b-128 digest of the
deterministic protobuf encoding of the record's resource, its scope and the record itself, and, for the
k-th identical copy within one request (k > 1), ``:k`` appended. A re-sent request yields the same ids, so
the lake's dedup on ``(source_id, source_event_id)`` keeps exactly one row per record.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import pyarrow as pa
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, SeverityNumber

from governance_pipeline.mapping.precedence import first_float, first_text
from governance_pipeline.mapping.providers import normalize_provider
from governance_pipeline.otlp.admission import drop_unadmitted
from governance_pipeline.otlp.agents import agent_fields
from governance_pipeline.otlp.compiled import COMPILED_ERRORS
from governance_pipeline.otlp.json_decode import (
    LOG_RECORDS,
    _any_value,
    _attributes,
    _enum,
    _get,
    _id,
    _uint,
    decode_body,
    fill_request,
)
from governance_pipeline.otlp.normalize import (
    ERROR_TYPE,
    SPAN_COLUMNS,
    action_of,
    append_attribute_columns,
    columns_table,
    usage,
)
from governance_pipeline.otlp.spans import any_value, attributes

try:
    from governance_pipeline.otlp import _logscan
except ImportError:  # built by `pip install` where a C compiler is present (setup.py)
    _logscan = None  # type: ignore[assignment]

EVENT_NAME_KEY = "event.name"
DURATION_KEYS = ("duration_ms",)
SEVERITY_ERROR = SeverityNumber.SEVERITY_NUMBER_ERROR  # 17: ERROR and FATAL records get status "error"

_SEVERITIES = dict(SeverityNumber.items())
_SEVERITIES.update({name.removeprefix("SEVERITY_NUMBER_"): num for name, num in SeverityNumber.items()})


# -- decoding ---------------------------------------------------------------------------------------------


def decode_logs(body: bytes, json: bool, rejected: list[str] | None = None) -> ExportLogsServiceRequest:
    """Raises ``OtlpDecodeError`` when the body is not an OTLP logs request. With ``rejected`` (JSON bodies), a
    record that cannot be decoded is left out and its reason added there, as spans are."""
    req: ExportLogsServiceRequest = decode_body(body, json, ExportLogsServiceRequest, logs_request_from_json, rejected)
    return req


def _record(dst: LogRecord, r: dict, where: str) -> None:
    dst.time_unix_nano = _uint(_get(r, "timeUnixNano", "time_unix_nano"), where + ".timeUnixNano")
    dst.observed_time_unix_nano = _uint(
        _get(r, "observedTimeUnixNano", "observed_time_unix_nano"), where + ".observedTimeUnixNano"
    )
    dst.severity_number = _enum(_get(r, "severityNumber", "severity_number"), _SEVERITIES, where + ".severityNumber")
    if (st := _get(r, "severityText", "severity_text")) is not None:
        dst.severity_text = str(st)
    if (body := r.get("body")) is not None:
        _any_value(dst.body, body, where + ".body")
    _attributes(dst.attributes, r.get("attributes"), where + ".attributes")
    if (dropped := _get(r, "droppedAttributesCount", "dropped_attributes_count")) is not None:
        dst.dropped_attributes_count = _uint(dropped, where + ".droppedAttributesCount")
    if (fl := r.get("flags")) is not None:
        dst.flags = _uint(fl, where + ".flags")
    dst.trace_id = _id(_get(r, "traceId", "trace_id"), 16, where + ".traceId")
    dst.span_id = _id(_get(r, "spanId", "span_id"), 8, where + ".spanId")
    if (name := _get(r, "eventName", "event_name")) is not None:
        dst.event_name = str(name)


def logs_request_from_json(doc: Any, rejected: list[str] | None = None) -> ExportLogsServiceRequest:
    """An ``ExportLogsServiceRequest`` from parsed OTLP/JSON, as leniently as traces (``json_decode.fill_request``)."""
    req: ExportLogsServiceRequest = fill_request(doc, ExportLogsServiceRequest(), LOG_RECORDS, _record, rejected)
    return req


# -- admission --------------------------------------------------------------------------------------------


def admit_logs(req: ExportLogsServiceRequest, allowed_label: str | None) -> tuple[int, int, set[str]]:
    """Drop, in place, records from resources without ``allowed_label`` (when set) and records whose trace or
    span id has the wrong length. Returns (accepted, rejected, reasons)."""
    return drop_unadmitted(
        req.resource_logs,
        "scope_logs",
        "log_records",
        allowed_label,
        _ids_ok,
        "log record with a traceId other than 16 bytes or a spanId other than 8",
    )


def _ids_ok(rec: LogRecord) -> bool:
    return len(rec.trace_id) in (0, 16) and len(rec.span_id) in (0, 8)


# -- records and events -----------------------------------------------------------------------------------


@dataclass
class LogRow:
    """One log record with its resource and scope; ``attrs`` merged (the record wins over the resource)."""

    event_id: str
    time_ns: int
    observed_ns: int
    severity_number: int
    severity_text: str
    event_name: str
    body: Any
    trace_id: str
    span_id: str
    flags: int
    attrs: dict[str, Any]
    record_attrs: dict[str, Any]
    resource_attrs: dict[str, Any]
    scope_name: str
    scope_version: str
    payload: str | None = None  # the raw_payload text, when the compiled reader made it (``read_logs``)

    def raw_text(self) -> str:
        """``raw()`` as the text ``raw_payload`` holds."""
        if self.payload is not None:
            return self.payload
        return orjson.dumps(self.raw(), option=orjson.OPT_NON_STR_KEYS, default=str).decode()

    def raw(self) -> dict[str, Any]:
        """The record as OTLP-style JSON (camelCase, hex ids, int64 as strings, attributes flattened)."""
        return {
            "timeUnixNano": str(self.time_ns),
            "observedTimeUnixNano": str(self.observed_ns),
            "severityNumber": self.severity_number,
            "severityText": self.severity_text,
            "eventName": self.event_name,
            "body": self.body,
            "attributes": self.record_attrs,
            "traceId": self.trace_id,
            "spanId": self.span_id,
            "flags": self.flags,
            "resource": {"attributes": self.resource_attrs},
            "scope": {"name": self.scope_name, "version": self.scope_version},
        }


def event_name_of(rec: LogRecord, record_attrs: dict[str, Any], body: Any) -> str:
    if rec.event_name:
        return rec.event_name
    name = first_text(record_attrs, (EVENT_NAME_KEY,))
    if name:
        return name
    return body if isinstance(body, str) else ""


def iter_logs(req: ExportLogsServiceRequest) -> Iterator[LogRow]:
    for rl in req.resource_logs:
        res = attributes(rl.resource.attributes)
        res_bytes = rl.resource.SerializeToString(deterministic=True)
        for sl in rl.scope_logs:
            prefix = hashlib.blake2b(digest_size=16)
            prefix.update(len(res_bytes).to_bytes(8, "little") + res_bytes)
            scope_bytes = sl.scope.SerializeToString(deterministic=True)
            prefix.update(len(scope_bytes).to_bytes(8, "little") + scope_bytes)
            seen: dict[str, int] = {}
            for rec in sl.log_records:
                h = prefix.copy()
                h.update(rec.SerializeToString(deterministic=True))
                event_id = h.hexdigest()
                k = seen[event_id] = seen.get(event_id, 0) + 1
                if k > 1:
                    event_id = f"{event_id}:{k}"
                own = attributes(rec.attributes)
                body = any_value(rec.body) if rec.HasField("body") else None
                yield LogRow(
                    event_id=event_id,
                    time_ns=rec.time_unix_nano,
                    observed_ns=rec.observed_time_unix_nano,
                    severity_number=rec.severity_number,
                    severity_text=rec.severity_text,
                    event_name=event_name_of(rec, own, body),
                    body=body,
                    trace_id=rec.trace_id.hex(),
                    span_id=rec.span_id.hex(),
                    flags=rec.flags,
                    attrs={**res, **own} if res else own,
                    record_attrs=own,
                    resource_attrs=res,
                    scope_name=sl.scope.name,
                    scope_version=sl.scope.version,
                )


def read_logs(payload: bytes) -> list[LogRow] | None:
    """The log records of a landed ``ExportLogsServiceRequest`` by the compiled reader (``_logscan.c``): what
    ``iter_logs`` gives, each with its ``raw_payload`` text; None when the payload takes the Python path (the
    extension is not built, or the reader does not read it exactly as protobuf would)."""
    if _logscan is None:
        return None
    try:
        rows = _logscan.scan(payload)
    except COMPILED_ERRORS:  # a limit the reader has: the Python path reads the payload
        return None
    return None if rows is None else [LogRow(*row) for row in rows]


LOG_COLUMNS = (*SPAN_COLUMNS, "organization_id", "tokens_cache_write_1h")  # coding agents say these


def _agent_row(r: LogRow, fields: dict[str, Any]) -> dict[str, Any]:
    """One coding-agent record's columns: the agent mapping's fields, the record's ids and raw payload."""
    ts = r.time_ns or r.observed_ns
    row = dict(fields)
    row["source_event_id"] = r.event_id
    row.setdefault("event_timestamp", ts // 1000 if ts > 0 else None)
    row["raw_payload"] = r.raw_text()
    row["trace_id"] = r.trace_id or None
    row["span_id"] = r.span_id or None
    row["provider"] = normalize_provider(fields.get("provider"))  # one vocabulary (mapping/providers.py)
    return row


def normalize_logs(rows: list[LogRow], rejects: list[tuple[int, str]] | None = None) -> pa.Table:
    """One Arrow table of normalized events (the same columns as ``otlp.normalize.normalize``). A record whose
    token count or cost is present but does not coerce is left out, as a span would be (``normalize.usage``),
    and ``(its index, the reason)`` added to ``rejects`` when given."""
    cols: dict[str, list] = {name: [] for name in LOG_COLUMNS}
    appends = [(name, cols[name].append) for name in LOG_COLUMNS]
    for i, r in enumerate(rows):
        a = r.attrs
        tin, tout, cost, why = usage(a)
        if why is not None:
            if rejects is not None:
                rejects.append((i, why))
            continue
        if (agent := agent_fields(a, r.body, r.time_ns)) is not None:  # coding agents (otlp/agents.py)
            get = _agent_row(r, agent).get
            for name, append in appends:
                append(get(name))
            continue
        append_attribute_columns(cols, a, tin, tout, cost)
        ts = r.time_ns or r.observed_ns
        cols["source_event_id"].append(r.event_id)
        cols["event_timestamp"].append(ts // 1000 if ts > 0 else None)
        cols["action"].append(action_of(a, r.event_name))
        cols["raw_payload"].append(r.raw_text())
        cols["status"].append("error" if r.severity_number >= SEVERITY_ERROR else "unset")
        cols["error_type"].append(first_text(a, ERROR_TYPE))
        cols["duration_ms"].append(first_float(a, DURATION_KEYS))
        cols["trace_id"].append(r.trace_id or None)
        cols["span_id"].append(r.span_id or None)
        cols["parent_span_id"].append(None)
        cols["organization_id"].append(None)
        cols["tokens_cache_write_1h"].append(None)
    return columns_table(cols, LOG_COLUMNS)
