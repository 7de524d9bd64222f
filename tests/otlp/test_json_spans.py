"""The compiled OTLP/JSON encoder (``otlp/json_spans.py``) against the Python decoder (``json_decode``): for any
body, either an encoding of the very request ``request_from_json(orjson.loads(body))`` builds, or None (the Python
path decodes it); never bytes for a body the Python decoder refuses or takes only in part. The forms exporters
send are always taken, whatever the key order, spacing and escapes of the text."""

from __future__ import annotations

import json
import math
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from governance_pipeline.otlp import json_spans
from governance_pipeline.otlp.json_decode import OtlpDecodeError, load_json, request_from_json
from governance_pipeline.receiver.decode import decode_encoded

KEYS = ["gen_ai.request.model", "gen_ai.usage.input_tokens", "user.id", "", "a.b"]
HEX16 = ["5b8efff798038103d269b633813fc60c", "5B8EFFF798038103D269B633813FC60C", "", None]
HEX8 = ["a55ac33c00000001", "A55AC33C00000001", "", None]


def _key(camel: str, snake: str, exotic: bool) -> st.SearchStrategy[str]:
    return st.sampled_from([camel, snake]) if exotic else st.just(camel)


def scalars(exotic: bool) -> st.SearchStrategy[dict[str, Any]]:
    """An AnyValue's JSON; ``exotic`` adds the forms only the Python decoder takes (and some it refuses)."""
    plain = [
        st.text(max_size=6).map(lambda s: {"stringValue": s}),
        st.booleans().map(lambda b: {"boolValue": b}),
        st.integers(-(2**63), 2**63 - 1).map(lambda i: {"intValue": str(i)}),
        st.integers(-(2**63), 2**63 - 1).map(lambda i: {"intValue": i}),
        st.floats(allow_nan=False, allow_infinity=False).map(lambda d: {"doubleValue": d}),
        st.integers(-(2**53), 2**53).map(lambda i: {"doubleValue": i}),
        st.just({}),
    ]
    odd = [
        st.sampled_from([" 5", "+5", "1_0", "", "x", "99999999999999999999", "-9223372036854775809"]).map(
            lambda s: {"intValue": s}
        ),
        st.sampled_from(["NaN", "Infinity", "1.5", 3]).map(lambda d: {"doubleValue": d}),
        st.sampled_from([1, "true", None]).map(lambda b: {"boolValue": b}),
        st.sampled_from([5, None, True]).map(lambda s: {"stringValue": s}),
        st.just({"string_value": "snake"}),
        st.just({"stringValue": None, "string_value": "fallback"}),
        st.just({"bytesValue": "aGk="}),
        st.just({"intValue": 2**63}),
        st.just({"arrayValue": {}}),
        st.just({"kvlistValue": {"values": []}}),
        st.just("not an object"),
    ]
    return st.one_of(*plain, *(odd if exotic else []))


def any_values(exotic: bool, depth: int = 2) -> st.SearchStrategy[Any]:
    if depth == 0:
        return scalars(exotic)
    inner = any_values(exotic, depth - 1)
    return st.one_of(
        scalars(exotic),
        st.lists(inner, max_size=3).map(lambda vs: {"arrayValue": {"values": vs}}),
        st.lists(inner, max_size=3).map(
            lambda vs: {"kvlistValue": {"values": [{"key": f"k{i}", "value": v} for i, v in enumerate(vs)]}}
        ),
    )


def attributes(exotic: bool) -> st.SearchStrategy[list[Any]]:
    item = st.builds(lambda k, v: {"key": k, "value": v}, st.sampled_from(KEYS), any_values(exotic))
    odd = st.sampled_from([{"key": "k"}, {"key": "k", "value": None}, {"key": 5, "value": {}}, "x"])
    return st.lists(st.one_of(item, odd) if exotic else item, max_size=4)


