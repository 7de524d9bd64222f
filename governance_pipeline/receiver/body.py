"""Request bodies read as a stream and decompressed on the fly, with the size limit enforced on the output.

A compressed body is never inflated beyond ``limit + 1`` bytes: a small gzip bomb costs at most the limit in
memory and CPU before it is refused with 413.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator

import brotli

ENCODINGS = ("identity", "gzip", "x-gzip", "deflate", "br")


class BodyTooLarge(Exception):
    pass


class BadEncoding(Exception):
    """The bytes do not decompress with the declared ``Content-Encoding``."""


class _Zlib:
    def __init__(self, wbits: int):
        self._d = zlib.decompressobj(wbits)
        self._raw_fallback = wbits == zlib.MAX_WBITS  # HTTP "deflate" is zlib-wrapped, but some send raw
        self._started = False

    def feed(self, chunk: bytes, room: int) -> bytes:
        try:
            out = self._d.decompress(chunk, room)
        except zlib.error as exc:
            if self._raw_fallback and not self._started:
                self._d, self._raw_fallback = zlib.decompressobj(-zlib.MAX_WBITS), False
                return self.feed(chunk, room)
            raise BadEncoding(f"invalid compressed data: {exc}") from None
        self._started = True
        if self._d.unconsumed_tail:
            raise BodyTooLarge
        return out

    def finish(self) -> None:
        if not self._d.eof:
            raise BadEncoding("compressed data is truncated")


class _Brotli:
    def __init__(self):
        self._d = brotli.Decompressor()

    def feed(self, chunk: bytes, room: int) -> bytes:
        try:
            out = self._d.process(chunk, output_buffer_limit=room)
            if len(out) >= room and not self._d.can_accept_more_data():
                raise BodyTooLarge
        except brotli.error as exc:
            raise BadEncoding(f"invalid brotli data: {exc}") from None
        return out

    def finish(self) -> None:
        if not self._d.is_finished():
            raise BadEncoding("brotli data is truncated")


def _decoder(encoding: str):
    if encoding in ("gzip", "x-gzip"):
        return _Zlib(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return _Zlib(zlib.MAX_WBITS)
    if encoding == "br":
        return _Brotli()
    return None


async def read_body(chunks: AsyncIterator[bytes], encoding: str, limit: int) -> tuple[bytes, int]:
    """(decompressed body, bytes on the wire); raises ``BodyTooLarge`` or ``BadEncoding``."""
    decoder = _decoder(encoding)
    out = bytearray()
    wire = 0
    async for chunk in chunks:
        wire += len(chunk)
        if wire > limit:
            raise BodyTooLarge
        if decoder is None:
            out += chunk
        elif chunk:
            out += decoder.feed(chunk, limit + 1 - len(out))
        if len(out) > limit:
            raise BodyTooLarge
    if decoder is not None and wire:
        decoder.finish()
    return bytes(out), wire
