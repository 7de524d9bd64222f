"""The compiled span reader and the column normalizer (``otlp/span_columns.py``) against the reference path
(``spans.iter_spans`` + ``normalize.normalize``): for any request, the same table, the same rejects and the same
``raw_payload`` text; and every payload the reader does not take exactly as protobuf would is left to protobuf."""

from __future__ import annotations

import math
import random
import struct

import orjson
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from governance_pipeline.otlp import span_columns
from governance_pipeline.otlp.normalize import normalize
from governance_pipeline.otlp.spans import iter_spans
from tests.otlp.wire_edits import EDITS, damaged, field, in_one_request

TEXTS = [
    "",
    " ",
    "12",
    " 7 ",
    "-3",
    "1e30",
    "1_000",
    "nan",
    "inf",
    "0.0061",
    "USD",
    "usd",
    "EUR",
    "uſd",
    "openai",
    "OpenAI",
    "langchain",
    "openai.chat",
    "Anthropic",
    "gpt-4o",
    "LLM",
    "chain",
    "Chat",
    "embeddings",
    "İstanbul",
    "ai.generateText.doGenerate",
    "ai.generateText",
    "workflow",
    'a"b\\c\n\x01\u2028é',
    "99999999999999999999",
]
NUMBERS = [0, 1, -1, 1200, 2**63 - 1, -(2**63), 10**15]
DOUBLES = [0.0, -0.0, 0.5, 1.0, 0.0061, 1e-5, 1.25e-5, 1e-7, 1e16, 1e30, 1.5e300, math.nan, math.inf, -math.inf, 3.0]
KEYS = [*span_columns.WANTED, "service.name", "http.method", "", "x"]


def any_values(depth: int = 2) -> st.SearchStrategy[AnyValue]:
    scalars = st.one_of(
        st.sampled_from(TEXTS).map(lambda s: AnyValue(string_value=s)),
        st.text(max_size=8).map(lambda s: AnyValue(string_value=s)),
        st.sampled_from(NUMBERS).map(lambda i: AnyValue(int_value=i)),
        st.integers(-(2**63), 2**63 - 1).map(lambda i: AnyValue(int_value=i)),
        st.sampled_from(DOUBLES).map(lambda d: AnyValue(double_value=d)),
        st.floats(allow_nan=True, allow_infinity=True).map(lambda d: AnyValue(double_value=d)),
        st.booleans().map(lambda b: AnyValue(bool_value=b)),
        st.binary(max_size=7).map(lambda b: AnyValue(bytes_value=b)),
        st.just(AnyValue()),
    )
    if depth == 0:
        return scalars
    inner = any_values(depth - 1)
    arrays = st.lists(inner, max_size=3).map(lambda vs: AnyValue(array_value={"values": vs}))
    kvlists = st.dictionaries(st.sampled_from(["a", "b", "c", ""]), inner, max_size=3).map(
        lambda d: AnyValue(kvlist_value={"values": [KeyValue(key=k, value=v) for k, v in d.items()]})
    )
    return st.one_of(scalars, scalars, arrays, kvlists)


def attribute_lists(max_size: int = 8) -> st.SearchStrategy[list[KeyValue]]:
    return st.dictionaries(st.sampled_from(KEYS), any_values(), max_size=max_size).map(
        lambda d: [KeyValue(key=k, value=v) for k, v in d.items()]
    )


@st.composite
def spans(draw: st.DrawFn) -> Span:
    start = draw(st.sampled_from([0, 1, 1_700_000_000_000_000_123, 2**64 - 1]))
    s = Span(
        trace_id=draw(st.sampled_from([b"", bytes(16), bytes(range(16))])),
        span_id=draw(st.binary(min_size=0, max_size=8)),
        parent_span_id=draw(st.sampled_from([b"", bytes(range(8))])),
        name=draw(st.sampled_from(["", "chat gpt-4o", "tool"])),
        kind=draw(st.sampled_from([0, 1, 3, 5, -1])),
        start_time_unix_nano=start,
        end_time_unix_nano=draw(st.sampled_from([0, start, (start + 850_000_123) % 2**64, 2**64 - 1])),
        attributes=draw(attribute_lists()),
    )
    for _ in range(draw(st.integers(0, 2))):
        ev = s.events.add(name=draw(st.sampled_from(["exception", "log", ""])), time_unix_nano=7)
        ev.attributes.extend(draw(attribute_lists(3)))
        if draw(st.booleans()) and all(kv.key != "exception.type" for kv in ev.attributes):
            ev.attributes.append(KeyValue(key="exception.type", value=draw(any_values(0))))
    if draw(st.booleans()):
        link = s.links.add(trace_id=bytes(range(16)), span_id=bytes(8))
        link.attributes.extend(draw(attribute_lists(2)))
    if draw(st.booleans()):
        s.status.code = draw(st.sampled_from([0, 1, 2, 7]))
        s.status.message = draw(st.sampled_from(["", "boom", "é\n"]))
    return s


