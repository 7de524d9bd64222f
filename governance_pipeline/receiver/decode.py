"""Body -> trace request -> what is accepted: decoding by content type and per-span admission."""

from __future__ import annotations

from dataclasses import dataclass

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from governance_pipeline.otlp.json_decode import decode_body, request_from_json
from governance_pipeline.otlp.spans import resource_source_type

JSON = "application/json"
PROTOBUF = "application/x-protobuf"
CONTENT_TYPES = (JSON, PROTOBUF)


def media_type(header: str | None) -> str:
    return (header or "").split(";", 1)[0].strip().lower()


def decode(body: bytes, content_type: str, rejected: list[str] | None = None) -> ExportTraceServiceRequest:
    """Raises ``OtlpDecodeError`` when the body is not an OTLP trace request. With ``rejected`` (JSON bodies), a
    span that cannot be decoded is left out and its reason added there (``request_from_json``)."""
    req: ExportTraceServiceRequest = decode_body(
        body, content_type != PROTOBUF, ExportTraceServiceRequest, request_from_json, rejected
    )
    return req


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
    accepted, rejected = 0, len(undecodable or ())
    reasons = set((undecodable or [])[:3])
    for r in range(len(req.resource_spans) - 1, -1, -1):
        rs = req.resource_spans[r]
        if allowed_label is not None and resource_source_type(rs.resource.attributes) != allowed_label:
            n = sum(len(ss.spans) for ss in rs.scope_spans)
            if n:
                rejected += n
                reasons.add(f"resource source type is not '{allowed_label}'")
            del req.resource_spans[r]
            continue
        for ss in rs.scope_spans:
            bad = [i for i, s in enumerate(ss.spans) if len(s.span_id) != 8]
            for i in reversed(bad):
                del ss.spans[i]
            if bad:
                rejected += len(bad)
                reasons.add("span without a valid 8-byte spanId")
            accepted += len(ss.spans)
    if not accepted:
        payload = None
    elif rejected or body is None:  # (a body with undecodable spans is JSON: body is None)
        payload = req.SerializeToString()
    else:
        payload = body
    return Admission(payload, accepted, rejected, "; ".join(sorted(reasons)))
