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


class UndatedIndex:
    """The recorded first-sighting times of one source's undated events (loaded on first use)."""

    def __init__(self, store: LakeStore, source_id: str, txn: str):
        self.store = store
        self.source_id = source_id
        self.txn = txn
        self._times: dict[str, datetime] | None = None
        self._files: list[str] = []
        self._seq = 0

    def _load(self) -> dict[str, datetime]:
        if self._times is None:
            if not self.store.exists(f"{index_dir(self.source_id)}/{SEEDED}"):
                self._seed()
            self._files = self.store.list_files(index_dir(self.source_id), ".parquet")
            times: dict[str, datetime] = {}
            if self._files:
                table = self.store.read_table(self._files, ["source_event_id", "event_timestamp"])
                for sid, ts in zip(table.column(0).to_pylist(), table.column(1).to_pylist(), strict=True):
                    if sid not in times or ts < times[sid]:  # a crash mid-merge may leave an id twice
                        times[sid] = ts
            self._times = times
        return self._times

    def _seed(self) -> None:
        """Record the undated rows stored before the index existed: the writer gave them their ingest time."""
        found: dict[str, datetime] = {}
        for day in self.store.list_dirs(paths.source_dir(self.source_id)):
            files = self.store.list_files(f"{paths.source_dir(self.source_id)}/{day}", ".parquet")
            if not files:
                continue
            table = self.store.read_table(files, ["source_event_id", "event_timestamp", "ingested_at"])
            legacy = table.filter(pc.equal(table.column("event_timestamp"), table.column("ingested_at")))
            for sid, ts in zip(legacy.column(0).to_pylist(), legacy.column(1).to_pylist(), strict=True):
                if sid not in found or ts < found[sid]:
                    found[sid] = ts
        if found:
            self._seq += 1
            rel = f"{index_dir(self.source_id)}/{paths.part_name(self.txn, self._seq)}"
            table = pa.table(
                {"source_event_id": list(found), "event_timestamp": list(found.values())}, schema=INDEX_SCHEMA
            )
            self.store.write_parquet(rel, table)
        self.store.write_bytes(f"{index_dir(self.source_id)}/{SEEDED}", b"")

    def ids(self) -> set[str]:
        """Every undated id recorded for the source."""
        return set(self._load())

    def date(self, table: pa.Table, now: datetime) -> pa.Table:
        """``table`` with every missing ``event_timestamp`` filled: the recorded time of its id, else ``now``
        (recorded durably before this returns)."""
        n = table.num_rows
        if "event_timestamp" not in table.column_names:
            table = table.append_column("event_timestamp", pa.nulls(n, TS))
        ts = table.column("event_timestamp")
        if ts.null_count == 0:
            return table
        if ts.type != TS:
            ts = ts.cast(TS)
        times = self._load()
        missing = pc.is_null(ts).to_pylist()
        ids = table.column("source_event_id").to_pylist()
        new: dict[str, datetime] = {}
        filled: list[datetime | None] = []
        for sid, value, gone in zip(ids, ts.to_pylist(), missing, strict=True):
            if not gone:
                filled.append(value)
                continue
            when = times.get(sid) or new.setdefault(sid, now)
            filled.append(when)
        if new:
            self._record(new)
            times.update(new)
        column = pa.array(filled, TS)
        return table.set_column(table.schema.get_field_index("event_timestamp"), "event_timestamp", column)

    def _record(self, new: dict[str, datetime]) -> None:
        self._seq += 1
        rel = f"{index_dir(self.source_id)}/{paths.part_name(self.txn, self._seq)}"
        table = pa.table({"source_event_id": list(new), "event_timestamp": list(new.values())}, schema=INDEX_SCHEMA)
        self.store.write_parquet(rel, table)
        self._files.append(rel)
        if len(self._files) > COMPACT_FILES:
            self._compact()

    def _compact(self) -> None:
        times = self._load()
        self._seq += 1
        merged = f"{index_dir(self.source_id)}/{paths.part_name(self.txn, self._seq)}"
        table = pa.table({"source_event_id": list(times), "event_timestamp": list(times.values())}, schema=INDEX_SCHEMA)
        self.store.write_parquet(merged, table)  # first the merged file, then the parts it replaces
        for rel in self._files:
            if rel != merged:
                self.store.delete(rel)
        self._files = [merged]
