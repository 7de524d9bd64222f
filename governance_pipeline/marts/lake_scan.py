"""Expose the lake's events to a DuckDB connection, as the relation ``lake_events``, for chosen dates.

Local lakes are read with ``read_parquet(files, hive_partitioning=true, union_by_name=true)`` stacked under a
typed empty relation with ``UNION ALL BY NAME``, so files written before a column was added (lake/schema.py,
``ADDED_COLUMNS``) read with nulls there and the column exists even when no file has it yet. S3 lakes go through
a ``pyarrow.dataset`` over the same files with the full schema (missing columns read as null; DuckDB's httpfs
extension cannot be installed offline), registered into DuckDB. Either way the relation has the lake schema plus
``source_id`` (VARCHAR) and ``date`` (DATE).
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds

from governance_pipeline.lake.schema import EVENT_SCHEMA
from governance_pipeline.lake.store import LakeStore

HIVE_TYPES = "{'source_id': VARCHAR, 'date': DATE}"
PARTITION_SCHEMA = pa.schema([("source_id", pa.string()), ("date", pa.date32())])


def lake_files(store: LakeStore, dates: Iterable[str] | None = None) -> list[str]:
    """Relative paths of the event files, all or only those under ``date=<d>`` for the given dates."""
    files = store.list_files("events", suffix=".parquet")
    if dates is None:
        return files
    wanted = {f"date={d}" for d in dates}
    return [f for f in files if any(part in wanted for part in f.split("/"))]


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _empty_select() -> str:
    cols = [f"CAST(NULL AS {_duck_type(f.type)}) AS {f.name}" for f in EVENT_SCHEMA]
    cols += ["CAST(NULL AS VARCHAR) AS source_id", "CAST(NULL AS DATE) AS date"]
    return "SELECT " + ", ".join(cols) + " WHERE false"


def _duck_type(t: pa.DataType) -> str:
    if pa.types.is_timestamp(t):
        return "TIMESTAMPTZ"
    if pa.types.is_floating(t):
        return "DOUBLE"
    if pa.types.is_integer(t):
        return "BIGINT"
    return "VARCHAR"


def lake_select(store: LakeStore, files: list[str]) -> str:
    """A SELECT over local lake files (no S3); the empty, typed relation when there are none."""
    if not files:
        return _empty_select()
    paths = ", ".join(_sql_str(store.local_path(f)) for f in files)
    return _over_schema(f"[{paths}]")


def _over_schema(files_sql: str) -> str:
    """The files' rows with exactly the lake's columns, in its order (older files lack the added columns)."""
    names = ", ".join([*(f.name for f in EVENT_SCHEMA), "source_id", "date"])
    scan = (
        f"SELECT * FROM read_parquet({files_sql}, hive_partitioning = true, union_by_name = true, "
        f"hive_types = {HIVE_TYPES})"
    )
    return f"SELECT {names} FROM ({_empty_select()} UNION ALL BY NAME {scan})"


def register_lake(
    con: duckdb.DuckDBPyConnection, lake_root: str, dates: Iterable[str] | None = None, name: str = "lake_events"
) -> int:
    """Create the temporary relation ``name`` over the lake (or the given dates); returns the file count."""
    store = LakeStore(lake_root)
    files = lake_files(store, dates)
    if store.is_s3 and files:
        dataset = ds.dataset(
            [f"{store.base}/{f}" for f in files],
            schema=pa.unify_schemas([EVENT_SCHEMA, PARTITION_SCHEMA]),
            format="parquet",
            filesystem=store.fs,
            partitioning=ds.partitioning(PARTITION_SCHEMA, flavor="hive"),
            partition_base_dir=f"{store.base}/events",
        )
        con.register(f"{name}_arrow", dataset)
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM {name}_arrow")
    else:
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {lake_select(store, files)}")
    return len(files)


def governance_events_view_sql(lake_root: str) -> str | None:
    """The persistent ``governance_events`` view for a local lake (a glob, so new files show up at once).

    None for S3 lakes: a persistent view there needs DuckDB's httpfs extension in the analyst's session.
    """
    store = LakeStore(lake_root)
    if store.is_s3:
        return None
    if not lake_files(store):
        return f"CREATE OR REPLACE VIEW governance_events AS {_empty_select()}"
    glob = _sql_str(store.local_path("events") + "/*/*/*.parquet")
    return f"CREATE OR REPLACE VIEW governance_events AS {_over_schema(glob)}"
