"""The exactly-once lake writer.

Three modes, chosen per run:
- ``append`` (incremental pulls): rows whose ``source_event_id`` is already in the date partition, or was
  already written by this run, are dropped; the rest go straight into new files, each written atomically.
  A crash before the cursor commit leaves only complete files, and the re-pull finds their ids present.
- ``upsert`` (sources whose records change, e.g. LangSmith runs): a later version of an id replaces the
  earlier one; partitions holding replaced ids are rewritten.
- ``replace`` (backfills): the window's partitions are replaced by what the re-pull found.

Upserts and replacements are staged under ``_staging/`` and switched in through a journal
(``_journal/<source>/<txn>.json``: files to move in, files to delete). A crash while switching is rolled
forward by the next writer of that source, before it does anything else. One source has one writer at a
time (the Dagster pool ``source_<id>`` enforces it).
"""

from __future__ import annotations

import json
from collections import defaultdict, deque
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from governance_pipeline.enrich.content import ContentPolicy
from governance_pipeline.enrich.cost import PriceBook, price_missing
from governance_pipeline.lake import paths
from governance_pipeline.lake.conform import conform, dedup_ids, split_by_date
from governance_pipeline.lake.schema import EVENT_SCHEMA, to_event_schema
from governance_pipeline.lake.store import LakeStore
from governance_pipeline.lake.undated import UndatedIndex

FLUSH_ROWS = 250_000
MAX_BUFFERED_BYTES = 128 << 20  # across all dates: a run spanning many days still writes in bounded memory
MAX_PENDING_FILES = 4  # files being encoded in the background; the run waits rather than hold more


@dataclass
class WriteStats:
    rows_in: int = 0
    new: int = 0
    duplicates: int = 0
    replaced: int = 0
    deleted_rows: int = 0
    files: int = 0
    rows_by_date: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    last_event_at: datetime | None = None
    quarantined: int = 0
    unpriced_models: dict[str, int] = field(default_factory=dict)  # rows with tokens and a model no price is known for