@st.composite
def spans(draw: st.DrawFn, exotic: bool) -> Any:
    def key(camel: str, snake: str) -> str:
        return draw(_key(camel, snake, exotic))

    span: dict[str, Any] = {
        key("traceId", "trace_id"): draw(
            st.sampled_from(HEX16 + (["W47/95gDgQPSabYzgT/GDA==", "xyz"] if exotic else []))
        ),
        key("spanId", "span_id"): draw(st.sampled_from(HEX8 + (["pVrDPAAAAAE=", 5] if exotic else []))),
        "name": draw(st.sampled_from(["chat gpt-4o", "", None] + ([0, 5] if exotic else []))),
        "kind": draw(
            st.sampled_from([0, 1, 3, None] + (["SPAN_KIND_CLIENT", "CLIENT", -1, 2**40, True] if exotic else []))
        ),
        key("startTimeUnixNano", "start_time_unix_nano"): draw(
            st.sampled_from(
                ["1700000000000000123", 1700000000000000123, "0", None] + (["-1", " 7", 1.0e18, -5] if exotic else [])
            )
        ),
        key("endTimeUnixNano", "end_time_unix_nano"): draw(
            st.sampled_from(["1700000000850000123", "18446744073709551615"])
        ),
        "attributes": draw(attributes(exotic)),
    }
    if draw(st.booleans()):
        span[key("parentSpanId", "parent_span_id")] = draw(st.sampled_from(HEX8))
    if draw(st.booleans()):
        span["status"] = draw(
            st.sampled_from(
                [{}, {"code": 1}, {"code": 2, "message": "boom"}, {"message": ""}]
                + ([{"code": "ERROR"}] if exotic else [])
            )
        )
    if draw(st.booleans()):
        span["events"] = draw(
            st.lists(
                st.one_of(
                    st.builds(
                        lambda a: {"timeUnixNano": "7", "name": "exception", "attributes": a}, attributes(exotic)
                    ),
                    st.just(None),
                ),
                max_size=2,
            )
        )
    if draw(st.booleans()):
        span["links"] = [
            {"traceId": HEX16[0], "spanId": HEX8[0], "attributes": draw(attributes(exotic)), "traceState": "x"}
        ]
    if exotic and draw(st.booleans()):
        span[draw(st.sampled_from(["flags", "traceState", "trace_state", "unknownKey"]))] = draw(
            st.sampled_from([0, 1, 2**32, "s", None])
        )
    return span


@st.composite
def documents(draw: st.DrawFn, exotic: bool) -> Any:
    resource_spans = []
    for _ in range(draw(st.integers(0, 2))):
        scope_spans = []
        for _ in range(draw(st.integers(0, 2))):
            ss: dict[str, Any] = {"spans": draw(st.lists(spans(exotic), max_size=3))}
            if draw(st.booleans()):
                ss["scope"] = {"name": "openai_v2", "version": draw(st.sampled_from(["0.1", "", None]))}
            if draw(st.booleans()):
                ss["schemaUrl"] = "https://opentelemetry.io/schemas/1.26.0"
            scope_spans.append(ss)
        rs: dict[str, Any] = {draw(_key("scopeSpans", "scope_spans", exotic)): scope_spans}
        if draw(st.booleans()):
            rs["resource"] = {"attributes": draw(attributes(exotic))}
        resource_spans.append(rs)
    return {draw(_key("resourceSpans", "resource_spans", exotic)): resource_spans}


def _reference(body: bytes) -> bytes | None:
    """What the Python decoder lands for ``body`` (canonical bytes) when it takes all of it, else None."""
    rejected: list[str] = []
    try:
        req = request_from_json(load_json(body), rejected)
    except OtlpDecodeError:
        return None
    return None if rejected else req.SerializeToString(deterministic=True)


def _encoded(body: bytes) -> bytes | None:
    """The encoder's bytes for ``body``, made canonical (its fields follow the text's key order)."""
    encoded = json_spans.encode(body)
    if encoded is None:
        return None
    return ExportTraceServiceRequest.FromString(encoded).SerializeToString(deterministic=True)


def _text(doc: Any, style: int) -> bytes:
    """``doc`` as text: orjson's, spaced and escaped (``json``'s ASCII output), or with sorted keys."""
    if style == 0:
        return orjson.dumps(doc)
    if style == 1:
        return json.dumps(doc, indent=1, ensure_ascii=True).encode()
    return json.dumps(doc, sort_keys=True, separators=(" , ", " : ")).encode()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents(exotic=False), st.integers(0, 2))
def test_what_exporters_send_is_encoded_as_the_python_decoder_does(doc: Any, style: int) -> None:
    body = _text(doc, style)
    encoded = _encoded(body)
    assert encoded is not None
    assert encoded == _reference(body)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents(exotic=True), st.integers(0, 2))
def test_any_body_is_encoded_as_the_python_decoder_does_or_left_to_it(doc: Any, style: int) -> None:
    body = _text(doc, style)
    encoded = _encoded(body)
    if encoded is not None:
        assert encoded == _reference(body)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"  ",
        b"[]",
        b'{"resourceSpans": []} x',
        b'{"resourceSpans": [],}',
        b'{"resourceSpans": [], "resourceSpans": []}',
        b'{"resourceSpans": [], "resource_spans": []}',
        b'\xef\xbb\xbf{"resourceSpans": []}',
        b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": "a\\ud800"}]}]}]}',
        b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": "\xff"}]}]}]}',
        b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": "a\x01"}]}]}]}',
        b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"startTimeUnixNano": 01}]}]}]}',
        b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"attributes": [{"key": "x", "value": {"doubleValue": 1e400}}]}]}]}]}',
        b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"attributes": [{"key": "x", "value": {"stringValue": "a", "intValue": 1}}]}]}]}]}',
        b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"kind": "SPAN_KIND_CLIENT"}]}]}]}',
    ],
)
def test_text_that_is_not_strict_json_or_not_plain_otlp_is_left_to_python(body: bytes) -> None:
    assert json_spans.encode(body) is None


