"""``langsmith_bulk_export`` against a real S3 API (moto server on loopback) holding an export tree."""

from __future__ import annotations

import io
import uuid
from decimal import Decimal
from pathlib import Path

import boto3
import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from governance_pipeline.config.credentials import resolve_credentials
from governance_pipeline.ingest import run_pull
from governance_pipeline.langsmith.export_tree import parse_key
from governance_pipeline.langsmith.marts import materialize
from governance_pipeline.pull_types import Runtime
from governance_pipeline.sources_file import parse_sources
from tests.support.moto import moto_server

EXPORT_ROOT = Path(__file__).resolve().parents[1] / "fixtures" / "langsmith_export"
FIXTURE = next(EXPORT_ROOT.rglob("*.parquet"))
REL = FIXTURE.relative_to(EXPORT_ROOT).as_posix()
BUCKET = "ls-exports"
PREFIX = "exports/langsmith"
TENANT = "6e82b011-8475-411a-93e6-f9826b5b429e"
SESSION = "ecbcd101-6cad-4297-94a0-786853343e48"
EXPORT2 = "11111111-2222-4333-8444-555555555555"


@pytest.fixture(scope="module")
def s3_endpoint():
    with moto_server() as url:
        yield url


@pytest.fixture
def bucket(s3_endpoint):
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret-example",
    )
    name = f"{BUCKET}-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key=f"{PREFIX}/{REL}", Body=FIXTURE.read_bytes())
    s3.put_object(Bucket=name, Key=f"{PREFIX}/tmp/validation-test.parquet", Body=b"not parquet")
    s3.put_object(Bucket=name, Key=f"{PREFIX}/tmp/test.txt", Body=b"x")
    return s3, name


def _sources(endpoint: str, bucket: str):
    return parse_sources(f"""
credentials:
  ls_s3: {{accessKeyId: AKIDEXAMPLE, secretAccessKey: secret-example}}
sources:
  - id: ls_export
    type: langsmith_bulk_export
    config: {{bucket: {bucket}, prefix: {PREFIX}/, region: us-east-1, endpointUrl: "{endpoint}", credentialRef: ls_s3}}
""")


def _pull(env, cursor=None):
    s3_endpoint, bucket, lake = env
    sf = _sources(s3_endpoint, bucket)
    rt = Runtime(credentials=lambda ref: resolve_credentials(sf.credentials, ref), lake_root=lake)
    return run_pull(sf.source("ls_export"), rt, cursor), sf, rt


def _second_export() -> bytes:
    """An overlapping export: fewer columns, naive nanosecond timestamps, float costs, the pending run finished."""
    t = pq.read_table(FIXTURE).drop_columns(["inputs", "outputs", "events", "trace_tier"])
    pending = pc.equal(t["status"], "pending")
    end = pc.if_else(pending, pc.add(t["start_time"], pa.scalar(5_000_000, pa.duration("us"))), t["end_time"])
    t = t.set_column(t.schema.get_field_index("end_time"), "end_time", end)
    t = t.set_column(t.schema.get_field_index("status"), "status", pc.if_else(pending, "success", t["status"]))
    for name in ("start_time", "end_time", "first_token_time"):
        i = t.schema.get_field_index(name)
        t = t.set_column(i, name, t[name].cast(pa.timestamp("ns", tz="UTC")).cast(pa.timestamp("ns")))
    i = t.schema.get_field_index("total_cost")
    t = t.set_column(i, "total_cost", t["total_cost"].cast(pa.float64()))
    buf = io.BytesIO()
    pq.write_table(t, buf)
    return buf.getvalue()


def test_parse_key_accepts_both_layouts_and_ignores_tmp():
    assert parse_key(f"{PREFIX}/{REL}", f"{PREFIX}/").day == "2026-10-01"
    alt = "b/export_id=e/tenant_id=t/session_id=s/resource=runs/year=2026/month=9/day=3/x.parquet"
    assert parse_key(alt).day == "2026-09-03" and parse_key(alt).session_id == "s"
    assert (
        parse_key(
            f"{PREFIX}/tmp/export_id=e/tenant_id=t/session_id=s/runs/year=2026/month=9/day=3/x.parquet", f"{PREFIX}/"
        )
        is None
    )
    assert parse_key(f"{PREFIX}/export_id=e/other/x.parquet", f"{PREFIX}/") is None


