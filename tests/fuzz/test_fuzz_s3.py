"""Fuzz: S3 files (NDJSON on the block and row paths, CSV, JSON array) mixing good and hostile records, pulled from a
real S3 API. The pull never fails on record content; good records land once; bad ones are quarantined."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from governance_pipeline.ingest import run_pull
from tests.fuzz.helpers import check
from tests.fuzz.strategies import fuzz_settings, json_value, mixed
from tests.s3.conftest import load_source, runtime_for
from tests.s3.sources import s3_polling

# lines that are not records at all: not JSON, not an object, not UTF-8, nested beyond what orjson reads
junk_line = st.one_of(
    json_value.filter(lambda v: not isinstance(v, dict)).map(lambda v: json.dumps(v).encode()),
    st.just(b'{"id": "x\xff\xfe"}'),
    st.just(b'{"id": "deep", "x": ' + b"[" * 1100 + b"]" * 1100 + b"}"),
    st.just(b'{"id": "unterminated'),
    st.just(b'{"id": "nan", "usage": {"cost": NaN}}'),
)


def _pull(moto, parser: str, body: bytes):
    bucket = moto.bucket()
    moto.put(bucket, "drops/2026/10/01/part-0", body)
    lake = Path(tempfile.mkdtemp(prefix="fuzz-s3-"))
    sources, source = load_source(s3_polling(moto.url, bucket, parser))
    return run_pull(source, runtime_for(sources, lake), None), lake


def _ids(items, kind):
    return [rid for rid, _, k in items if k == kind]


@fuzz_settings(12)
@given(items=mixed(), junk=st.lists(st.tuples(junk_line, st.integers(0, 20)), max_size=3))
def test_ndjson(moto, aws_env, items, junk):
    lines = [json.dumps(r, ensure_ascii=False).encode() for _, r, _ in items]
    for line, at in junk:
        lines.insert(min(at, len(lines)), line)
    out, lake = _pull(moto, "ndjson", b"".join(line + b"\n" for line in lines))
    check(out, lake, _ids(items, "good"), _ids(items, "bad"), other_bad=len(junk))


@fuzz_settings(8)
@given(items=mixed())
def test_json_array(moto, aws_env, items):
    body = ("[\n" + ",\n".join(json.dumps(r) for _, r, _ in items) + "\n]").encode()
    out, lake = _pull(moto, "json-array", body)
    check(out, lake, _ids(items, "good"), _ids(items, "bad"))


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return v.replace("\x00", "")  # Python's csv module refuses NUL (such a row is quarantined as invalid CSV)
    return json.dumps(v) if isinstance(v, (dict, list, bool)) else str(v)


@fuzz_settings(8)
@given(items=mixed())
def test_csv(moto, aws_env, items):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_ALL)  # RFC 4180: a CR in a field is quoted
    w.writerow(["event_id", "timestamp", "user_email", "action", "model", "input_tokens", "output_tokens", "cost_usd"])
    for rid, r, _ in items:
        u = r["usage"]
        cells = [rid, r["created_at"], r["user"]["email"], r["event_type"], r["model"]]
        w.writerow([_cell(v) for v in (*cells, u["input_tokens"], u["output_tokens"], u["cost"])])
    out, lake = _pull(moto, "csv", buf.getvalue().encode())
    check(out, lake, _ids(items, "good"), _ids(items, "bad"))
