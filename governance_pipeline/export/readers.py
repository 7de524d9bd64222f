"""One day's rows, as Arrow tables, per output folder: lake events, OCSF table rows, or OCSF as structs.

Each reader yields ``(source_id | None, tables)``; ``tables`` is a lazy iterator so a day is streamed, one lake
file or one DuckDB batch at a time. The DuckDB file is opened read-only for one day and closed after.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import closing
from datetime import date
from pathlib import Path

import duckdb
import orjson
import pyarrow as pa
import pyarrow.json as pajson

from governance_pipeline.errors import GovernanceError
from governance_pipeline.export.ocsf_schema import OCSF_API_ACTIVITY, schema_for
from governance_pipeline.export.ocsf_version import MARTS_VERSION, downlevel
from governance_pipeline.lake import paths
from governance_pipeline.lake.schema import EVENT_SCHEMA
from governance_pipeline.lake.store import LakeStore

OCSF_TABLE = "governance_ocsf_events"
OCSF_COLUMNS = (
    "class_uid",
    "category_uid",
    "activity_id",
    "type_uid",
    "severity_id",
    "time",
    "source_event_id",
    "ocsf_json",
)
BATCH_ROWS = 50_000
Group = tuple[str | None, Iterator[pa.Table]]


class OcsfNotBuilt(GovernanceError):
    """The OCSF mart (file or table) does not exist yet."""


def lake_sources(lake_root: str, day: date) -> list[str]:
    """Source ids with at least one lake file on ``day``."""
    store = LakeStore(lake_root)
    out = []
    for name in store.list_dirs("events"):
        if name.startswith("source_id="):
            sid = name.removeprefix("source_id=")
            if store.list_files(paths.partition_dir(sid, day), ".parquet"):
                out.append(sid)
    return out


def lake_events(lake_root: str, day: date) -> Iterator[Group]:
    """The lake's rows of ``day``, per source, with the lake's file schema (source_id is the folder)."""
    store = LakeStore(lake_root)

    def tables(sid: str) -> Iterator[pa.Table]:
        for rel in store.list_files(paths.partition_dir(sid, day), ".parquet"):
            yield _conform(store.read_table([rel]))

    for sid in lake_sources(lake_root, day):
        yield sid, tables(sid)


def _conform(table: pa.Table) -> pa.Table:
    """Exactly the lake schema, in its order (a column added to the schema later is null in older files)."""
    cols = [
        table.column(f.name) if f.name in table.column_names else pa.nulls(table.num_rows, f.type) for f in EVENT_SCHEMA
    ]
    return pa.Table.from_arrays(cols, schema=EVENT_SCHEMA) if table.num_rows else EVENT_SCHEMA.empty_table()


def _connect(duckdb_path: Path):
    from governance_pipeline.marts.dbfile import connect_read_only

    if not Path(duckdb_path).exists():
        raise OcsfNotBuilt(f"{duckdb_path} does not exist: materialize {OCSF_TABLE} first")
    con = connect_read_only(duckdb_path)
    found = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [OCSF_TABLE]).fetchall()[0][0]
    if not found:
        con.close()
        raise OcsfNotBuilt(f"{duckdb_path} has no table {OCSF_TABLE}: materialize it first")
    return con


def ocsf_count(duckdb_path: Path, day: date) -> int:
    """Rows of ``day`` in the OCSF table (raises ``OcsfNotBuilt`` when there is no table)."""
    with closing(_connect(duckdb_path)) as con:
        return con.execute(f"SELECT count(*) FROM {OCSF_TABLE} WHERE date = ?", [day]).fetchall()[0][0]


def ocsf_rows(duckdb_path: Path, day: date) -> Iterator[Group]:
    """The OCSF table's rows of ``day`` (its columns except source_id and date), per source, by time."""
    with closing(_connect(duckdb_path)) as con:
        sids = [
            r[0]
            for r in con.execute(
                f"SELECT DISTINCT source_id FROM {OCSF_TABLE} WHERE date = ? ORDER BY 1", [day]
            ).fetchall()
        ]
        for sid in sids:
            reader = con.sql(
                f"SELECT {', '.join(OCSF_COLUMNS)} FROM {OCSF_TABLE} WHERE date = ? AND source_id = ? "
                "ORDER BY time, source_event_id",
                params=[day, sid],
            ).to_arrow_reader(BATCH_ROWS)
            yield sid, (pa.Table.from_batches([b]) for b in reader)


def ocsf_structs(duckdb_path: Path, day: date, version: str = MARTS_VERSION) -> Iterator[Group]:
    """The day's OCSF events as nested columns (one per top-level OCSF attribute, ``schema_for(version)``), by time;
    down-levelled to OCSF ``version`` when it is older than the marts' (``ocsf_version.downlevel``)."""

    def tables(con: duckdb.DuckDBPyConnection) -> Iterator[pa.Table]:
        reader = con.sql(
            f"SELECT ocsf_json FROM {OCSF_TABLE} WHERE date = ? ORDER BY time, source_id, source_event_id", params=[day]
        ).to_arrow_reader(BATCH_ROWS)
        for batch in reader:
            texts = batch.column(0).to_pylist()
            if texts and version != MARTS_VERSION:
                texts = [orjson.dumps(downlevel(orjson.loads(t), version)).decode() for t in texts]
            if texts:
                yield _parse_json_lines(texts, schema=schema_for(version))

    with closing(_connect(duckdb_path)) as con:
        yield None, tables(con)


def _parse_json_lines(texts: list[str], unexpected: str = "infer", schema: pa.Schema = OCSF_API_ACTIVITY) -> pa.Table:
    data = "\n".join(texts).encode()
    # one block, so that an attribute unknown to the schema gets one inferred type for the whole batch
    opts = pajson.ReadOptions(block_size=max(len(data) + 1, 1 << 20), use_threads=False)
    parse = pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior=unexpected)
    return pajson.read_json(io.BytesIO(data), read_options=opts, parse_options=parse)