def test_export_tree_lands_events_and_run_table(s3_endpoint, bucket, tmp_path):
    s3, name = bucket
    env = (s3_endpoint, name, str(tmp_path / "lake"))
    out, sf, rt = _pull(env)
    assert out.events == 52 and out.new == 26 and out.errors == 0
    glob = f"{tmp_path}/lake/events/**/*.parquet"
    with duckdb.connect() as con:
        n, cost, ids = con.execute(
            f"SELECT count(*), sum(cost_usd), count(DISTINCT source_event_id) FROM read_parquet('{glob}')"
        ).fetchone()
    assert n == ids == 26 and cost == pytest.approx(0.1133416)

    # nothing new: the sensor skips and a pull reads no file
    adapter = sf.source("ls_export").adapter_cls(sf.source("ls_export"), rt)
    first = adapter.sensor_poll(None)
    assert len(first.run_keys) == 1
    assert adapter.sensor_poll(first.cursor).run_keys == []
    again, _, _ = _pull(env, out.cursor)
    assert again.events == 0 and again.new == 0

    # a second, overlapping export in the resource=runs/ layout
    key = f"{PREFIX}/export_id={EXPORT2}/tenant_id={TENANT}/session_id={SESSION}/resource=runs/year=2026/month=10/day=1/part-0.parquet"
    s3.put_object(Bucket=name, Key=key, Body=_second_export())
    poll = adapter.sensor_poll(first.cursor)
    assert len(poll.run_keys) == 1 and poll.run_keys[0].startswith("exports=2:")
    third, _, _ = _pull(env, out.cursor)
    assert third.events == 52 and third.new == 0 and third.replaced == 26
    with duckdb.connect() as con:
        n, ids, pending = con.execute(
            f"SELECT count(*), count(DISTINCT source_event_id), count(*) FILTER (WHERE status = 'unset') FROM read_parquet('{glob}')"
        ).fetchone()
    assert n == ids == 26 and pending == 0

    db = tmp_path / "m.duckdb"
    res = materialize(str(tmp_path / "lake"), db, "langsmith_run")
    assert res.rows == 52 and res.versions == 104
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM langsmith_run WHERE end_time IS NULL").fetchone()[0] == 0
        cost = con.execute("SELECT sum(total_cost) FROM langsmith_run WHERE run_type='llm'").fetchone()[0]
        assert Decimal(cost) == Decimal("0.1133416000")
        ts = con.execute("SELECT min(start_time) FROM langsmith_run").fetchone()[0]
        assert ts.year == 2026 and ts.utcoffset() is not None
        assert con.execute("SELECT count(*) FROM langsmith_run WHERE origin LIKE 'bulk_export:%'").fetchone()[0] == 52


def test_finished_row_wins_over_pending_in_one_pull(s3_endpoint, bucket, tmp_path):
    s3, name = bucket
    # the finished version is read first, a later export still has it pending: the finished row must stay
    s3.delete_object(Bucket=name, Key=f"{PREFIX}/{REL}")
    tail = f"tenant_id={TENANT}/session_id={SESSION}/runs/year=2026/month=10/day=01/part-0.parquet"
    s3.put_object(Bucket=name, Key=f"{PREFIX}/export_id={EXPORT2}/{tail}", Body=_second_export())
    s3.put_object(
        Bucket=name, Key=f"{PREFIX}/export_id=ffffffff-0000-4000-8000-000000000000/{tail}", Body=FIXTURE.read_bytes()
    )
    env = (s3_endpoint, name, str(tmp_path / "lake"))
    out, _, _ = _pull(env)
    assert out.new == 26
    glob = f"{tmp_path}/lake/events/**/*.parquet"
    with duckdb.connect() as con:
        assert con.execute(
            f"SELECT count(*) FILTER (WHERE status = 'unset'), count(*) FROM read_parquet('{glob}')"
        ).fetchone() == (0, 26)
