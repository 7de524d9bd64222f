"""The S3 sources inside the Dagster code location: the sensor (build_sensor_context) and ``govpipe pull``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import dagster as dg
from governance_pipeline.cli import main as govpipe
from governance_pipeline.defs.build import build_definitions
from governance_pipeline.defs.resources import LakeResource
from governance_pipeline.defs.state import load_state
from tests.s3.conftest import FIXTURES, lake_rows
from tests.s3.sources import openai_compliance, s3_polling


def _sources(env, monkeypatch, text: str) -> None:
    path = env / "sources.yaml"
    path.write_text(text)
    monkeypatch.setenv("GOVERNANCE_SOURCES", str(path))


def test_sensor_tick_requests_runs_keyed_on_etags(moto, aws_env, env, monkeypatch):
    bucket = moto.bucket()
    _sources(env, monkeypatch, openai_compliance(moto.url, bucket, moto.role_arn, pollEverySec=120))
    sensor = build_definitions().resolve_sensor_def("pull_drops_sensor")
    resources = {"lake": LakeResource(root=str(env / "lake"))}
    assert sensor.minimum_interval_seconds == 120
    with dg.instance_for_test() as instance:
        empty = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, resources=resources))
        assert empty.run_requests == [] and "no new objects under s3://" in empty.skip_message
        etag = moto.put(
            bucket, "compliance/2026/10/01/00/a.jsonl.gz", (FIXTURES / "openai_compliance/sample.jsonl.gz").read_bytes()
        )
        tick = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, resources=resources))
        assert [r.run_key for r in tick.run_requests] == [f"compliance/2026/10/01/00/a.jsonl.gz@{etag}"]
        after = sensor.evaluate_tick(
            dg.build_sensor_context(instance=instance, cursor=tick.cursor, resources=resources)
        )
        assert after.run_requests == []


def test_govpipe_pull_resumes_from_the_committed_cursor(moto, aws_env, env, monkeypatch, capsys):
    bucket = moto.bucket()
    _sources(env, monkeypatch, s3_polling(moto.url, bucket, "csv"))
    moto.put(bucket, "drops/2026/10/01/a.csv", (FIXTURES / "csv/sample_bad.csv").read_bytes())
    assert govpipe(["pull", "drops"]) == 0
    assert capsys.readouterr().out.strip() == "events=12 new=11 errors=1"
    assert govpipe(["pull", "drops"]) == 0
    assert capsys.readouterr().out.strip() == "events=0 new=0 errors=0"
    state = load_state(dg.DagsterInstance.get(), "drops")
    assert json.loads(state["cursor"])["max"] == "drops/2026/10/01/a.csv" and state["status"] == "active"
    assert len(lake_rows(env / "lake")) == 11


def test_the_govpipe_script_ends_cleanly_after_a_pull(moto, aws_env, env, monkeypatch):
    """The console script skips the interpreter's module teardown: the exit code, the summary line and a quiet
    stderr must survive that (DuckDB's bindings complain on stderr about objects a teardown did not free)."""
    bucket = moto.bucket()
    _sources(env, monkeypatch, openai_compliance(moto.url, bucket, moto.role_arn))
    moto.put(
        bucket, "compliance/2026/10/01/00/a.jsonl.gz", (FIXTURES / "openai_compliance/sample.jsonl.gz").read_bytes()
    )
    script = Path(sys.executable).parent / "govpipe"
    out = subprocess.run([str(script), "pull", "drops"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("events=") and out.stdout.endswith(" errors=0\n")
    assert out.stderr == ""
    missing = subprocess.run([str(script), "pull", "nope"], capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and "nope" in missing.stderr


def test_an_s3_access_error_fails_the_pull_once_without_step_retries(moto, aws_env, env, monkeypatch, capsys):
    """S3 and STS errors no retry can fix (here an unknown access key) skip the step retry policy, as a 4xx does."""
    bucket = moto.bucket()
    _sources(env, monkeypatch, s3_polling(moto.url, bucket))
    moto.put(bucket, "drops/2026/10/01/a.ndjson", b'{"id": "e1", "created_at": "2026-10-01T00:00:00Z"}\n')
    aws_env.setenv("TEST_S3_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    aws_env.setenv("TEST_S3_SECRET", "not-the-secret")
    assert govpipe(["pull", "drops"]) == 1
    err = capsys.readouterr().err
    assert "InvalidAccessKeyId" in err and bucket in err and "not-the-secret" not in err
    instance = dg.DagsterInstance.get()
    (run,) = instance.get_runs(limit=1)
    kinds = [e.dagster_event.event_type_value for e in instance.all_logs(run.run_id) if e.dagster_event]
    assert "STEP_FAILURE" in kinds and "STEP_UP_FOR_RETRY" not in kinds
    assert load_state(instance, "drops")["status"] == "error"
