"""openai_compliance over the S3 engine, the sensors' run requests, and config validation."""

from __future__ import annotations

import gzip
import json
import re

import pytest

from governance_pipeline.config.errors import ConfigError
from governance_pipeline.ingest import run_pull
from governance_pipeline.sources_file import parse_sources
from tests.s3.conftest import ASSUME_ONLY, FIXTURES, lake_rows, load_source, runtime_for
from tests.s3.sources import openai_compliance, s3_polling


def test_openai_compliance_maps_the_hourly_drop(moto, aws_env, tmp_path):
    bucket = moto.bucket()
    moto.put(
        bucket,
        "compliance/2026/10/01/00/events.jsonl.gz",
        (FIXTURES / "openai_compliance/sample.jsonl.gz").read_bytes(),
    )
    moto.put(bucket, "elsewhere/ignored.jsonl", b'{"id": "nope"}\n')
    key = moto.new_user("openai-assume-only", ASSUME_ONLY)  # may only assume the role
    aws_env.setenv("TEST_S3_KEY_ID", key[0])
    aws_env.setenv("TEST_S3_SECRET", key[1])
    sources, source = load_source(openai_compliance(moto.url, bucket, moto.role_arn))
    assert source.config.prefix == "compliance/" and source.config.pollEverySec == 60
    outcome = run_pull(source, runtime_for(sources, tmp_path), None)
    assert (outcome.events, outcome.new, outcome.errors) == (20, 20, 0)
    assert outcome.unpriced_models == {}
    rows = lake_rows(tmp_path)
    first = next(r for r in rows if r["source_event_id"] == "cmpl_evt_916b2211c289a2a053f583a5")
    assert first["actor"] == "dana.lee@example.com" and first["action"] == "conversation.message.created"
    assert (first["target"], first["model"], first["provider"]) == ("gpt-4o", "gpt-4o", "openai")
    assert (first["tokens_input"], first["tokens_output"]) == (2421, 227)
    assert first["cost_source"] == "computed" and first["cost_usd"] == pytest.approx(2421 * 2.5e-6 + 227 * 10e-6)
    assert first["event_type"] == "api.call" and first["conversation_id"] == "conv_5344e96224aa1665"
    assert json.loads(first["flags"]) == {
        "pii": False,
        "secrets": False,
        "self_harm": False,
        "violence": False,
        "sensitivity": "general",
    }
    assert json.loads(first["raw_payload"])["content_classification"]["sensitivity"] == "general"
    assert first["event_timestamp"].timestamp() == 1790834575
    upload = next(r for r in rows if json.loads(r["raw_payload"])["type"] == "conversation.file.uploaded")
    assert upload["model"] is None and upload["cost_source"] == "none" and upload["cost_usd"] == 0
    assert upload["event_type"] == "agent.action" and upload["tokens_input"] == 0


def test_openai_compliance_cached_and_reasoning_tokens(moto, aws_env, tmp_path):
    record = {
        "id": "evt_cache_1",
        "type": "conversation.message.created",
        "created_at": 1790834575,
        "user": {"email": "li.wei@example.com"},
        "model": "gpt-4o",
        "conversation_id": "conv_1",
        "usage": {
            "prompt_tokens": 3000,
            "completion_tokens": 200,
            "prompt_tokens_details": {"cached_tokens": 2048},
            "completion_tokens_details": {"reasoning_tokens": 0},
        },
    }
    bucket = moto.bucket()
    moto.put(bucket, "compliance/2026/10/01/00/events.jsonl.gz", gzip.compress(json.dumps(record).encode() + b"\n"))
    key = moto.new_user("openai-assume-only-2", ASSUME_ONLY)
    aws_env.setenv("TEST_S3_KEY_ID", key[0])
    aws_env.setenv("TEST_S3_SECRET", key[1])
    sources, source = load_source(openai_compliance(moto.url, bucket, moto.role_arn))
    assert run_pull(source, runtime_for(sources, tmp_path), None).new == 1
    (row,) = lake_rows(tmp_path)
    assert (row["tokens_input"], row["tokens_cache_read"], row["tokens_reasoning"]) == (3000, 2048, 0)
    # OpenAI's prompt_tokens include the cached ones: 952 at $2.50, 2048 at $1.25, 200 out at $10 per million
    assert row["cost_usd"] == pytest.approx(952 * 2.5e-6 + 2048 * 1.25e-6 + 200 * 10e-6)


