"""Protobuf wire-format varints, for the few places that walk or build messages without decoding them
(the landing envelope, salvaging landed files, the gRPC-style error body of a refusal)."""

from __future__ import annotations

from collections.abc import Iterator


def read_varint(data: bytes | memoryview, pos: int, error: type[Exception]) -> tuple[int, int]:
    """(value, position after it); raises ``error`` on a truncated or overlong varint."""
    result = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise error("truncated or overlong varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def fields(data: bytes | memoryview, error: type[Exception]) -> Iterator[tuple[int, int, int, int]]:
    """``(field number, wire type, start, end)`` of each field of one message, in order: ``data[start:end]`` is
    the value (a varint's own bytes, a fixed-width value, or a length-delimited field's content). Raises ``error``
    on a truncated field or a wire type other than varint, 64-bit, length-delimited and 32-bit."""
    pos = 0
    while pos < len(data):
        key, pos = read_varint(data, pos, error)
        wire_type = key & 7
        if wire_type == 2:
            size, pos = read_varint(data, pos, error)
        elif wire_type == 0:
            start = pos
            _, pos = read_varint(data, pos, error)
            size, pos = pos - start, start
        elif wire_type in (1, 5):
            size = 8 if wire_type == 1 else 4
        else:
            raise error(f"field {key >> 3} has wire type {wire_type}")
        if pos + size > len(data):
            raise error("truncated field")
        yield key >> 3, wire_type, pos, pos + size
        pos += size


def encode_varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)