class LakeWriter:
    def __init__(
        self,
        store: LakeStore,
        source_id: str,
        source_type: str,
        mode: str = "append",
        replace_dates: Iterable[date] = (),
        organization_id: str | None = None,
        prices: PriceBook | None = None,
        content: ContentPolicy | None = None,
        ingested_at: datetime | None = None,
    ):
        if mode not in ("append", "upsert", "replace"):
            raise ValueError(f"unknown write mode {mode!r}")
        self.store = store
        self.source_id = source_id
        self.source_type = source_type
        self.mode = mode
        self.replace_dates = {str(d) for d in replace_dates}
        self.organization_id = organization_id
        self.prices = prices or PriceBook()
        self.content = content or ContentPolicy()
        self.txn = paths.new_txn()
        self.ingested_at = ingested_at or datetime.now(UTC)
        self.stats = WriteStats()
        self.undated = UndatedIndex(store, source_id, self.txn)
        self._seen: dict[str, set[str]] = {}
        self._buffers: dict[str, list[pa.Table]] = defaultdict(list)
        self._buffered: dict[str, int] = defaultdict(int)
        self._buffered_bytes: dict[str, int] = defaultdict(int)
        self._staged: dict[str, list[str]] = defaultdict(list)
        self._quarantine: list[dict[str, Any]] = []
        self._replaced_days: set[str] = set()
        self._seq = 0
        self._files = ThreadPoolExecutor(1, thread_name_prefix=f"lake-writer-{source_id}")
        self._pending: deque[Future[Any]] = deque()
        recover(store, source_id)

    # -- writing ---------------------------------------------------------------------------------
    def write(self, table: pa.Table, content_applied: bool = False) -> None:
        """Add a batch of normalized events (any subset of the lake columns); ``content_applied``: the content
        policy was already applied to it (by the worker, thread or process, that made it)."""
        if table.num_rows == 0:
            return
        self.stats.rows_in += table.num_rows
        table = self.date_undated(table)
        table = conform(table, self.source_type, self.ingested_at, self.organization_id)
        if self.mode == "upsert":  # the last version of an id wins; appends keep the first (see ``_add``)
            deduped = dedup_ids(table, keep="last")
            self.stats.duplicates += table.num_rows - deduped.num_rows
            table = deduped
        if not content_applied:
            table = self.content.apply(table)
        table, unpriced = price_missing(table, self.prices)
        for model, n in unpriced.items():
            self.stats.unpriced_models[model] = self.stats.unpriced_models.get(model, 0) + n
        for day, part in split_by_date(table):
            self._add(day, part)
        ts_max = pc.max(table.column("event_timestamp")).as_py()
        if ts_max is not None and (self.stats.last_event_at is None or ts_max > self.stats.last_event_at):
            self.stats.last_event_at = ts_max

    def date_undated(self, table: pa.Table) -> pa.Table:
        """Give events without a timestamp the recorded time of their first sighting (``lake/undated.py``)."""
        return self.undated.date(table, self.ingested_at)

    def _existing_ids(self, day: str) -> set[str]:
        seen = self._seen.get(day)
        if seen is None:
            seen = set()
            if self.mode != "replace":
                files = self.store.list_files(paths.partition_dir(self.source_id, day), ".parquet")
                if files:
                    seen.update(self.store.read_table(files, ["source_event_id"]).column(0).to_pylist())
            self._seen[day] = seen
        return seen

    def _add(self, day: str, part: pa.Table) -> None:
        seen = self._existing_ids(day)
        ids = part.column("source_event_id").to_pylist()
        if self.mode == "upsert":
            replaced = sum(1 for i in ids if i in seen)
            self.stats.replaced += replaced
            self.stats.new += len(ids) - replaced
            if replaced:
                self._replaced_days.add(day)
            seen.update(ids)
        else:
            known = len(seen)
            mask = _first_sightings(ids, seen)
            kept = len(seen) - known
            self.stats.duplicates += len(ids) - kept
            self.stats.new += kept
            if mask is not None:
                part = part.filter(pa.array(mask, pa.bool_()))
        if part.num_rows == 0:
            return
        self._buffers[day].append(part)
        self._buffered[day] += part.num_rows
        self._buffered_bytes[day] += part.nbytes
        if self._buffered[day] >= FLUSH_ROWS:
            self._flush(day)
        elif sum(self._buffered_bytes.values()) >= MAX_BUFFERED_BYTES:
            # Days other than the one being filled are most likely complete: write them first, so a day is
            # rarely split across files; the day being filled follows if it alone is over half the budget.
            for buffered_day in [d for d in self._buffers if d != day]:
                self._flush(buffered_day)
            if self._buffered_bytes.get(day, 0) >= MAX_BUFFERED_BYTES // 2:
                self._flush(day)

    def _flush(self, day: str, inline: bool = False) -> None:
        parts = self._buffers.pop(day, [])
        self._buffered.pop(day, None)
        self._buffered_bytes.pop(day, None)
        if not parts:
            return
        table = pa.concat_tables(parts) if len(parts) > 1 else parts[0]
        if self.mode == "upsert":
            table = dedup_ids(table, keep="last")
        self._seq += 1
        name = paths.part_name(self.txn, self._seq)
        if self.mode == "append":
            self._write_file(f"{paths.partition_dir(self.source_id, day)}/{name}", table, inline)
        else:
            rel = f"{paths.staging_dir(self.source_id, self.txn)}/date={day}/{name}"
            self._write_file(rel, table, inline)
            self._staged[day].append(rel)
        self.stats.files += 1
        self.stats.rows_by_date[day] += table.num_rows

    def _write_file(self, rel: str, table: pa.Table, inline: bool = False) -> None:
        """Encode and write ``table`` on the writer's thread (Arrow releases the GIL) while the run reads on;
        ``inline``: on this thread, beside the writer's."""
        if inline:
            self.store.write_parquet(rel, table)
            return
        while len(self._pending) >= MAX_PENDING_FILES:
            self._pending.popleft().result()
        self._pending.append(self._files.submit(self.store.write_parquet, rel, table))

    def _wait_for_files(self) -> None:
        """Every file handed to the writer's thread is written; the first failure is raised."""
        while self._pending:
            self._pending.popleft().result()

    def close(self) -> None:
        """Stop the writer's thread after the files already handed to it (a run that fails before commit)."""
        self._files.shutdown(wait=True)

    def quarantine(self, records: Iterable[dict[str, Any]]) -> None:
        """Keep malformed input (with file, line and error) for inspection; it never enters ``events/``."""
        self._quarantine.extend(records)

    # -- commit ----------------------------------------------------------------------------------
    def commit(self) -> WriteStats:
        """Make everything written by this run durable and visible. Call before committing the cursor."""
        try:
            # Nothing is read any more: this thread encodes every other buffered day beside the writer's thread.
            for i, day in enumerate(list(self._buffers)):
                self._flush(day, inline=i % 2 == 1)
            self._wait_for_files()
        finally:
            self.close()
        if self._quarantine:
            today = datetime.now(UTC).date()
            body = "\n".join(json.dumps(r, default=str) for r in self._quarantine) + "\n"
            self.store.write_bytes(paths.quarantine_file(self.source_id, today, self.txn), body.encode())
            self.stats.quarantined = len(self._quarantine)
        if self.mode == "append":
            return self.stats
        moves: list[list[str]] = []
        deletes: list[str] = []
        days = set(self._staged) | (self.replace_dates if self.mode == "replace" else set())
        for day in sorted(days):
            old = self.store.list_files(paths.partition_dir(self.source_id, day), ".parquet")
            staged = self._staged.get(day, [])
            if self.mode == "upsert" and day in self._replaced_days and old:
                staged = [self._merge_rewrite(day, old, staged)]
            elif self.mode == "upsert":
                old = []
            if self.mode == "replace" and old:
                carried, kept = self._carry_undated(day, old)
                staged = [*staged, carried] if carried else staged
                self.stats.deleted_rows += self.store.read_table(old, ["source_event_id"]).num_rows - kept
            for rel in staged:
                moves.append([rel, f"{paths.partition_dir(self.source_id, day)}/{rel.rsplit('/', 1)[1]}"])
            deletes.extend(old)
        if moves or deletes:
            journal = f"{paths.journal_dir(self.source_id)}/{self.txn}.json"
            self.store.write_bytes(journal, json.dumps({"moves": moves, "deletes": deletes}).encode())
            _apply(self.store, moves, deletes)
            self.store.delete(journal)
        self.store.delete_dir(paths.staging_dir(self.source_id, self.txn))
        return self.stats

    def _carry_undated(self, day: str, old: list[str]) -> tuple[str | None, int]:
        """A backfill cannot ask the source for undated events by time: keep those of ``day`` it did not
        re-read, as a staged file (and how many rows it holds)."""
        undated = self.undated.ids()
        if len(undated) == 0:
            return None, 0
        existing = self.store.read_table(old)
        ids = existing.column("source_event_id")
        keep = pc.and_(
            pc.is_in(ids, value_set=undated),
            pc.invert(pc.is_in(ids, value_set=pa.array(list(self._seen.get(day, ())), pa.string()))),
        )
        carried = existing.filter(keep)
        if carried.num_rows == 0:
            return None, 0
        self._seq += 1
        rel = f"{paths.staging_dir(self.source_id, self.txn)}/date={day}/{paths.part_name(self.txn, self._seq)}"
        self.store.write_parquet(rel, to_event_schema(carried))  # old files lack the added columns
        return rel, carried.num_rows

    def _merge_rewrite(self, day: str, old: list[str], staged: list[str]) -> str:
        new_rows = dedup_ids(self.store.read_table(staged), keep="last") if staged else EVENT_SCHEMA.empty_table()
        existing = self.store.read_table(old)
        keep = pc.invert(pc.is_in(existing.column("source_event_id"), value_set=new_rows.column("source_event_id")))
        merged = pa.concat_tables([to_event_schema(existing.filter(keep)), to_event_schema(new_rows)])
        self._seq += 1
        rel = f"{paths.staging_dir(self.source_id, self.txn)}/date={day}/{paths.part_name(self.txn, self._seq)}"
        self.store.write_parquet(rel, merged)
        for s in staged:
            self.store.delete(s)
        return rel