@pytest.mark.parametrize(
    "config,message",
    [
        ({"bucket": "b"}, "config.roleArn: Field required"),
        ({"bucket": "ok-bucket", "roleArn": "role/x"}, "config.roleArn: invalid role ARN"),
        (
            {"bucket": "ok-bucket", "roleArn": "arn:aws:iam::123456789012:role/r", "parser": "csv"},
            "config.parser: unknown key",
        ),
        (
            {"bucket": "Bad_Bucket!", "roleArn": "arn:aws:iam::123456789012:role/r"},
            "config.bucket: invalid bucket name",
        ),
    ],
)
def test_openai_compliance_config_errors(config, message):
    text = "sources:\n  - " + json.dumps({"id": "oa", "type": "openai_compliance", "config": config}) + "\n"
    with pytest.raises(ConfigError) as err:
        parse_sources(text)
    assert f"sources.yaml: source 'oa': {message}" in str(err.value)


@pytest.mark.parametrize(
    "patch,message",
    [
        ({"parser": "xml"}, "config.parser: Input should be 'ndjson', 'csv' or 'json-array'"),
        ({"endpointUrl": "localhost:9000"}, "config.endpointUrl: must be an http(s) URL"),
        ({"eventMapping": {"actor": "$.user["}}, "config.eventMapping.actor"),
        ({"bukket": "x"}, "config.bukket: unknown key"),
        ({"lateFileOverlap": -1}, "config.lateFileOverlap"),
    ],
)
def test_s3_polling_config_errors(patch, message):
    config = {"bucket": "drops", "parser": "ndjson", "eventMapping": {"source_event_id": "$.id"}, **patch}
    text = "sources:\n  - " + json.dumps({"id": "s3src", "type": "s3_polling", "config": config}) + "\n"
    with pytest.raises(ConfigError) as err:
        parse_sources(text)
    assert f"sources.yaml: source 's3src': {message}" in str(err.value)


def test_credential_set_needs_aws_keys():
    text = "credentials:\n  aws: {token: {env: X}}\nsources:\n  - " + json.dumps(
        {"id": "s3src", "type": "s3_polling", "config": {"bucket": "drops", "credentialRef": "aws", "eventMapping": {}}}
    )
    with pytest.raises(
        ConfigError, match=re.escape("config.credentialRef: credential set 'aws' lacks accessKeyId, secretAccessKey")
    ):
        parse_sources(text)


def test_sensor_poll_requests_runs_named_by_key_and_etag(moto, aws_env, tmp_path):
    bucket = moto.bucket()
    sources, source = load_source(s3_polling(moto.url, bucket))
    adapter = source.adapter_cls(source, runtime_for(sources, tmp_path))
    empty = adapter.sensor_poll(None)
    assert empty.run_keys == [] and empty.cursor is None and "no new objects" in empty.skip_reason

    etag_a = moto.put(bucket, "drops/a.ndjson", b"{}\n")
    etag_b = moto.put(bucket, "drops/b.ndjson", b"{}\n")
    poll = adapter.sensor_poll(None)
    assert poll.run_keys == [f"drops/a.ndjson@{etag_a},drops/b.ndjson@{etag_b}"]
    assert adapter.sensor_poll(poll.cursor).run_keys == []

    etag_b2 = moto.put(bucket, "drops/b.ndjson", b'{"changed": true}\n')  # rewritten: new ETag, new run
    late = moto.put(bucket, "drops/0-late.ndjson", b"{}\n")  # below the floor: not seen by the sensor
    again = adapter.sensor_poll(poll.cursor)
    assert again.run_keys == [f"drops/b.ndjson@{etag_b2}"] and late not in again.run_keys[0]

    for i in range(12):
        moto.put(bucket, f"drops/c{i:02d}.ndjson", b"{}\n")
    many = adapter.sensor_poll(again.cursor)
    (key,) = many.run_keys
    assert key.startswith("12 objects drops/c00.ndjson@") and "#" in key
    assert json.loads(many.cursor)["max"] == "drops/c11.ndjson"


def test_sensor_poll_resolves_credentials_each_tick(moto, aws_env, tmp_path):
    bucket = moto.bucket()
    moto.put(bucket, "drops/a.ndjson", b"{}\n")
    sources, source = load_source(s3_polling(moto.url, bucket))
    adapter = source.adapter_cls(source, runtime_for(sources, tmp_path))
    assert adapter.sensor_poll(None).run_keys
    aws_env.setenv("TEST_S3_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    with pytest.raises(Exception, match="InvalidAccessKeyId"):
        adapter.sensor_poll(None)
