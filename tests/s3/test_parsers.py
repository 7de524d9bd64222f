"""Streaming decode, line-aligned blocks and the CSV and JSON array parsers, fed in tiny and large chunks (no network;
NDJSON lines are decoded by ``RecordMapper``: tests/mapping/test_records.py)."""

from __future__ import annotations

import gzip
import json
import zlib

import pytest

from governance_pipeline.s3.jsonarray import iter_elements
from governance_pipeline.s3.parsers import parse
from governance_pipeline.s3.stream import StreamError, decoded, line_aligned
from tests.s3.conftest import FIXTURES


def chunks(data: bytes, size: int):
    return (data[i : i + size] for i in range(0, len(data), size))


def run(kind: str, data: bytes, size: int = 3, batch_rows: int = 20_000):
    batches = list(parse(kind, decoded(chunks(data, size)), "k", batch_rows))
    return (
        [r for b in batches for r in b.records],
        [r for b in batches for r in b.raws],
        [x for b in batches for x in b.bad],
    )


@pytest.mark.parametrize("size", [1, 2, 7, 1 << 20])
def test_gzip_sniffed_whatever_the_chunking(size):
    plain = (FIXTURES / "ndjson/sample.ndjson").read_bytes()
    assert b"".join(decoded(chunks((FIXTURES / "ndjson/sample_gzipped.ndjson").read_bytes(), size))) == plain
    assert b"".join(decoded(chunks(plain, size))) == plain


def test_multi_member_gzip_and_bounded_output_steps():
    part = b'{"a": 1}\n' * 200_000
    data = gzip.compress(part) + gzip.compress(part)
    pieces = list(decoded([data]))
    assert b"".join(pieces) == part * 2
    assert max(len(p) for p in pieces) <= 8 << 20  # a highly compressed chunk does not inflate in one go


def test_corrupt_gzip_is_a_file_error():
    data = gzip.compress(b'{"a": 1}\n' * 10)
    with pytest.raises(StreamError, match=r"corrupt gzip|truncated"):
        b"".join(decoded([data[:10] + b"garbage-garbage" + data[25:]]))
    _records, _, bad = run("json-array", gzip.compress(b'[{"a": 1}, {"a": 2}]')[:-12])
    assert bad and "truncated" in bad[-1]["error"]


@pytest.mark.parametrize("chunk", [1, 5, 64, 1000, 4096])
@pytest.mark.parametrize("size", [1, 50, 300, 10_000])
def test_line_aligned_blocks_hold_the_whole_content_cut_at_line_ends(chunk, size):
    data = b"".join(b'{"n": %d, "pad": "%s"}\n' % (i, b"x" * (i * 37 % 90)) for i in range(200)) + b'{"last": 1}'
    blocks = list(line_aligned(chunks(data, chunk), size))
    assert b"".join(blocks) == data + b"\n"  # the unterminated last line gets its newline
    assert all(type(b) is bytes and b.endswith(b"\n") for b in blocks)
    longest = max(len(line) + 1 for line in data.split(b"\n"))
    assert all(len(b) > size - longest for b in blocks[:-1])  # about ``size``: cut at the last line end


def test_line_aligned_gives_the_complete_lines_before_a_broken_stream():
    def broken():
        yield b'{"a": 1}\n{"a": 2}\n{"a"'
        raise StreamError("truncated gzip stream")

    got = []
    with pytest.raises(StreamError):
        for block in line_aligned(broken(), 1 << 20):
            got.append(block)
    assert got == [b'{"a": 1}\n{"a": 2}\n']


def test_csv_multiline_quoted_field_and_bom():
    data = '\ufeffid,note,cost\n1,"two\nlines, and ""quotes""",\n2,plain,0.5\n3,short\n'.encode()
    records, raws, bad = run("csv", data, size=4)
    assert records == [
        {"id": "1", "note": 'two\nlines, and "quotes"', "cost": None},
        {"id": "2", "note": "plain", "cost": "0.5"},
    ]
    assert json.loads(raws[0])["note"].startswith("two")
    assert [(b["line"], b["error"]) for b in bad] == [(5, "expected 3 fields, got 2")]


def test_json_array_elements_with_strings_holding_brackets():
    data = b' [ {"a": "x]},{[\\"y"}, {"b": [1, {"c": 2}]},\n "str", 3, {"d": null} ] \n'
    assert [t for _, t in iter_elements(chunks(data, 2))] == [
        b'{"a": "x]},{[\\"y"}',
        b'{"b": [1, {"c": 2}]}',
        b'"str"',
        b"3",
        b'{"d": null}',
    ]
    records, _, bad = run("json-array", data, size=5)
    assert records == [{"a": 'x]},{["y'}, {"b": [1, {"c": 2}]}, {"d": None}]
    assert [(b["line"], b["error"]) for b in bad] == [
        (2, "expected a JSON object, got str"),
        (2, "expected a JSON object, got int"),
    ]


@pytest.mark.parametrize(
    "data,error",
    [
        (b'{"not": "an array"}', "expected a JSON array"),
        (b'[{"a": 1}, {"b"', "unterminated JSON array"),
        (b"[{}] x", "unexpected data"),
    ],
)
def test_json_array_structural_errors(data, error):
    _records, _, bad = run("json-array", data)
    assert error in bad[-1]["error"]


def test_empty_files():
    for kind in ("csv", "json-array"):
        assert run(kind, b"") == ([], [], [])
        assert run(kind, gzip.compress(b"")) == ([], [], [])
    for data in (b"", gzip.compress(b"")):  # NDJSON: no block to map
        assert list(line_aligned(decoded([data]), 1 << 20)) == []
    assert run("json-array", b"[]")[0] == []


def test_zlib_is_not_mistaken_for_gzip():
    data = zlib.compress(b"x")
    assert b"".join(decoded([data])) == data
