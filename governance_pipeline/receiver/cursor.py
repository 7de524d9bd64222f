"""The cursor over landed files: which ones a pull has consumed, compact and safe against late arrivals.

Every file named below ``before`` is consumed. Above it, a file is consumed when its writer's sequence
number is at most the one recorded for that writer: one writer thread lands its files one after another,
so seeing its file ``k`` means its files ``< k`` are complete, and a pull consumes each writer's files in
sequence order. Above the watermark, wall-clock order is never trusted.

File names carry the landing receiver's clock, and receivers' clocks disagree. ``before`` therefore stays
``SETTLE + MAX_CLOCK_SKEW`` behind the newest file consumed (and below any file left for a later run). The
newest name was written by some receiver no later than now on that receiver's clock; any file listed after
this pull was named by its own receiver when its write began, which is at least
``now - SETTLE`` in true time, so its name is at least ``newest - SETTLE - MAX_CLOCK_SKEW`` as long as no two
receivers' clocks differ by more than ``MAX_CLOCK_SKEW`` and no landing write takes longer than ``SETTLE``.
The puller's own clock plays no part. The cost of the margin is one listing of the hour folders it spans and
one cursor entry per receiver process that landed within it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import orjson

from governance_pipeline.lake.store import LakeStore
from governance_pipeline.pull_types import Backlog
from governance_pipeline.receiver.landing import landed_at, list_landed, source_dir, time_key

SETTLE = timedelta(minutes=10)  # the longest a landing write (name chosen .. file listed) may take
MAX_CLOCK_SKEW = timedelta(hours=1)  # the largest difference between two receivers' clocks that loses nothing
WATERMARK_LAG = SETTLE + MAX_CLOCK_SKEW


def parse_name(name: str) -> tuple[str, int]:
    """(writer token, sequence number) of a landing file name."""
    stem = name.rsplit(".", 1)[0]
    _, writer, seq = stem.split("-")
    return writer, int(seq)


def order_key(name: str) -> tuple[str, int, str]:
    writer, seq = parse_name(name)
    return writer, seq, name


@dataclass
class LandingCursor:
    before: str | None = None
    writers: dict[str, tuple[int, str]] = field(default_factory=dict)  # writer -> (seq, name) consumed

    @classmethod
    def parse(cls, text: str | None) -> LandingCursor:
        if not text:
            return cls()
        try:
            doc = orjson.loads(text)
            return cls(doc.get("before"), {w: (int(v[0]), str(v[1])) for w, v in doc.get("writers", {}).items()})
        except (orjson.JSONDecodeError, AttributeError, TypeError, ValueError, IndexError):
            raise ValueError(f"not an otel_generic cursor: {text[:80]!r}") from None

    def dump(self) -> str:
        return orjson.dumps(
            {"before": self.before, "writers": {w: list(v) for w, v in sorted(self.writers.items())}}
        ).decode()

    def consumed(self, name: str) -> bool:
        if self.before is not None and name < self.before:
            return True
        writer, seq = parse_name(name)
        done = self.writers.get(writer)
        return done is not None and seq <= done[0]

    def pending(self, names: list[str]) -> list[str]:
        """The names not yet consumed, in consumption order (each writer's files by sequence number)."""
        return sorted((n for n in names if not self.consumed(n)), key=order_key)

    def advance(self, consumed: list[str], pending: list[str]) -> LandingCursor:
        """The cursor after consuming ``consumed``, a per-writer prefix of ``pending``."""
        writers = dict(self.writers)
        for name in consumed:
            writer, seq = parse_name(name)
            if writer not in writers or seq > writers[writer][0]:
                writers[writer] = (seq, name)
        done = set(consumed)
        left = [n for n in pending if n not in done]
        # measured on the receivers' own clocks (the newest name consumed), never the puller's; the margin
        # covers a slow write and a receiver whose clock lags the others' by up to MAX_CLOCK_SKEW
        newest = landed_at(max(v[1] for v in writers.values())) if writers else None
        candidates = [n for n in (time_key(newest - WATERMARK_LAG) if newest else None, *left) if n is not None]
        before = min(candidates) if candidates else self.before
        if self.before is not None and (before is None or self.before > before):
            before = self.before
        if before is not None:
            writers = {w: v for w, v in writers.items() if v[1] >= before}
        return LandingCursor(before, writers)


def backlog(store: LakeStore, source_id: str, cursor: str | None) -> Backlog:
    """The landed files of ``source_id`` that ``cursor`` has not consumed, and when the oldest of them landed."""
    state = LandingCursor.parse(cursor)
    pending = state.pending(list_landed(store, source_id, since=state.before))
    return Backlog(len(pending), landed_at(min(pending)) if pending else None)  # names begin with the landing time


def prune_landing(lake_root: str, source_id: str, older_than: datetime, cursor: str | None) -> int:
    """Delete landing hour folders older than ``older_than`` that the pull ``cursor`` has fully consumed.

    For a retention job: consumed files are only needed again by backfills, so keep them as long as the
    source's events are kept. Returns the number of hour folders deleted.
    """
    consumed_before = LandingCursor.parse(cursor).before
    if consumed_before is None:
        return 0
    limit = min(time_key(older_than), consumed_before)[:11]
    store = LakeStore(lake_root)
    deleted = 0
    for hour in store.list_dirs(source_dir(source_id)):
        if hour < limit:  # every file in it is named before `limit`, so before the cursor's watermark
            store.delete_dir(f"{source_dir(source_id)}/{hour}")
            deleted += 1
    return deleted
