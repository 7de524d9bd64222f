"""The compiled log-record reader (``otlp.logs.read_logs``, ``_logscan.c``) against the reference path
(``ExportLogsServiceRequest.FromString`` + ``logs.iter_logs``): for any request, the same rows with the same event
ids, and the ``raw_payload`` text orjson writes; senders' encodings that are not protobuf's own (fields out of
order, zeros written out) give the same event ids; and what the reader does not take exactly is left to protobuf."""

from __future__ import annotations

import dataclasses
import random

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord

from governance_pipeline.otlp import logs
from governance_pipeline.otlp.logs import iter_logs, normalize_logs, read_logs
from tests.otlp.test_span_columns import TEXTS, any_values
from tests.otlp.wire_edits import EDITS, damaged, field, in_one_request

KEYS = ["service.name", "model", "input_tokens", "cost_usd", "session.id", "user.email", "prompt", "", "x"]


def attribute_lists(max_size: int = 6) -> st.SearchStrategy[list[KeyValue]]:
    return st.dictionaries(st.sampled_from(KEYS), any_values(), max_size=max_size).map(
        lambda d: [KeyValue(key=k, value=v) for k, v in d.items()]
    )


EVENT_NAMES = st.one_of(
    st.sampled_from(["api_request", "codex.sse_event", "", " ", "é\n"]).map(lambda s: AnyValue(string_value=s)),
    st.booleans().map(lambda b: AnyValue(bool_value=b)),
    st.integers(-(2**63), 2**63 - 1).map(lambda i: AnyValue(int_value=i)),
    st.just(AnyValue()),
)


@st.composite
def records(draw: st.DrawFn) -> LogRecord:
    rec = LogRecord(
        time_unix_nano=draw(st.sampled_from([0, 1, 1_764_000_000_000_000_123, 2**64 - 1])),
        observed_time_unix_nano=draw(st.sampled_from([0, 1_764_000_000_000_000_999])),
        severity_number=draw(st.sampled_from([0, 9, 17, 24, -1, 2**31 - 1, -(2**31)])),
        severity_text=draw(st.sampled_from(["", "INFO", "ERROR", "é"])),
        attributes=draw(attribute_lists()),
        dropped_attributes_count=draw(st.sampled_from([0, 3, 2**32 - 1])),
        flags=draw(st.sampled_from([0, 1, 2**32 - 1])),
        trace_id=draw(st.sampled_from([b"", bytes(16), bytes(range(16)), b"\x01"])),
        span_id=draw(st.sampled_from([b"", bytes(range(8))])),
        event_name=draw(st.sampled_from(["", "claude_code.api_request", "gemini_cli.api_response"])),
    )
    if draw(st.booleans()):
        rec.body.CopyFrom(draw(st.one_of(any_values(), st.sampled_from(TEXTS).map(lambda s: AnyValue(string_value=s)))))
    if draw(st.booleans()) and all(kv.key != "event.name" for kv in rec.attributes):
        rec.attributes.append(KeyValue(key="event.name", value=draw(EVENT_NAMES)))
    return rec


@st.composite
def requests(draw: st.DrawFn) -> ExportLogsServiceRequest:
    req = ExportLogsServiceRequest()
    for _ in range(draw(st.integers(1, 2))):
        rl = req.resource_logs.add()
        rl.resource.attributes.extend(draw(attribute_lists(4)))
        rl.resource.dropped_attributes_count = draw(st.sampled_from([0, 2]))
        for _ in range(draw(st.integers(1, 2))):
            sl = rl.scope_logs.add()
            if draw(st.booleans()):
                sl.scope.name, sl.scope.version = "com.anthropic.claude_code.events", draw(st.sampled_from(["", "2.1"]))
                sl.scope.attributes.extend(draw(attribute_lists(2)))
            for rec in draw(st.lists(records(), min_size=1, max_size=4)):
                sl.log_records.add().CopyFrom(rec)
                if draw(st.integers(0, 4)) == 0:  # an identical copy: the k-th gets ":k"
                    sl.log_records.add().CopyFrom(rec)
    return req


def reference(payload: bytes) -> list[logs.LogRow]:
    return list(iter_logs(ExportLogsServiceRequest.FromString(payload)))


def assert_same_rows(got: list[logs.LogRow], want: list[logs.LogRow]) -> None:
    assert [r.raw_text() for r in got] == [r.raw_text() for r in want]  # byte for byte the text orjson writes
    plain = [dataclasses.replace(r, payload=None) for r in got]
    assert orjson.dumps([dataclasses.asdict(r) for r in plain], option=orjson.OPT_NON_STR_KEYS, default=repr) == (
        orjson.dumps([dataclasses.asdict(r) for r in want], option=orjson.OPT_NON_STR_KEYS, default=repr)
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests())
def test_the_rows_are_the_reference_rows(req: ExportLogsServiceRequest) -> None:
    payload = req.SerializeToString()
    got = read_logs(payload)
    assert got is not None, "the reader left a plain request to protobuf"
    want = reference(payload)
    assert_same_rows(got, want)
    assert normalize_logs(got).to_pylist() == normalize_logs(want).to_pylist()