def _first_sightings(ids: list[str], seen: set[str]) -> list[bool] | None:
    """For each id, whether it is neither in ``seen`` nor earlier in ``ids``; adds the new ones to ``seen``.
    None when every id is new (the usual case, checked with set operations that run in C)."""
    known = len(seen)
    if seen.isdisjoint(ids):
        seen.update(ids)
        if len(seen) - known == len(ids):
            return None
        seen.difference_update(ids)  # repeats within the batch: take the slow path below
    mask: list[bool] = []
    keep, add = mask.append, seen.add
    for i in ids:
        if i in seen:
            keep(False)
        else:
            add(i)
            keep(True)
    return mask


def _apply(store: LakeStore, moves: list[list[str]], deletes: list[str]) -> None:
    moved_to = {dst for _, dst in moves}
    for src, dst in moves:
        if store.exists(src):
            store.move(src, dst)
    for rel in deletes:
        if rel not in moved_to:
            store.delete(rel)


def recover(store: LakeStore, source_id: str) -> int:
    """Roll forward switches a crash interrupted, and drop staging left by runs that never committed."""
    done = 0
    for journal in store.list_files(paths.journal_dir(source_id), ".json"):
        try:
            plan = json.loads(store.read_bytes(journal))
        except (ValueError, OSError):
            store.delete(journal)
            continue
        _apply(store, plan.get("moves", []), plan.get("deletes", []))
        store.delete(journal)
        done += 1
    for txn in store.list_dirs(f"_staging/{source_id}"):
        store.delete_dir(paths.staging_dir(source_id, txn))
    return done