@st.composite
def requests(draw: st.DrawFn) -> ExportTraceServiceRequest:
    req = ExportTraceServiceRequest()
    for _ in range(draw(st.integers(1, 2))):
        rs = req.resource_spans.add()
        rs.resource.attributes.extend(draw(attribute_lists(6)))
        for _ in range(draw(st.integers(1, 2))):
            ss = rs.scope_spans.add()
            if draw(st.booleans()):
                ss.scope.name, ss.scope.version = "opentelemetry.instrumentation.openai_v2", "0.1"
            ss.spans.extend(draw(st.lists(spans(), min_size=1, max_size=4)))
    return req


def reference(payloads: list[bytes]) -> tuple[pa.Table, list[tuple[int, str]], list[str]]:
    records = [r for p in payloads for r in iter_spans(ExportTraceServiceRequest.FromString(p))]
    rejects: list[tuple[int, str]] = []
    table = normalize(records, rejects)
    raws = [orjson.dumps(r.raw(), option=orjson.OPT_NON_STR_KEYS, default=str).decode() for r in records]
    return table, rejects, raws


def fast(payloads: list[bytes]) -> tuple[pa.Table, list[tuple[int, str]], list[str]]:
    taken, cols = span_columns.read(payloads, [f"file{i}" for i in range(len(payloads))])
    assert taken == len(payloads) and cols is not None, "the reader left a plain request to protobuf"
    rejects: list[tuple[int, str]] = []
    return span_columns.normalize_columns(cols, rejects), rejects, cols.raw.to_pylist()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(requests(), min_size=1, max_size=3))
def test_the_columns_are_the_reference_table(reqs: list[ExportTraceServiceRequest]) -> None:
    """One batch of one to three landing files: their columns normalize to the reference."""
    payloads = [r.SerializeToString() for r in reqs]
    want_table, want_rejects, want_raw = reference(payloads)
    got_table, got_rejects, got_raw = fast(payloads)
    assert got_raw == want_raw  # byte for byte the text orjson writes, floats included
    assert got_rejects == want_rejects
    assert got_table.schema == want_table.schema
    for name in want_table.column_names:
        got, want = got_table.column(name).to_pylist(), want_table.column(name).to_pylist()
        assert orjson.dumps(got, default=str) == orjson.dumps(want, default=str), name


def test_a_batch_of_several_files_keeps_their_order() -> None:
    req = ExportTraceServiceRequest()
    s = req.resource_spans.add().scope_spans.add().spans.add(span_id=b"\x01" * 8, start_time_unix_nano=5_000)
    s.attributes.append(KeyValue(key="gen_ai.request.model", value=AnyValue(string_value="gpt-4o")))
    other = ExportTraceServiceRequest()
    o = other.resource_spans.add().scope_spans.add().spans.add(span_id=b"\x02" * 8)
    o.attributes.append(KeyValue(key="gen_ai.usage.input_tokens", value=AnyValue(string_value="1e30")))
    taken, both = span_columns.read([req.SerializeToString(), other.SerializeToString()], ["a", "b"])
    assert taken == 2 and both is not None
    rejects: list[tuple[int, str]] = []
    table = span_columns.normalize_columns(both, rejects)
    assert both.files == ["a", "b"]
    assert table.column("model").to_pylist() == ["gpt-4o"]
    assert rejects == [(1, "tokens_input: gen_ai.usage.input_tokens = '1e30' is not an integer within int64")]


def test_doubles_are_written_as_orjson_writes_them() -> None:
    """The reader formats doubles itself (without the GIL): every power of two, the smallest and largest, random
    bit patterns, and decimals with few places (its fast way) give orjson's text."""
    rnd = random.Random(7)
    values = [2.0**k for k in range(-1074, 1024)] + [5e-324, 2.2250738585072014e-308, 1.7976931348623157e308]
    values += [struct.unpack("<d", rnd.getrandbits(64).to_bytes(8, "little"))[0] for _ in range(20_000)]
    values += [rnd.randint(0, 10 ** rnd.randint(1, 17)) / 10 ** rnd.randint(0, 10) for _ in range(20_000)]
    values += [i / 100 for i in range(5_000)] + [4503599627370497.5, 123456789.12345678, 0.0061]
    values = [v for v in values if math.isfinite(v)] + [-0.0, 0.1 + 0.2, 1e23, 1e-5, 1e16]
    req = ExportTraceServiceRequest()
    spans = req.resource_spans.add().scope_spans.add()
    for v in values:
        spans.spans.add().attributes.append(KeyValue(key="x", value=AnyValue(double_value=v)))
    _, cols = span_columns.read([req.SerializeToString()], ["f"])
    assert cols is not None
    got = [orjson.loads(raw)["attributes"]["x"] for raw in cols.raw.to_pylist()]
    texts = [raw.split('"attributes":{"x":')[1].split("}")[0] for raw in cols.raw.to_pylist()]
    assert texts == [orjson.dumps(v).decode() for v in values]
    assert got == values


