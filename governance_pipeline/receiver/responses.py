"""Reply bodies in the request's encoding: ``ExportTraceServiceResponse`` on success, ``google.rpc.Status`` on error."""

from __future__ import annotations

import orjson
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from governance_pipeline.otlp.wire import encode_varint
from governance_pipeline.receiver.decode import PROTOBUF

# HTTP status -> google.rpc.Code
RPC_CODES = {400: 3, 401: 16, 404: 5, 405: 12, 413: 8, 415: 3, 500: 13, 503: 14}


def success(content_type: str, accepted: int, rejected: int, message: str, wire_bytes: int) -> tuple[str, bytes]:
    if content_type == PROTOBUF:
        resp = ExportTraceServiceResponse()
        if rejected or message:
            resp.partial_success.rejected_spans = rejected
            resp.partial_success.error_message = message
        return PROTOBUF, resp.SerializeToString()
    doc: dict = {}
    if rejected or message:
        doc["partialSuccess"] = {"rejectedSpans": str(rejected), "errorMessage": message}
    doc["events"] = accepted
    doc["bytes"] = wire_bytes
    return "application/json", orjson.dumps(doc)


def error(content_type: str, status: int, slug: str, message: str) -> tuple[str, bytes]:
    code = RPC_CODES.get(status, 2)
    if content_type == PROTOBUF:
        return PROTOBUF, _varint_field(1, code) + _bytes_field(2, message.encode())
    return "application/json", orjson.dumps({"code": code, "message": message, "error": slug})


def _varint_field(number: int, value: int) -> bytes:
    return encode_varint(number << 3) + encode_varint(value)


def _bytes_field(number: int, value: bytes) -> bytes:
    return encode_varint(number << 3 | 2) + encode_varint(len(value)) + value
