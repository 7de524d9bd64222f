"""Each format and compression, written to a real S3 API (moto) and read back with DuckDB's Hive partitioning."""

from __future__ import annotations

import uuid
from datetime import date

import duckdb
import pyarrow.parquet as pq
import pytest

from governance_pipeline.export.ocsf_schema import OCSF_API_ACTIVITY
from governance_pipeline.export.readers import _parse_json_lines
from governance_pipeline.export.run import export_day
from governance_pipeline.lake.schema import EVENT_SCHEMA
from governance_pipeline.sources_file import parse_sources
from tests.export.helpers import DAYS, download, keys, make_bucket, sources_yaml
from tests.support.ocsf_validator import default_schema, validate

CODECS = {"zstd": "ZSTD", "gzip": "GZIP", "snappy": "SNAPPY", "none": "UNCOMPRESSED"}


def destination(root, endpoint, **extra):
    entry = {
        "id": "dest",
        "bucket": f"exp-{uuid.uuid4().hex[:12]}",
        "prefix": "gov/exports",
        "endpointUrl": endpoint,
        **extra,
    }
    make_bucket(endpoint, entry["bucket"])
    return parse_sources(sources_yaml(root / "inbox", [entry])).destinations[0]


def export_all(dest, lake, db, days=DAYS):
    return {d: export_day(dest, date.fromisoformat(d), credentials={}, lake_root=lake, duckdb_path=db) for d in days}


def codecs_of(files) -> set[str]:
    return {pq.ParquetFile(f).metadata.row_group(0).column(0).compression for f in files}


def lake_ids(lake: str) -> list[tuple]:
    return sorted(
        duckdb.sql(
            f"SELECT source_id, CAST(date AS VARCHAR), source_event_id FROM "
            f"read_parquet('{lake}/events/**/*.parquet', hive_partitioning=true)"
        ).fetchall()
    )


@pytest.mark.parametrize("compression", ["zstd", "gzip", "snappy", "none"])
def test_events_export_is_the_lake_in_a_hive_layout(compression, s3_endpoint, lake_and_db, aws_env, tmp_path):
    root, lake, db = lake_and_db
    dest = destination(root, s3_endpoint, compression=compression)
    results = export_all(dest, lake, db)
    assert {d: (r.rows, r.files) for d, r in results.items()} == {
        "2026-10-01": (14, 2),
        "2026-10-02": (6, 1),
        "2026-10-03": (6, 1),
    }
    assert results["2026-10-01"].rows_by_source == {"acme_ndjson": 6, "otel_app": 8}
    files = download(s3_endpoint, dest.bucket, tmp_path)
    assert codecs_of(files) == {CODECS[compression]}
    assert all(pq.read_schema(f).equals(EVENT_SCHEMA, check_metadata=False) for f in files)
    glob = f"{tmp_path}/gov/exports/export_id=dest/**/*.parquet"
    got = sorted(
        duckdb.sql(
            f"SELECT source_id, printf('%04d-%02d-%02d', year, month, day::INT), source_event_id "
            f"FROM read_parquet('{glob}', hive_partitioning=true)"
        ).fetchall()
    )
    assert got == lake_ids(lake)
    same = duckdb.sql(f"""
        SELECT count(*) FROM read_parquet('{glob}', hive_partitioning=true) e
        JOIN read_parquet('{lake}/events/**/*.parquet', hive_partitioning=true) l USING (source_id, source_event_id)
        WHERE e.raw_payload = l.raw_payload AND e.cost_usd = l.cost_usd AND e.event_timestamp = l.event_timestamp
    """).fetchall()[0][0]
    assert same == len(got)


@pytest.mark.parametrize("compression", ["zstd", "gzip", "snappy", "none"])
def test_ocsf_export_is_the_ocsf_table(compression, s3_endpoint, lake_and_db, aws_env, tmp_path):
    root, lake, db = lake_and_db
    dest = destination(root, s3_endpoint, format="ocsf", compression=compression)
    results = export_all(dest, lake, db)
    assert sum(r.rows for r in results.values()) == 26
    files = download(s3_endpoint, dest.bucket, tmp_path)
    assert codecs_of(files) == {CODECS[compression]}
    glob = f"{tmp_path}/gov/exports/export_id=dest/**/*.parquet"
    got = duckdb.sql(
        f"SELECT source_id, class_uid, category_uid, activity_id, type_uid, severity_id, time, "
        f"source_event_id, ocsf_json FROM read_parquet('{glob}', hive_partitioning=true) ORDER BY ALL"
    ).fetchall()
    con = duckdb.connect(str(db), read_only=True)
    want = con.execute(
        "SELECT source_id, class_uid, category_uid, activity_id, type_uid, severity_id, time, "
        "source_event_id, ocsf_json FROM governance_ocsf_events ORDER BY ALL"
    ).fetchall()
    con.close()
    assert got == want
    days = duckdb.sql(
        f"SELECT DISTINCT printf('%04d-%02d-%02d', year, month, day::INT) FROM "
        f"read_parquet('{glob}', hive_partitioning=true) ORDER BY 1"
    ).fetchall()
    assert [d[0] for d in days] == DAYS


