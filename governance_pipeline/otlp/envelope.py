"""Several OTLP signals in one landing file, kept apart by their top-level protobuf field number.

Every OTLP export request has a single top-level field, number 1, repeated: ``ResourceSpans`` in
``ExportTraceServiceRequest``, ``ResourceLogs`` in ``ExportLogsServiceRequest``, ``ResourceMetrics`` in
``ExportMetricsServiceRequest``. A landing file is the concatenation of such entries where the field number
names the signal: 1 traces, 2 logs, 3 metrics. A file holding only traces is therefore still exactly a
serialized ``ExportTraceServiceRequest`` (every file landed before logs existed is one), concatenating two
envelopes is an envelope (so the group committer joins requests of any signal into one file), and the pull
splits a file back into one request per signal without decoding any record.
"""

from __future__ import annotations

from governance_pipeline.otlp.json_decode import OtlpDecodeError
from governance_pipeline.otlp.wire import encode_varint, fields

TRACES, LOGS, METRICS = 1, 2, 3
SIGNALS = {"traces": TRACES, "logs": LOGS, "metrics": METRICS}


class EnvelopeError(OtlpDecodeError):
    """The bytes are not a sequence of length-delimited top-level fields."""


def _entries(data: bytes) -> list[tuple[int, int, int, int]]:
    """(field number, wire type, start of the value, end of the value) of each top-level field."""
    return list(fields(memoryview(data), EnvelopeError))


def wrap(request: bytes, field: int) -> bytes:
    """A serialized OTLP export request as envelope entries of ``field``.

    Only the request's field 1 is kept: an unknown top-level field in a request (which protobuf parsing
    tolerates) must not land as an entry of another signal.
    """
    entries = _entries(request)
    if field == 1 and all(f == 1 and w == 2 for f, w, _, _ in entries):
        return request
    tag = encode_varint(field << 3 | 2)
    return b"".join(
        tag + encode_varint(end - start) + request[start:end] for f, w, start, end in entries if f == 1 and w == 2
    )


def split(data: bytes) -> dict[int, bytes]:
    """Envelope bytes -> {field: serialized OTLP export request of that signal}; unknown fields are dropped."""
    entries = _entries(data)
    if all(f == TRACES and w == 2 for f, w, _, _ in entries):
        return {TRACES: data} if data else {}
    parts: dict[int, list[bytes]] = {}
    for f, w, start, end in entries:
        if w == 2:
            parts.setdefault(f, []).append(b"\x0a" + encode_varint(end - start) + data[start:end])
    return {f: b"".join(chunks) for f, chunks in parts.items()}
