"""A re-export replaces that day's objects and only that day's, overwriting the same object names."""

from __future__ import annotations

import io
from datetime import date

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from governance_pipeline.export import layout
from governance_pipeline.export.run import export_day
from tests.export.helpers import download, keys, s3
from tests.export.test_export_s3 import destination, export_all


def count_rows(endpoint, bucket, tmp_path) -> list[tuple]:
    download(endpoint, bucket, tmp_path)
    return duckdb.sql(
        f"SELECT source_id, day, count(*) FROM read_parquet('{tmp_path}/**/*.parquet', hive_partitioning=true) "
        "GROUP BY ALL ORDER BY ALL"
    ).fetchall()


def test_re_export_replaces_the_day_and_leaves_other_days(s3_endpoint, lake_and_db, aws_env, tmp_path):
    root, lake, db = lake_and_db
    dest = destination(root, s3_endpoint, maxRowsPerFile=4)
    export_all(dest, lake, db)
    first = keys(s3_endpoint, dest.bucket)
    assert len(first) == 2 + 2 + 2 + 2  # 6 rows -> 2 files per ndjson day, 8 spans -> 2 files
    # a stray object from an older export of 10-02 (e.g. a source that has since been removed)
    stray = (
        layout.day_dir(dest, date(2026, 10, 2), "retired_source") + "part-20200101T000000000000-deadbeef-0001.parquet"
    )
    buf = io.BytesIO()
    pq.write_table(pa.table({"source_event_id": ["old"]}), buf)
    s3(s3_endpoint).put_object(Bucket=dest.bucket, Key=stray, Body=buf.getvalue())

    again = export_day(
        dest.model_copy(update={"maxRowsPerFile": 100}),
        date(2026, 10, 2),
        credentials={},
        lake_root=lake,
        duckdb_path=db,
    )
    assert (again.rows, again.files, again.deleted) == (6, 1, 2)  # part-0001 overwritten; part-0002, stray gone
    second = keys(s3_endpoint, dest.bucket)
    day2 = [k for k in second if "/day=02/" in k]
    assert day2 == again.keys  # the new object only: the old two and the stray are gone
    assert [k for k in second if "/day=02/" not in k] == [k for k in first if "/day=02/" not in k]
    assert count_rows(s3_endpoint, dest.bucket, tmp_path) == [
        ("acme_ndjson", "01", 6),
        ("acme_ndjson", "02", 6),
        ("acme_ndjson", "03", 6),
        ("otel_app", "01", 8),
    ]


def test_a_day_that_became_empty_is_emptied(s3_endpoint, lake_and_db, aws_env, tmp_path):
    root, lake, db = lake_and_db
    dest = destination(root, s3_endpoint)
    export_day(dest, date(2026, 10, 3), credentials={}, lake_root=lake, duckdb_path=db)
    empty_lake = str(tmp_path / "empty_lake")
    result = export_day(dest, date(2026, 10, 3), credentials={}, lake_root=empty_lake, duckdb_path=db)
    assert (result.rows, result.files, result.deleted) == (0, 0, 1)
    assert keys(s3_endpoint, dest.bucket) == []


def test_a_re_export_overwrites_the_same_object_names(s3_endpoint, lake_and_db, aws_env):
    root, lake, db = lake_and_db
    dest = destination(root, s3_endpoint)
    first = export_day(dest, date(2026, 10, 3), credentials={}, lake_root=lake, duckdb_path=db)
    assert [k.rsplit("/", 1)[1] for k in first.keys] == ["part-0001.zstd.parquet"]
    again = export_day(dest, date(2026, 10, 3), credentials={}, lake_root=lake, duckdb_path=db)
    assert again.keys == first.keys and again.deleted == 0
    assert keys(s3_endpoint, dest.bucket) == first.keys


def test_an_ocsf_day_the_marts_have_not_built_is_refused_not_emptied(s3_endpoint, lake_and_db, aws_env, tmp_path):
    import pytest

    from governance_pipeline.export.readers import OcsfNotBuilt
    from governance_pipeline.marts.build import build_marts

    root, lake, db = lake_and_db
    dest = destination(root, s3_endpoint, format="ocsf")
    export_day(dest, date(2026, 10, 2), credentials={}, lake_root=lake, duckdb_path=db)
    before = keys(s3_endpoint, dest.bucket)
    partial = tmp_path / "partial.duckdb"
    build_marts(partial, lake, ["2026-10-01"])  # 10-02 not built yet
    with pytest.raises(OcsfNotBuilt, match="has no rows for 2026-10-02 but the lake has events"):
        export_day(dest, date(2026, 10, 2), credentials={}, lake_root=lake, duckdb_path=partial)
    with pytest.raises(OcsfNotBuilt, match="does not exist: materialize governance_ocsf_events first"):
        export_day(dest, date(2026, 10, 2), credentials={}, lake_root=lake, duckdb_path=tmp_path / "none.duckdb")
    assert keys(s3_endpoint, dest.bucket) == before
