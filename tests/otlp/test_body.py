"""Streamed decompression: every supported encoding, the limit applied to the output, truncated input."""

from __future__ import annotations

import asyncio
import gzip
import time
import zlib

import brotli
import pytest

from governance_pipeline.receiver.body import BadEncoding, BodyTooLarge, read_body

PAYLOAD = b"resource spans " * 5000


def _raw_deflate(data: bytes) -> bytes:
    c = zlib.compressobj(wbits=-15)
    return c.compress(data) + c.flush()


def _read(data: bytes, encoding: str, limit: int = 1 << 20, chunk: int = 4096):
    async def chunks():
        for i in range(0, len(data), chunk):
            yield data[i : i + chunk]

    return asyncio.run(read_body(chunks(), encoding, limit))


@pytest.mark.parametrize(
    "encoding, data",
    [
        ("identity", PAYLOAD),
        ("gzip", gzip.compress(PAYLOAD)),
        ("deflate", zlib.compress(PAYLOAD)),
        ("deflate", _raw_deflate(PAYLOAD)),
        ("br", brotli.compress(PAYLOAD)),
    ],
    ids=["identity", "gzip", "deflate-zlib", "deflate-raw", "br"],
)
def test_each_encoding_round_trips(encoding, data):
    body, wire = _read(data, encoding)
    assert body == PAYLOAD and wire == len(data)


@pytest.mark.parametrize(
    "encoding, compress",
    [("gzip", gzip.compress), ("br", lambda b: brotli.compress(b, quality=1)), ("deflate", zlib.compress)],
)
def test_a_small_bomb_is_refused_without_inflating_it(encoding, compress):
    bomb = compress(b"\0" * (64 << 20))  # 64 MiB of zeros in well under 1 MiB
    assert len(bomb) < 1 << 20
    started = time.perf_counter()
    with pytest.raises(BodyTooLarge):
        _read(bomb, encoding, limit=1 << 20)
    assert time.perf_counter() - started < 5  # generous; the point is that 64 MiB are never inflated


def test_the_wire_size_is_limited_too():
    with pytest.raises(BodyTooLarge):
        _read(b"x" * 5000, "identity", limit=4096)


def test_exactly_the_limit_is_accepted():
    body, _ = _read(gzip.compress(b"y" * 4096), "gzip", limit=4096)
    assert len(body) == 4096


@pytest.mark.parametrize(
    "encoding, data", [("gzip", gzip.compress(PAYLOAD)[:-20]), ("gzip", b"not gzip at all"), ("br", b"\xff\xff\xff")]
)
def test_truncated_or_corrupt_data_is_a_bad_encoding(encoding, data):
    with pytest.raises(BadEncoding):
        _read(data, encoding)