@pytest.mark.parametrize("compression", ["zstd", "gzip", "snappy", "none"])
def test_security_lake_layout_holds_ocsf_as_nested_columns_sorted_by_time(
    compression, s3_endpoint, lake_and_db, aws_env, tmp_path
):
    root, lake, db = lake_and_db
    dest = destination(
        root,
        s3_endpoint,
        format="security_lake",
        compression=compression,
        prefix="",
        region="eu-west-1",
        accountId="123456789012",
        sourceName="govpipe",
        ocsfVersion="1.8.0",  # as the marts emit it; the default 1.3.0 is tests/export/test_security_lake_version.py
    )
    export_all(dest, lake, db)
    assert keys(s3_endpoint, dest.bucket)[0].startswith(
        "ext/govpipe/region=eu-west-1/accountId=123456789012/eventDay=20261001/part-"
    )
    files = download(s3_endpoint, dest.bucket, tmp_path)
    assert len(files) == 3 and codecs_of(files) == {CODECS[compression]}
    glob = f"{tmp_path}/ext/govpipe/**/*.parquet"
    rows = duckdb.sql(
        f"SELECT region, accountId::VARCHAR, eventDay, class_uid, time, metadata.version, "
        f"to_json(COLUMNS(* EXCLUDE (region, accountId, eventDay))) "
        f"FROM read_parquet('{glob}', hive_partitioning=true, hive_types_autocast=false)"
    ).fetchall()
    assert len(rows) == 26
    assert {(r[0], r[1], r[3], r[5]) for r in rows} == {("eu-west-1", "123456789012", 6003, "1.8.0")}
    assert sorted({r[2] for r in rows}) == ["20261001", "20261002", "20261003"]
    for f in files:
        times = pq.read_table(f, columns=["time"]).column(0).to_pylist()
        assert times == sorted(times)
    schemas = {str(pq.read_schema(f).remove_metadata()) for f in files}  # one schema for every day
    assert len(schemas) == 1 and pq.read_schema(files[0]).names == OCSF_API_ACTIVITY.names
    # every exported row is still a valid OCSF 1.8.0 API Activity event
    schema = default_schema()
    table = pq.read_table(files[0])
    for event in table.to_pylist():
        assert validate(_drop_nulls(event), schema=schema) == [], event


def _drop_nulls(value):
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def test_the_security_lake_schema_covers_every_attribute_the_marts_emit(lake_and_db):
    _, _, db = lake_and_db
    con = duckdb.connect(str(db), read_only=True)
    texts = [r[0] for r in con.execute("SELECT ocsf_json FROM governance_ocsf_events").fetchall()]
    con.close()
    table = _parse_json_lines(texts, unexpected="error")  # raises on an attribute the schema lacks
    assert table.num_rows == 26 and table.schema.equals(OCSF_API_ACTIVITY)


def test_events_export_from_a_lake_on_s3(s3_endpoint, lake_and_db, aws_env, monkeypatch, tmp_path):
    from tests.marts.lakes import ndjson_records, pull_ndjson

    root, _, db = lake_and_db
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    make_bucket(s3_endpoint, "s3-lake")
    pull_ndjson("s3://s3-lake/gov", tmp_path / "inbox", ndjson_records(days=2, per_day=5))
    dest = destination(root, s3_endpoint)
    results = export_all(dest, "s3://s3-lake/gov", db, days=["2026-10-01", "2026-10-02"])
    assert [(r.rows, r.files) for r in results.values()] == [(5, 1), (5, 1)]
    download(s3_endpoint, dest.bucket, tmp_path / "out")
    assert duckdb.sql(
        f"SELECT count(DISTINCT source_event_id) FROM read_parquet("
        f"'{tmp_path}/out/**/*.parquet', hive_partitioning=true)"
    ).fetchall() == [(10,)]
