"""Events without a timestamp: the ingest time of their first sighting, recorded once and reused for good.

An event whose source gives no time must still land in one date partition, always the same one: dedup is per
partition, and a backfill replaces whole partitions. Its ``event_timestamp`` is therefore the ingest time of
the run that first saw it, and that time is recorded per source and ``source_event_id`` under
``_undated/source_id=<id>/<txn>.parquet`` (columns ``source_event_id``, ``event_timestamp``) *before* any lake
file holding the event is written. Every later read of the same id (a re-read on another day, a backfill)
takes the recorded time, so it meets its earlier copy in the same partition and is dropped as a duplicate
(or replaced in place by a backfill). A backfill cannot ask a source for an undated event by time, so it
never deletes one: the writer carries recorded undated events of a replaced partition over unless the
re-read returned them again.

Events stored undated before this record existed carry ``event_timestamp == ingested_at`` (the writer filled
the one from the other): the first time a source's record is needed, those rows are found in the lake and
recorded (once; the marker ``_seeded`` says it is done), so their next re-read dedups against them too.

The time is not derived from the source (a file's or page's time): HTTP pages have none that survives a
re-read, and the ingest time is what the lake has always shown for such events. Index files are small (one
row per undated event); a source whose index has many files gets them merged into one at the next write.
"""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc

from governance_pipeline.lake import paths
from governance_pipeline.lake.schema import TS
from governance_pipeline.lake.store import LakeStore

ROOT = "_undated"
INDEX_SCHEMA = pa.schema([pa.field("source_event_id", pa.string()), pa.field("event_timestamp", TS)])
COMPACT_FILES = 32  # merge the index into one file once it has more than this many
SEEDED = "_seeded"  # marker: the lake's earlier undated rows have been recorded


def index_dir(source_id: str) -> str:
    return f"{ROOT}/source_id={source_id}"


def _earliest(table: pa.Table) -> pa.Table:
    """One row per id, its earliest time (a crash mid-merge, or a race of two writers, may leave an id twice)."""
    if table.num_rows < 2 or pc.count_distinct(table.column(0)).as_py() == table.num_rows:
        return table
    agg = table.group_by("source_event_id", use_threads=False).aggregate([("event_timestamp", "min")])
    return pa.table([agg.column(0), agg.column(1)], schema=INDEX_SCHEMA)


class UndatedIndex:
    """The recorded first-sighting times of one source's undated events (loaded on first use), as Arrow
    columns: lookups are vectorized, and a large index costs its bytes, not a Python object per id."""

    def __init__(self, store: LakeStore, source_id: str, txn: str):
        self.store = store
        self.source_id = source_id
        self.txn = txn
        self._index: pa.Table | None = None
        self._files: list[str] = []
        self._seq = 0

    def _load(self) -> pa.Table:
        if self._index is None:
            if not self.store.exists(f"{index_dir(self.source_id)}/{SEEDED}"):
                self._seed()
            self._files = self.store.list_files(index_dir(self.source_id), ".parquet")
            if self._files:
                table = self.store.read_table(self._files, ["source_event_id", "event_timestamp"])
                self._index = _earliest(table.cast(INDEX_SCHEMA).combine_chunks())
            else:
                self._index = INDEX_SCHEMA.empty_table()
        return self._index

    def _seed(self) -> None:
        """Record the undated rows stored before the index existed: the writer gave them their ingest time."""
        found: list[pa.Table] = []
        for day in self.store.list_dirs(paths.source_dir(self.source_id)):
            files = self.store.list_files(f"{paths.source_dir(self.source_id)}/{day}", ".parquet")
            if files:
                table = self.store.read_table(files, ["source_event_id", "event_timestamp", "ingested_at"])
                legacy = table.filter(pc.equal(table.column("event_timestamp"), table.column("ingested_at")))
                if legacy.num_rows:
                    found.append(legacy.select(["source_event_id", "event_timestamp"]).cast(INDEX_SCHEMA))
        if found:
            self._write(_earliest(pa.concat_tables(found).combine_chunks()))
        self.store.write_bytes(f"{index_dir(self.source_id)}/{SEEDED}", b"")

    def ids(self) -> pa.Array:
        """Every undated id recorded for the source."""
        return self._load().column(0).combine_chunks()

    def date(self, table: pa.Table, now: datetime) -> pa.Table:
        """``table`` with every missing ``event_timestamp`` filled: the recorded time of its id, else ``now``
        (recorded durably before this returns)."""
        if "event_timestamp" not in table.column_names:
            table = table.append_column("event_timestamp", pa.nulls(table.num_rows, TS))
        ts = table.column("event_timestamp")
        if ts.null_count == 0:
            return table
        ts = (ts if ts.type == TS else ts.cast(TS)).combine_chunks()
        index = self._load()
        ids = table.column("source_event_id").combine_chunks()
        missing = pc.is_null(ts)
        recorded = pc.take(index.column(1), pc.index_in(ids, value_set=index.column(0)))
        unknown = pc.and_(missing, pc.is_null(recorded))
        if pc.any(unknown).as_py():
            new_ids = pc.unique(pc.filter(ids, unknown))
            new = pa.table([new_ids, pa.repeat(pa.scalar(now, TS), len(new_ids))], schema=INDEX_SCHEMA)
            self._write(new)  # durable before any lake file holds these events
            self._index = pa.concat_tables([index, new]).combine_chunks()
            recorded = pc.coalesce(recorded, pa.scalar(now, TS))
        filled = pc.if_else(missing, recorded, ts)
        return table.set_column(table.schema.get_field_index("event_timestamp"), "event_timestamp", filled)

    def _write(self, table: pa.Table) -> None:
        self._seq += 1
        rel = f"{index_dir(self.source_id)}/{paths.part_name(self.txn, self._seq)}"
        self.store.write_parquet(rel, table)
        self._files.append(rel)
        if len(self._files) > COMPACT_FILES and self._index is not None:
            self._compact(pa.concat_tables([self._index, table]).combine_chunks())

    def _compact(self, everything: pa.Table) -> None:
        self._seq += 1
        merged = f"{index_dir(self.source_id)}/{paths.part_name(self.txn, self._seq)}"
        self.store.write_parquet(merged, _earliest(everything))  # first the merged file, then the parts it replaces
        for rel in self._files:
            self.store.delete(rel)
        self._files = [merged]
