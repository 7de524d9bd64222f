"""A poisoned record in an S3 file (NDJSON on the block path and the row path, CSV, JSON array) is quarantined with
file, line and reason; the rest of the file lands and the pull succeeds."""

from __future__ import annotations

import json

import pytest

from governance_pipeline.ingest import run_pull
from tests.s3.conftest import lake_rows, load_source, quarantine_rows, runtime_for
from tests.s3.sources import s3_polling


def record(i: int, tokens: object = 10) -> dict:
    return {
        "id": f"r{i:03d}",
        "created_at": f"2026-10-01T10:{i % 60:02d}:00Z",
        "event_type": "chat",
        "user": {"email": f"u{i}@example.com"},
        "model": "gpt-4o",
        "usage": {"cost": 0.01, "input_tokens": tokens, "output_tokens": 2},
    }


def pull(yaml_text, lake):
    sources, source = load_source(yaml_text)
    return run_pull(source, runtime_for(sources, lake), None)


BAD_TOKENS = [1e30, "99999999999999999999", 99999999999999999999]


@pytest.mark.parametrize("tokens", BAD_TOKENS, ids=["1e30", "string-20-digits", "int-20-digits"])
@pytest.mark.parametrize("parser", ["ndjson", "json-array"])
def test_an_out_of_range_token_count_is_quarantined_json(moto, aws_env, tmp_path, parser, tokens):
    bucket = moto.bucket()
    records = [record(i) for i in range(200)]
    records[57] = record(57, tokens)
    if parser == "ndjson":
        body = b"".join(json.dumps(r).encode() + b"\n" for r in records)
    else:
        body = ("[\n" + ",\n".join(json.dumps(r) for r in records) + "\n]\n").encode()
    moto.put(bucket, "drops/2026/10/01/part-0", body)
    out = pull(s3_polling(moto.url, bucket, parser), tmp_path)
    assert (out.events, out.new, out.errors, out.quarantined) == (200, 199, 1, 1)
    ids = [r["source_event_id"] for r in lake_rows(tmp_path, "source_event_id")]
    assert ids == [f"r{i:03d}" for i in range(200) if i != 57]
    (bad,) = quarantine_rows(tmp_path)
    assert (
        bad["file"] == "drops/2026/10/01/part-0"
        and bad["line"] == (58 if parser == "ndjson" else 59)
        and "tokens_input" in bad["error"]
    )


@pytest.mark.parametrize("tokens", ["1e30", "99999999999999999999"])
def test_an_out_of_range_token_count_is_quarantined_csv(moto, aws_env, tmp_path, tokens):
    bucket = moto.bucket()
    head = "event_id,timestamp,user_email,action,model,input_tokens,output_tokens,cost_usd\n"
    rows = [
        f"c{i},2026-10-01T10:00:00Z,u{i}@example.com,chat,gpt-4o,{tokens if i == 3 else 5},1,0.1\n" for i in range(6)
    ]
    moto.put(bucket, "drops/a.csv", (head + "".join(rows)).encode())
    out = pull(s3_polling(moto.url, bucket, "csv"), tmp_path)
    assert (out.events, out.new, out.errors) == (6, 5, 1)
    (bad,) = quarantine_rows(tmp_path)
    assert bad["line"] == 5 and "tokens_input" in bad["error"]
