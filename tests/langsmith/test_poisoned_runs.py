"""A LangSmith run with an out-of-range number (REST page or bulk-export row) is quarantined; the rest lands."""

from __future__ import annotations

import io

import boto3
import duckdb
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from governance_pipeline.adapters.base import Runtime
from governance_pipeline.config.credentials import resolve_credentials
from governance_pipeline.ingest import run_pull
from tests.langsmith.conftest import API_KEY, TENANT, Env
from tests.langsmith.fake_server import FakeLangSmith, load_fixtures
from tests.langsmith.test_bulk_export import BUCKET, FIXTURE, PREFIX, REL
from tests.langsmith.test_bulk_export import _sources as bulk_sources
from tests.support.http import serve
from tests.support.moto import moto_server


def _llm_runs(data: dict) -> list[dict]:
    return [r for r in data["runs"] if r.get("run_type") == "llm"]


@pytest.mark.parametrize("tokens", [1e30, "99999999999999999999"], ids=["1e30", "string-20-digits"])
@pytest.mark.parametrize("run_type", ["llm", "chain"])
def test_a_run_with_an_out_of_range_token_count_is_quarantined(tmp_path, tokens, run_type):
    data = load_fixtures()
    victim = next(r for r in data["runs"] if r.get("run_type") == run_type)
    victim["prompt_tokens"] = tokens
    fake = FakeLangSmith(data, api_key=API_KEY, tenant_id=TENANT)
    with serve(fake) as (url, seen):
        env = Env(fake, url, seen, str(tmp_path / "lake"))
        sf = env.sources()
        out = run_pull(sf.source("ls"), env.runtime(sf), None)
    assert out.errors == 1 and out.quarantined == 1
    assert out.new == (9 if run_type == "llm" else 10)
    ids = {r[0] for r in env.lake_sql("SELECT source_event_id FROM EVENTS")}
    assert str(victim["id"]) not in ids


def _poisoned_export(tmp_path) -> tuple[bytes, list[str]]:
    """The fixture export with prompt_tokens as text (one 20 digits long) and one start time beyond year 9999."""
    t = pq.read_table(FIXTURE)
    tokens = t["prompt_tokens"].cast(pa.string()).to_pylist()
    ids = [str(i) for i in t["id"].to_pylist()]
    tokens[1] = "99999999999999999999"
    t = t.set_column(t.schema.get_field_index("prompt_tokens"), "prompt_tokens", pa.array(tokens, pa.string()))
    i = t.schema.get_field_index("start_time")
    micros = t["start_time"].cast(pa.timestamp("us", tz="UTC")).cast(pa.int64()).to_pylist()
    micros[2] = 253402300800 * 1_000_000 + 1  # 10000-01-01T00:00:00.000001Z
    t = t.set_column(i, "start_time", pa.array(micros, pa.int64()).cast(pa.timestamp("us", tz="UTC")))
    buf = io.BytesIO()
    pq.write_table(t, buf)
    return buf.getvalue(), [ids[1], ids[2]]


def test_poisoned_export_rows_are_quarantined_and_the_rest_of_the_file_lands(tmp_path):
    body, victims = _poisoned_export(tmp_path)
    with moto_server() as endpoint:
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="AKIDEXAMPLE",
            aws_secret_access_key="secret-example",
        )
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}/{REL}", Body=body)
        sf = bulk_sources(endpoint, BUCKET)
        rt = Runtime(credentials=lambda ref: resolve_credentials(sf.credentials, ref), lake_root=str(tmp_path))
        out = run_pull(sf.source("ls_export"), rt, None)
    assert out.errors == 2 and out.quarantined == 2
    rows = pq.read_table(FIXTURE).num_rows
    assert out.events == rows
    bad = [
        orjson.loads(line)
        for p in sorted(tmp_path.glob("quarantine/**/*.ndjson"))
        for line in p.read_bytes().splitlines()
    ]
    assert sorted(b["run_id"] for b in bad) == sorted(victims)
    assert {b["line"] for b in bad} == {2, 3}
    landed = duckdb.sql(
        f"select source_event_id from read_parquet('{tmp_path}/events/**/*.parquet', hive_partitioning=true)"
    ).fetchall()
    assert not {r[0] for r in landed} & set(victims) and landed
