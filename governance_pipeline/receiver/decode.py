"""Body -> trace request -> what is accepted: decoding by content type and per-span admission."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from governance_pipeline.otlp import json_spans
from governance_pipeline.otlp.admission import drop_unadmitted
from governance_pipeline.otlp.json_decode import load_json, parse_protobuf, request_from_json

JSON = "application/json"
PROTOBUF = "application/x-protobuf"
CONTENT_TYPES = (JSON, PROTOBUF)


def media_type(header: str | None) -> str:
    return (header or "").split(";", 1)[0].strip().lower()


def decode(body: bytes, content_type: str, rejected: list[str] | None = None) -> ExportTraceServiceRequest:
    """Raises ``OtlpDecodeError`` when the body is not an OTLP trace request. With ``rejected`` (JSON bodies), a
    span that cannot be decoded is left out and its reason added there (``request_from_json``)."""
    return decode_encoded(body, content_type, rejected)[0]


def decode_encoded(
    body: bytes, content_type: str, rejected: list[str] | None = None
) -> tuple[ExportTraceServiceRequest, bytes | None]:
    """``decode``, and the request's protobuf encoding when it is at hand: the body itself, or the compiled
    encoder's output for a JSON body it takes whole (``otlp.json_spans``: no Python object per JSON value, and no
    request encoded twice); any other JSON body goes through ``json_decode``."""
    if content_type == PROTOBUF:
        return parse_protobuf(body, ExportTraceServiceRequest), body
    encoded = json_spans.encode(body)
    if encoded is not None:
        try:
            return ExportTraceServiceRequest.FromString(encoded), encoded
        except DecodeError:  # cannot happen for what the encoder writes; the Python path says what is wrong
            pass
    return request_from_json(load_json(body), rejected), None


@dataclass
class Admission:
    """What to land (None: nothing accepted) and the counts for the reply."""

    payload: bytes | None
    accepted: int
    rejected: int
    message: str = ""


def admit(
    req: ExportTraceServiceRequest,
    allowed_label: str | None,
    body: bytes | None = None,
    undecodable: list[str] | None = None,
) -> Admission:
    """Keep spans with an 8-byte span id whose resource carries ``allowed_label`` (when set).

    ``body``, when given, is the protobuf encoding of ``req``: landed as it is if every span is accepted.
    ``undecodable``: reasons of spans the decoder already left out, counted as rejected.
    """
    accepted, rejected, reasons = drop_unadmitted(
        req.resource_spans, "scope_spans", "spans", allowed_label, _span_ok, "span without a valid 8-byte spanId"
    )
    rejected += len(undecodable or ())
    reasons.update((undecodable or [])[:3])
    if not accepted:
        payload = None
    elif rejected or body is None:  # (a body with undecodable spans is JSON: body is None)
        payload = req.SerializeToString()
    else:
        payload = body
    return Admission(payload, accepted, rejected, "; ".join(sorted(reasons)))


def _span_ok(span: Any) -> bool:
    return len(span.span_id) == 8