def _fields_of(rec: LogRecord, zeros: bool) -> list[bytes]:
    """The record's fields one by one (with ``zeros``, the proto3 zeros written out too), each encoded alone."""
    out = []
    for desc in LogRecord.DESCRIPTOR.fields:
        value = getattr(rec, desc.name)
        if desc.name == "attributes":
            out.extend(field(6, 2, kv.SerializeToString()) for kv in value)
        elif desc.name == "body":
            if rec.HasField("body"):
                out.append(field(5, 2, value.SerializeToString()))
        elif value or zeros:
            one = LogRecord()
            setattr(one, desc.name, value)
            out.append(one.SerializeToString() or _zero(desc))
    return out


def _zero(desc) -> bytes:
    kind = {1: 1, 11: 1, 8: 5}.get(desc.number)
    if kind == 1:
        return field(desc.number, 1, bytes(8))
    if kind == 5:
        return field(desc.number, 5, bytes(4))
    if desc.number in (2, 7):
        return field(desc.number, 0, b"\x00")
    return field(desc.number, 2, b"")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests(), st.randoms(use_true_random=False), st.booleans())
def test_a_senders_own_encoding_gives_the_same_event_ids(req: ExportLogsServiceRequest, rnd: random.Random, zeros):
    """Fields in another order (protobufjs writes the .proto's declaration order, ``observed_time_unix_nano``
    second) and zeros written out: upb reads them into the same messages, and the reader encodes them again as upb
    would, so the ids are those of the deterministic encoding."""
    payload = b""
    for rl in req.resource_logs:
        scopes = b""
        for sl in rl.scope_logs:
            recs = []
            for rec in sl.log_records:
                fields = _fields_of(rec, zeros)
                attrs = [f for f in fields if f[:1] == b"\x32"]
                others = [f for f in fields if f[:1] != b"\x32"]
                rnd.shuffle(others)  # the attributes keep their order among themselves, as repeated fields must
                at = rnd.randint(0, len(others))
                recs.append(field(2, 2, b"".join(others[:at] + attrs + others[at:])))
            scope = [field(1, 2, sl.scope.SerializeToString())] if sl.HasField("scope") else []
            parts = scope + recs
            if rnd.random() < 0.5:
                parts = recs + scope  # the scope after its records
            scopes += field(2, 2, b"".join(parts))
        payload += field(1, 2, scopes + field(1, 2, rl.resource.SerializeToString()))  # resource last
    got = read_logs(payload)
    assert got is not None
    assert_same_rows(got, reference(payload))
    assert [r.event_id for r in got] == [r.event_id for r in reference(req.SerializeToString())]


@pytest.mark.parametrize(
    "record, why",
    [
        (field(3, 2, b"\xff\xfe"), "a severity text that is not UTF-8 (protobuf refuses the whole request)"),
        (field(4, 0, b"\x01"), "a field the record does not have"),
        (field(3, 0, b"\x01"), "a known field with another wire type"),
        (field(5, 2, b"") + field(5, 2, b""), "a body given twice (protobuf merges them)"),
        (
            field(6, 2, field(1, 2, b"k")) + field(6, 2, field(1, 2, b"k")),
            "an attribute key given twice (the dict keeps the first place and the last value)",
        ),
        (
            field(6, 2, field(1, 2, b"event.name") + field(2, 2, AnyValue(double_value=1.5).SerializeToString())),
            "an event.name the reader does not write as text",
        ),
    ],
)
def test_what_the_reader_does_not_take_exactly_is_left_to_protobuf(record: bytes, why: str) -> None:
    assert read_logs(in_one_request(record)) is None, why


def test_without_the_extension_every_payload_takes_the_python_path(monkeypatch) -> None:
    monkeypatch.setattr(logs, "_logscan", None)
    assert read_logs(in_one_request(field(3, 2, b"INFO"))) is None


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests(), EDITS)
def test_damaged_payloads_are_read_as_protobuf_reads_them_or_left_to_it(req: ExportLogsServiceRequest, edits) -> None:
    """Flipped, inserted and deleted bytes: whatever the compiled reader takes, upb takes too, with the same rows."""
    data = damaged(req.SerializeToString(), edits)
    got = read_logs(data)
    if got is None:
        return
    assert_same_rows(got, reference(data))  # reference raises if upb refuses what the reader took
