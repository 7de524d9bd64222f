"""Materialise a LangSmith table from the lake into the DuckDB marts file, one row per key.

The lake files are read with pyarrow (local or S3 alike), deduplicated in an in-memory DuckDB, and then the
marts file is opened only for the swap: ``CREATE OR REPLACE TABLE`` inside one transaction, connection
closed at once, so other writers (same Dagster pool) and read-only analysts are held up as little as possible.
JSON-valued columns, ``raw`` included, are typed ``JSON`` in DuckDB. When more than ``COMPACT_AFTER_FILES``
run files have piled up, the files just read are folded into one per source afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from governance_pipeline.lake.store import LakeStore
from governance_pipeline.langsmith.table_store import compact_runs, order_sql, read_files
from governance_pipeline.langsmith.tables import KEYS, SCHEMAS
from governance_pipeline.marts.dbfile import write_session

COMPACT_AFTER_FILES = 16  # run files read before they are folded into one file per source
JSON_COLUMNS = {"raw", "metadata", "inputs", "outputs", "tags", "extra", "feedback_stats"}


@dataclass
class Materialized:
    table: str
    rows: int
    versions: int  # stored rows before deduplication
    compacted_files: int = 0


def dedup_sql(table: str, source: str = "src") -> str:
    key = KEYS[table]
    return (
        f'SELECT * FROM {source} WHERE "{key}" IS NOT NULL '
        f'QUALIFY row_number() OVER (PARTITION BY "{key}" ORDER BY {order_sql(table)}) = 1 ORDER BY "{key}"'
    )


def typed_sql(table: str, source: str = "fresh") -> str:
    cols = ", ".join(
        f'CAST("{f.name}" AS JSON) AS "{f.name}"' if f.name in JSON_COLUMNS else f'"{f.name}"' for f in SCHEMAS[table]
    )
    return f"SELECT {cols} FROM {source}"


def materialize(
    lake_root: str, duckdb_path: str | Path, table: str, compact_after: int = COMPACT_AFTER_FILES
) -> Materialized:
    store = LakeStore(lake_root)
    stored, files = read_files(store, table)
    with duckdb.connect() as mem:
        mem.register("src", stored)
        deduped = mem.sql(dedup_sql(table)).to_arrow_table()
    path = Path(duckdb_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with write_session(path) as con:  # analysts keep reading the published file meanwhile
        con.register("fresh", deduped)
        con.execute(f'CREATE OR REPLACE TABLE "{table}" AS {typed_sql(table)}')
    compacted = compact_runs(store, stored, files) if table == "langsmith_run" and len(files) > compact_after else 0
    return Materialized(table, deduped.num_rows, stored.num_rows, compacted)
