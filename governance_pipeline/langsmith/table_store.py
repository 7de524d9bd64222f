"""The LangSmith tables in the lake: ``<lake>/langsmith/<table>/source_id=<id>/<file>.parquet``.

- ``langsmith_dataset`` and ``langsmith_example`` are re-read in full on every sync, so each sync writes one
  complete *snapshot* file and the newest snapshot per source is the table (deleted datasets/examples drop
  out); older snapshots are removed after the new one is durable.
- ``langsmith_run`` is incremental: each sync appends files (flushed every ``FLUSH_ROWS`` rows), and a read
  keeps one row per ``run_id``: a row with an end time beats one without, then the newest sync, then the
  later row. Re-running a sync only adds versions that this rule collapses, so the table is exactly-once by key.

Every file is written atomically (``LakeStore``), so a crash leaves only complete files.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from governance_pipeline.lake.store import LakeStore
from governance_pipeline.langsmith.tables import RUN_SCHEMA, SCHEMAS

FLUSH_ROWS = 50_000
SNAPSHOT_TABLES = ("langsmith_dataset", "langsmith_example")


def table_dir(table: str, source_id: str | None = None) -> str:
    return f"langsmith/{table}" + (f"/source_id={source_id}" if source_id else "")


def _file_name(kind: str) -> str:
    return f"{kind}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}-{uuid.uuid4().hex[:8]}.parquet"


class TableWriter:
    """Writes one source's table files during a pull."""

    def __init__(self, store: LakeStore, source_id: str):
        self.store = store
        self.source_id = source_id
        self._runs: list[pa.Table] = []
        self._buffered = 0
        self.files_written = 0

    def write_snapshot(self, table: str, parts: list[pa.Table]) -> None:
        """Replace the table's snapshot for this source with ``parts`` (the complete current listing)."""
        schema = SCHEMAS[table]
        data = pa.concat_tables(parts) if parts else schema.empty_table()
        folder = table_dir(table, self.source_id)
        old = self.store.list_files(folder, ".parquet")
        self.store.write_parquet(f"{folder}/{_file_name('snapshot')}", data)
        self.files_written += 1
        for rel in old:
            self.store.delete(rel)

    def add_runs(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        self._runs.append(table)
        self._buffered += table.num_rows
        if self._buffered >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        """Write buffered run rows; call before the pull's cursor may be committed."""
        if not self._runs:
            return
        data = pa.concat_tables(self._runs)
        self.store.write_parquet(f"{table_dir('langsmith_run', self.source_id)}/{_file_name('runs')}", data)
        self.files_written += 1
        self._runs, self._buffered = [], 0


def read_files(store: LakeStore, table: str) -> tuple[pa.Table, list[str]]:
    """Every stored row of ``table`` (all sources) with ``_file`` and ``_row`` ordinals, in the table's schema,
    and the files read. Snapshot tables read only the newest snapshot of each source.
    """
    schema = SCHEMAS[table]
    files = store.list_files(table_dir(table), ".parquet")
    if table in SNAPSHOT_TABLES:
        newest: dict[str, str] = {}
        for rel in files:  # names sort by time within a source folder
            newest[rel.rsplit("/", 1)[0]] = rel
        files = sorted(newest.values())
    parts = []
    for i, rel in enumerate(sorted(files, key=lambda r: r.rsplit("/", 1)[1])):
        t = store.read_table([rel])
        t = pa.Table.from_arrays(
            [
                t.column(f.name).cast(f.type) if f.name in t.column_names else pa.nulls(t.num_rows, f.type)
                for f in schema
            ],
            schema=schema,
        )
        parts.append(
            t.append_column("_file", pa.array([i] * t.num_rows, pa.int64())).append_column(
                "_row", pa.array(range(t.num_rows), pa.int64())
            )
        )
    if not parts:
        empty = schema.empty_table().append_column("_file", pa.array([], pa.int64()))
        return empty.append_column("_row", pa.array([], pa.int64())), []
    return pa.concat_tables(parts), files


def compact_runs(store: LakeStore, stored: pa.Table, files: list[str]) -> int:
    """Fold the run files just read into one file per source (the preferred version of each run, its
    ``synced_at`` kept), then delete exactly those files. Files written meanwhile are untouched, and a crash
    between the write and the deletes leaves only versions a read collapses. Returns files removed."""
    with duckdb.connect() as con:
        con.register("src", stored)
        best = con.sql(
            "SELECT * EXCLUDE (_file, _row) FROM src QUALIFY row_number() OVER "
            f"(PARTITION BY source_id, run_id ORDER BY {order_sql('langsmith_run')}) = 1 ORDER BY source_id, start_time"
        ).to_arrow_table()
    removed = 0
    for source_id in sorted(set(best.column("source_id").to_pylist())):
        mine = [f for f in files if f.startswith(table_dir("langsmith_run", source_id) + "/")]
        if len(mine) < 2:
            continue
        part = best.filter(pc.equal(best.column("source_id"), source_id)).cast(RUN_SCHEMA)
        store.write_parquet(f"{table_dir('langsmith_run', source_id)}/{_file_name('runs')}", part)
        for rel in mine:
            store.delete(rel)
        removed += len(mine)
    return removed


def order_sql(table: str) -> str:
    """The preference among versions of one key (first wins)."""
    prefix = "end_time IS NOT NULL DESC, " if table == "langsmith_run" else ""
    return prefix + "synced_at DESC, _file DESC, _row DESC"


__all__ = ["RUN_SCHEMA", "TableWriter", "compact_runs", "order_sql", "read_files", "table_dir"]
