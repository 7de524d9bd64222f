"""s3_polling end to end against a real S3 API (moto server on loopback): parsers, gzip, cursor, late files,
malformed input, credential rotation and assumed roles."""

from __future__ import annotations

import gzip
import json

import pytest

from governance_pipeline.ingest import run_pull
from governance_pipeline.s3.client import S3AccessError
from tests.s3.conftest import ASSUME_ONLY, FIXTURES, lake_rows, load_source, quarantine_rows, runtime_for
from tests.s3.sources import s3_polling

PARSER_FIXTURES = [
    ("ndjson", "ndjson/sample.ndjson", 10),
    ("csv", "csv/sample.csv", 12),
    ("json-array", "json_array/sample.json", 10),
]


def pull(yaml_text, lake, cursor=None):
    sources, source = load_source(yaml_text)
    return run_pull(source, runtime_for(sources, lake), cursor)


@pytest.mark.parametrize("parser,fixture,count", PARSER_FIXTURES)
def test_each_parser_lands_every_event(moto, aws_env, tmp_path, parser, fixture, count):
    bucket = moto.bucket()
    moto.put(bucket, "drops/2026/10/01/part-0", (FIXTURES / fixture).read_bytes())
    outcome = pull(s3_polling(moto.url, bucket, parser), tmp_path)
    assert (outcome.events, outcome.new, outcome.errors) == (count, count, 0)
    assert json.loads(outcome.cursor)["max"] == "drops/2026/10/01/part-0"
    rows = lake_rows(tmp_path)
    assert len(rows) == count == len({r["source_event_id"] for r in rows})
    assert all(r["source_type"] == "s3_polling" and r["actor"] and str(r["date"]) == "2026-10-01" for r in rows)
    assert all(json.loads(r["raw_payload"]) for r in rows)
    assert {r["cost_source"] for r in rows} <= {"given", "computed"}


def test_csv_quoted_fields_and_missing_costs(moto, aws_env, tmp_path):
    bucket = moto.bucket()
    moto.put(bucket, "drops/a.csv", (FIXTURES / "csv/sample.csv").read_bytes())
    pull(s3_polling(moto.url, bucket, "csv"), tmp_path)
    rows = {r["source_event_id"]: r for r in lake_rows(tmp_path)}
    assert json.loads(rows["csv_4d998bdfc800b9ac"]["raw_payload"])["note"] == 'quarterly "forecast", EMEA'
    missing = rows["csv_080f64de4d9ed145"]  # row 5: gpt-4o-mini, 3580 in / 13 out, empty cost
    assert missing["cost_source"] == "computed"
    assert missing["cost_usd"] == pytest.approx(3580 * 0.15e-6 + 13 * 0.6e-6)
    assert rows["csv_0716e840b079bfb9"]["cost_source"] == "given"
    assert rows["csv_0716e840b079bfb9"]["cost_usd"] == pytest.approx(0.003928)
    assert (missing["tokens_input"], missing["tokens_output"]) == (3580, 13)


def test_gzip_is_detected_from_bytes_not_names(moto, aws_env, tmp_path):
    bucket = moto.bucket()
    plain = (FIXTURES / "ndjson/sample.ndjson").read_bytes()
    lines = plain.splitlines(keepends=True)
    moto.put(bucket, "drops/1-no-gz-name.ndjson", (FIXTURES / "ndjson/sample_gzipped.ndjson").read_bytes())
    moto.put(bucket, "drops/2-named.ndjson.gz", gzip.compress(b"".join(lines[:3]).replace(b"ndjson_", b"gz2_")))
    moto.put(bucket, "drops/3-plain-but-named.gz", b"".join(lines[:2]).replace(b"ndjson_", b"plain3_"))
    outcome = pull(s3_polling(moto.url, bucket), tmp_path)
    assert (outcome.new, outcome.errors) == (15, 0)


@pytest.mark.parametrize(
    "parser,fixture,count,line",
    [
        ("ndjson", "ndjson/sample_bad.ndjson", 9, 4),
        ("csv", "csv/sample_bad.csv", 11, 8),
        ("json-array", "json_array/sample_bad.json", 10, 58),
    ],
)
def test_malformed_records_are_quarantined_and_the_rest_lands(moto, aws_env, tmp_path, parser, fixture, count, line):
    bucket = moto.bucket()
    moto.put(bucket, "drops/bad-file", (FIXTURES / fixture).read_bytes())
    outcome = pull(s3_polling(moto.url, bucket, parser), tmp_path)
    assert (outcome.new, outcome.errors, outcome.quarantined) == (count, 1, 1)
    assert outcome.events == count + 1
    assert len(lake_rows(tmp_path)) == count
    (bad,) = quarantine_rows(tmp_path)
    assert bad["file"] == "drops/bad-file" and bad["line"] == line and bad["error"]