@pytest.mark.parametrize(
    "span, why",
    [
        (field(5, 2, b"\xff\xfe"), "a name that is not UTF-8 (protobuf refuses the whole request)"),
        (field(99, 0, b"\x01"), "a field the reader does not know"),
        (field(5, 0, b"\x01"), "a known field with another wire type"),
        (field(15, 2, b"") + field(15, 2, b""), "a status given twice (protobuf merges them)"),
        (
            field(9, 2, field(1, 2, b"k")) + field(9, 2, field(1, 2, b"k")),
            "an attribute key given twice (the dict keeps the first place and the last value)",
        ),
        (field(9, 2, field(1, 2, b"k") + field(2, 2, field(1, 2, b"a") + field(3, 0, b"\x01"))), "two values"),
        (field(9, 2, field(1, 2, b"k") + field(2, 2, b"\x0a")), "a truncated value"),
    ],
)
def test_what_the_reader_does_not_take_exactly_is_left_to_protobuf(span: bytes, why: str) -> None:
    assert span_columns.read([in_one_request(span)], ["f"]) == (0, None), why


def _one_span(span_id: bytes, key: str) -> ExportTraceServiceRequest:
    req = ExportTraceServiceRequest()
    s = req.resource_spans.add().scope_spans.add().spans.add(span_id=span_id, name="chat")
    s.attributes.append(KeyValue(key=key, value=AnyValue(string_value="x")))
    return req


def test_a_batch_ends_before_the_first_file_left_to_protobuf_and_keeps_nothing_of_it() -> None:
    """The file left to protobuf has good spans before its bad one, and a wanted key no file before it has: the
    batch holds exactly the files before it, as if read alone, and the next read starts at it."""
    first = _one_span(b"\x01" * 8, "gen_ai.request.model").SerializeToString()
    bad = _one_span(b"\x02" * 8, "gen_ai.conversation.id")
    bad.resource_spans[0].scope_spans[0].spans.add(span_id=b"\x03" * 8)
    bad_payload = bad.SerializeToString() + in_one_request(field(99, 0, b"\x01"))  # a later span it cannot read
    last = _one_span(b"\x04" * 8, "gen_ai.request.model").SerializeToString()
    taken, cols = span_columns.read([first, bad_payload, last], ["a", "b", "c"])
    alone_taken, alone = span_columns.read([first], ["a"])
    assert taken == 1 and alone_taken == 1 and cols is not None and alone is not None
    assert cols.n == 1 and cols.files == ["a"] and cols.raw.to_pylist() == alone.raw.to_pylist()
    assert sorted(cols.values) == sorted(alone.values) == ["gen_ai.request.model"]
    assert cols.exceptions == [None]
    assert span_columns.read([bad_payload, last], ["b", "c"]) == (0, None)
    after_taken, after = span_columns.read([last], ["c"])
    assert after_taken == 1 and after is not None and after.files == ["c"]


def test_values_nested_deeper_than_the_reader_goes_are_left_to_protobuf() -> None:
    value = AnyValue(string_value="leaf")
    for _ in range(40):
        value = AnyValue(array_value={"values": [value]})
    req = ExportTraceServiceRequest()
    req.resource_spans.add().scope_spans.add().spans.add().attributes.append(KeyValue(key="deep", value=value))
    assert span_columns.read([req.SerializeToString()], ["f"]) == (0, None)
    shallow = ExportTraceServiceRequest()
    shallow.resource_spans.add().scope_spans.add().spans.add().attributes.append(
        KeyValue(key="deep", value=AnyValue(array_value={"values": [AnyValue(int_value=1)]}))
    )
    assert span_columns.read([shallow.SerializeToString()], ["f"])[0] == 1


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests(), EDITS)
def test_damaged_payloads_are_read_as_protobuf_reads_them_or_left_to_it(req: ExportTraceServiceRequest, edits) -> None:
    """Flipped, inserted and deleted bytes: whatever the compiled reader takes, upb takes too, and both give the
    same table; the rest is left to the Python path (which salvages what it can)."""
    data = damaged(req.SerializeToString(), edits)
    _, cols = span_columns.read([data], ["f"])
    if cols is None:
        return
    want_table, want_rejects, want_raw = reference([data])  # raises if upb refuses what the reader took
    rejects: list[tuple[int, str]] = []
    got_table = span_columns.normalize_columns(cols, rejects)
    assert cols.raw.to_pylist() == want_raw
    assert rejects == want_rejects
    assert orjson.dumps(got_table.to_pylist(), default=str) == orjson.dumps(want_table.to_pylist(), default=str)
