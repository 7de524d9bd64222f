"""OTLP/JSON decoding: both casings, int64 as strings or numbers, hex ids in any case, clear errors."""

from __future__ import annotations

import base64

import orjson
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from governance_pipeline.otlp.json_decode import OtlpDecodeError, request_from_json
from tests.otlp.conftest import fixture_bytes


def _load(name: str) -> ExportTraceServiceRequest:
    return request_from_json(orjson.loads(fixture_bytes(name)))


def test_camel_snake_and_protobuf_fixtures_decode_to_the_same_request():
    pb = ExportTraceServiceRequest.FromString(fixture_bytes("trace.pb"))
    assert _load("trace_camel.json") == pb
    assert _load("trace_snake.json") == pb
    assert _load("trace_camel.json").SerializeToString() == fixture_bytes("trace.pb")


def test_upper_case_hex_ids_are_read_as_hex():
    req = _load("openinference.json")
    span = req.resource_spans[0].scope_spans[0].spans[0]
    assert span.trace_id.hex() == "5c7a50f3671534610b8fd1806cf682e2"
    assert span.span_id.hex() == "803d4f4aebd79152"


def _one_span(**span) -> dict:
    return {"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]}


def test_base64_ids_enum_names_and_string_doubles_are_tolerated():
    trace = bytes(range(16))
    doc = _one_span(
        traceId=base64.b64encode(trace).decode(),
        spanId="0102030405060708",
        kind="SPAN_KIND_CLIENT",
        status={"code": "STATUS_CODE_ERROR"},
        startTimeUnixNano=1790846102123456789,
        attributes=[
            {"key": "d", "value": {"doubleValue": "NaN"}},
            {"key": "i", "value": {"int_value": "-5"}},
            {"key": "kv", "value": {"kvlistValue": {"values": [{"key": "a", "value": {"boolValue": True}}]}}},
            {"key": "empty", "value": {}},
        ],
    )
    span = request_from_json(doc).resource_spans[0].scope_spans[0].spans[0]
    assert span.trace_id == trace and span.kind == 3 and span.status.code == 2
    assert span.start_time_unix_nano == 1790846102123456789
    assert span.attributes[1].value.int_value == -5
    assert span.attributes[2].value.kvlist_value.values[0].value.bool_value is True


@pytest.mark.parametrize(
    "doc, where",
    [
        ([], "body"),
        ({"resourceSpans": {}}, "resourceSpans"),
        (_one_span(spanId="xyz"), "spans[0].spanId"),
        (_one_span(spanId="0102030405060708", startTimeUnixNano="soon"), "startTimeUnixNano"),
        (_one_span(attributes=[{"key": 3}]), "attributes[0].key"),
        (_one_span(kind="SIDEWAYS"), "kind"),
    ],
)
def test_wrong_shapes_name_the_json_path(doc, where):
    with pytest.raises(OtlpDecodeError, match=where.replace("[", r"\[").replace("]", r"\]")):
        request_from_json(doc)


def test_unknown_keys_are_ignored_and_a_missing_envelope_is_an_empty_request():
    assert len(request_from_json({"somethingElse": 1}).resource_spans) == 0
    doc = _one_span(spanId="0102030405060708", futureField={"x": 1})
    assert len(request_from_json(doc).resource_spans[0].scope_spans[0].spans) == 1


@pytest.mark.parametrize("body", [b"null", b"[]", b'"x"', b"0"])
def test_a_json_body_that_is_not_an_object_is_refused_for_every_signal(body):
    from governance_pipeline.otlp.logs import decode_logs
    from governance_pipeline.otlp.metrics import count_points
    from governance_pipeline.receiver.decode import decode

    for read in (lambda: decode(body, "application/json"), lambda: decode_logs(body, True)):
        with pytest.raises(OtlpDecodeError, match="expected a JSON object"):
            read()
    with pytest.raises(OtlpDecodeError, match="expected a JSON object"):
        count_points(body, True)


def test_an_empty_json_body_is_an_empty_request_for_every_signal():
    from governance_pipeline.otlp.logs import decode_logs
    from governance_pipeline.otlp.metrics import count_points
    from governance_pipeline.receiver.decode import decode

    assert decode(b" \n", "application/json") == ExportTraceServiceRequest()
    assert len(decode_logs(b"", True).resource_logs) == 0
    assert count_points(b"", True) == 0