def test_truncated_gzip_keeps_complete_lines(moto, aws_env, tmp_path):
    bucket = moto.bucket()
    data = gzip.compress((FIXTURES / "ndjson/sample.ndjson").read_bytes())
    moto.put(bucket, "drops/cut.gz", data[: len(data) - 12])
    outcome = pull(s3_polling(moto.url, bucket), tmp_path)
    assert outcome.errors == 1 and 0 < outcome.new < 10
    assert "truncated gzip" in quarantine_rows(tmp_path)[0]["error"]


def _events(prefix: str, n: int, day: str = "2026-10-01") -> bytes:
    return b"".join(
        json.dumps(
            {
                "id": f"{prefix}-{i}",
                "created_at": f"{day}T10:{i:02d}:00Z",
                "user": {"email": "a@example.com"},
                "event_type": "chat",
                "model": "gpt-4o",
                "usage": {"input_tokens": 10, "output_tokens": 5, "cost": 0.1},
            }
        ).encode()
        + b"\n"
        for i in range(n)
    )


def test_cursor_resumes_and_catches_late_files(moto, aws_env, tmp_path):
    bucket = moto.bucket()
    text = s3_polling(moto.url, bucket)
    moto.put(bucket, "drops/2026/10/01/10.ndjson", _events("h10", 3))
    moto.put(bucket, "drops/2026/10/01/12.ndjson", _events("h12", 3))
    first = pull(text, tmp_path)
    assert first.new == 6

    again = pull(text, tmp_path, first.cursor)
    assert (again.events, again.new) == (0, 0)

    moto.put(bucket, "drops/2026/10/01/13.ndjson", _events("h13", 2))
    moto.put(bucket, "drops/2026/10/01/11.ndjson", _events("h11", 4))  # late: sorts below the max key
    third = pull(text, tmp_path, again.cursor)
    assert (third.events, third.new) == (6, 6)
    cursor = json.loads(third.cursor)
    assert cursor["max"] == "drops/2026/10/01/13.ndjson" and "drops/2026/10/01/11.ndjson" in cursor["seen"]
    assert len(lake_rows(tmp_path)) == 12

    # An object rewritten in place (new ETag) is read again; the lake keeps each event once.
    moto.put(bucket, "drops/2026/10/01/12.ndjson", _events("h12", 5))
    fourth = pull(text, tmp_path, third.cursor)
    assert (fourth.events, fourth.new, fourth.duplicates) == (5, 2, 3)


def test_late_file_below_the_overlap_is_not_read(moto, aws_env, tmp_path):
    bucket = moto.bucket()
    text = s3_polling(moto.url, bucket, extra={"lateFileOverlap": 1})
    for hour in ("10", "12", "13"):
        moto.put(bucket, f"drops/{hour}.ndjson", _events(f"h{hour}", 1))
    first = pull(text, tmp_path)
    moto.put(bucket, "drops/11.ndjson", _events("h11", 1))  # below the floor (only the newest key is kept)
    moto.put(bucket, "drops/14.ndjson", _events("h14", 1))
    second = pull(text, tmp_path, first.cursor)
    assert second.new == 1 and json.loads(second.cursor)["seen"] == {
        "drops/14.ndjson": moto.client().head_object(Bucket=bucket, Key="drops/14.ndjson")["ETag"].strip('"')[:16]
    }


def test_seed_cursor_a_bare_key_still_works(moto, aws_env, tmp_path):
    bucket = moto.bucket()
    moto.put(bucket, "drops/a.ndjson", _events("a", 1))
    moto.put(bucket, "drops/b.ndjson", _events("b", 2))
    outcome = pull(s3_polling(moto.url, bucket), tmp_path, cursor="drops/a.ndjson")
    assert outcome.new == 2


