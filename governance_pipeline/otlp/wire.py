"""Protobuf wire-format varints, for the few places that walk or build messages without decoding them
(the landing envelope, salvaging landed files, the gRPC-style error body of a refusal)."""

from __future__ import annotations


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