def test_escapes_and_negative_zero_are_read_as_orjson_reads_them() -> None:
    attribute = rb'{"key": "k\u00e9\ud83d\ude00\n\/\"", "value": {"doubleValue": -0}}'
    body = b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"attributes": [' + attribute + b"]}]}]}]}"
    assert _encoded(body) is not None
    assert _encoded(body) == _reference(body)
    kv = (
        ExportTraceServiceRequest.FromString(_encoded(body) or b"")
        .resource_spans[0]
        .scope_spans[0]
        .spans[0]
        .attributes[0]
    )
    assert kv.key == 'k\u00e9\U0001f600\n/"'
    assert math.copysign(1, kv.value.double_value) == 1.0  # orjson reads -0 as the integer 0


def test_the_receiver_lands_the_encoders_bytes_and_the_python_decoders_reasons() -> None:
    span = {"traceId": HEX16[0], "spanId": HEX8[0], "name": "chat", "startTimeUnixNano": "1700000000000000000"}
    doc = {"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]}
    req, encoded = decode_encoded(orjson.dumps(doc), "application/json")
    assert encoded is not None and req == ExportTraceServiceRequest.FromString(encoded)
    assert req.resource_spans[0].scope_spans[0].spans[0].name == "chat"
    bad = {**span, "startTimeUnixNano": "-1"}  # refused by protobuf: the Python decoder says which span and why
    doc = {"resourceSpans": [{"scopeSpans": [{"spans": [span, bad]}]}]}
    rejected: list[str] = []
    req, encoded = decode_encoded(orjson.dumps(doc), "application/json", rejected)
    assert encoded is None
    assert len(req.resource_spans[0].scope_spans[0].spans) == 1
    assert rejected and rejected[0].startswith("resourceSpans[0].scopeSpans[0].spans[1]")


def test_nan_and_infinite_doubles_left_to_python() -> None:
    """JSON has no NaN, but OTLP/JSON may give one as a ``doubleValue`` string: the Python decoder takes it."""
    doc = {
        "resourceSpans": [
            {"scopeSpans": [{"spans": [{"attributes": [{"key": "x", "value": {"doubleValue": "NaN"}}]}]}]}
        ]
    }
    assert json_spans.encode(orjson.dumps(doc)) is None
    assert math.isnan(request_from_json(doc).resource_spans[0].scope_spans[0].spans[0].attributes[0].value.double_value)


def test_nesting_near_and_beyond_the_limit_never_fails_the_encoder() -> None:
    """kvlistValue levels cost the encoder three buffers each: up to the Python decoder's limit and past it, the
    encoder either gives the reference bytes or leaves the document to Python, and never raises."""
    for levels in (1, 19, 20, 23, 24, 30):
        for wrap in ("kvlistValue", "arrayValue"):
            value: Any = {"stringValue": "leaf"}
            for _ in range(levels):
                value = (
                    {"kvlistValue": {"values": [{"key": "k", "value": value}]}}
                    if wrap == "kvlistValue"
                    else {"arrayValue": {"values": [value]}}
                )
            span = {"spanId": HEX8[0], "events": [{"attributes": [{"key": "deep", "value": value}]}]}
            body = orjson.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]})
            encoded = _encoded(body)
            assert encoded is None or encoded == _reference(body), (wrap, levels)
            assert (encoded is not None) == (levels <= 20), (wrap, levels)  # MAX_DEPTH containers


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    documents(exotic=False),
    st.lists(
        st.tuples(st.integers(0, 10**6), st.sampled_from(b'{}[]",:\\ 0-9ae\x00\xff\xc3'), st.sampled_from("fid")),
        max_size=4,
    ),
)
def test_damaged_bodies_are_read_as_orjson_and_json_decode_read_them_or_left_to_them(doc: Any, edits) -> None:
    """Bytes replaced, inserted and deleted: whatever the encoder takes, orjson and ``json_decode`` take too, as
    the same request; nothing it is given crashes it."""
    body = bytearray(orjson.dumps(doc))
    for at, byte, how in edits:
        i = at % (len(body) + 1)
        if how == "f" and i < len(body):
            body[i] = byte
        elif how == "i":
            body.insert(i, byte)
        elif i < len(body):
            del body[i]
    encoded = _encoded(bytes(body))
    if encoded is not None:
        assert encoded == _reference(bytes(body))