def test_credentials_are_resolved_on_every_run(moto, aws_env, tmp_path):
    bucket = moto.bucket()
    text = s3_polling(moto.url, bucket)
    moto.put(bucket, "drops/1.ndjson", _events("one", 2))
    aws_env.setenv("TEST_S3_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    aws_env.setenv("TEST_S3_SECRET", "not-the-secret")
    with pytest.raises(S3AccessError, match="InvalidAccessKeyId") as err:
        pull(text, tmp_path)
    assert "not-the-secret" not in str(err.value) and bucket in str(err.value)

    first_key = moto.new_user(
        "rotating-1", {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    )
    aws_env.setenv("TEST_S3_KEY_ID", first_key[0])
    aws_env.setenv("TEST_S3_SECRET", first_key[1])
    first = pull(text, tmp_path)
    assert first.new == 2

    # Rotation: a new key for another user, the old one deleted; the next run must use the new one.
    second_key = moto.new_user(
        "rotating-2", {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    )
    moto.client("iam").delete_access_key(UserName="rotating-1", AccessKeyId=first_key[0])
    aws_env.setenv("TEST_S3_KEY_ID", second_key[0])
    aws_env.setenv("TEST_S3_SECRET", second_key[1])
    moto.put(bucket, "drops/2.ndjson", _events("two", 3))
    assert pull(text, tmp_path, first.cursor).new == 3


def test_role_is_assumed_each_run(moto, aws_env, tmp_path):
    bucket = moto.bucket()
    moto.put(bucket, "drops/1.ndjson", _events("r", 2))
    key = moto.new_user("assume-only", ASSUME_ONLY)
    aws_env.setenv("TEST_S3_KEY_ID", key[0])
    aws_env.setenv("TEST_S3_SECRET", key[1])
    with pytest.raises(S3AccessError, match="AccessDenied"):
        pull(s3_polling(moto.url, bucket), tmp_path)
    outcome = pull(s3_polling(moto.url, bucket, extra={"roleArn": moto.role_arn}), tmp_path)
    assert outcome.new == 2


def test_default_credential_chain(moto, aws_env, tmp_path):
    bucket = moto.bucket()
    moto.put(bucket, "drops/1.ndjson", _events("chain", 1))
    aws_env.setenv("AWS_ACCESS_KEY_ID", moto.admin[0])
    aws_env.setenv("AWS_SECRET_ACCESS_KEY", moto.admin[1])
    aws_env.delenv("AWS_SESSION_TOKEN", raising=False)
    aws_env.delenv("AWS_PROFILE", raising=False)
    text = s3_polling(moto.url, bucket).replace('"credentialRef": "aws", ', "")
    assert pull(text, tmp_path).new == 1


def test_backfill_rereads_every_object_and_keeps_the_window(moto, aws_env, tmp_path):
    from datetime import date

    from governance_pipeline.pull_types import Window

    bucket = moto.bucket()
    moto.put(bucket, "drops/1.ndjson", _events("d1", 2, "2026-10-01"))
    moto.put(bucket, "drops/2.ndjson", _events("d2", 3, "2026-10-02"))
    sources, source = load_source(s3_polling(moto.url, bucket))
    first = run_pull(source, runtime_for(sources, tmp_path), None)
    window = Window.for_dates(date(2026, 10, 2), date(2026, 10, 2))
    backfill = run_pull(source, runtime_for(sources, tmp_path), first.cursor, window)
    assert backfill.events == 5 and backfill.rows_by_date == {"2026-10-02": 3} and backfill.cursor == first.cursor
    assert len(lake_rows(tmp_path)) == 5


def test_a_read_that_fails_mid_run_moves_no_cursor_and_the_rerun_lands_each_event_once(
    moto, aws_env, tmp_path, monkeypatch
):
    """The failure happens on the read-ahead thread while earlier objects are being mapped and written: it
    must reach the run, which then commits nothing."""
    from governance_pipeline.s3 import drops as drops_module
    from governance_pipeline.s3.client import access_error

    bucket = moto.bucket()
    text = s3_polling(moto.url, bucket)
    for hour in ("10", "11", "12"):
        moto.put(bucket, f"drops/2026/10/01/{hour}.ndjson", _events(f"h{hour}", 4))
    real_get = drops_module.S3Drops._get

    def denied_on_the_last(self, client, obj):
        if obj.key.endswith("12.ndjson"):
            raise access_error(self.location, f"read {obj.key} in", RuntimeError("AccessDenied"))
        return real_get(self, client, obj)

    monkeypatch.setattr(drops_module.S3Drops, "_get", denied_on_the_last)
    with pytest.raises(S3AccessError, match=r"12\.ndjson"):
        pull(text, tmp_path)
    monkeypatch.setattr(drops_module.S3Drops, "_get", real_get)
    rerun = pull(text, tmp_path)  # the cursor was never committed: start again from nothing
    assert (rerun.events, rerun.errors) == (12, 0)
    rows = lake_rows(tmp_path)
    assert len(rows) == 12 == len({r["source_event_id"] for r in rows})
    assert json.loads(rerun.cursor)["max"] == "drops/2026/10/01/12.ndjson"
