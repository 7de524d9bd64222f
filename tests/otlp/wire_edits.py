"""Hand-made protobuf wire bytes and damaged payloads, for the tests of the compiled readers."""

from __future__ import annotations

from hypothesis import strategies as st

from governance_pipeline.otlp.wire import encode_varint

EDITS = st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255), st.sampled_from("fid")), max_size=4)
"""Up to four edits of a payload: (where, which byte, flip / insert / delete)."""


def field(number: int, wire_type: int, body: bytes) -> bytes:
    key = encode_varint(number << 3 | wire_type)
    return key + (encode_varint(len(body)) + body if wire_type == 2 else body)


def in_one_request(item: bytes) -> bytes:
    """A request whose first resource's first scope holds ``item`` (a span, or a log record)."""
    return field(1, 2, field(2, 2, field(2, 2, item)))


def damaged(payload: bytes, edits: list[tuple[int, int, str]]) -> bytes:
    """``payload`` with bytes flipped (f), inserted (i) and deleted (d) as ``edits`` say."""
    out = bytearray(payload)
    for at, byte, how in edits:
        i = at % (len(out) + 1)
        if how == "f" and i < len(out):
            out[i] ^= byte or 1
        elif how == "i":
            out.insert(i, byte)
        elif i < len(out):
            del out[i]
    return bytes(out)
