"""The REST sync cursor: JSON with per-project ``start_time`` high-water marks and the lookback.

``{"v": 1, "lookbackHours": 24, "projects": {"<session_id>": {"hwm": "<iso>", "open": "<iso>|null"}}}``

The next sync of a project asks for runs starting at or after ``hwm - lookback``; when a run seen still open
(pending, no end time) started earlier, the bound reaches back to it, but never more than ``maxOpenDays``
before ``hwm``. Runs change after they start, so re-reading this overlap and upserting by run id is the point.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def from_micros(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _iso(dt: datetime | None) -> str | None:
    return None if dt is None else dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _parse(v: object) -> datetime | None:
    if not isinstance(v, str) or not v:
        return None
    dt = datetime.fromisoformat(v.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


@dataclass
class ProjectMark:
    hwm: datetime | None = None
    open: datetime | None = None  # start of the oldest run seen without an end time


@dataclass
class SyncCursor:
    lookback: timedelta = timedelta(hours=24)
    max_open: timedelta = timedelta(days=7)
    projects: dict[str, ProjectMark] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str | None, lookback: timedelta, max_open: timedelta) -> SyncCursor:
        cur = cls(lookback=lookback, max_open=max_open)
        if not text:
            return cur
        try:
            data = json.loads(text)
            for pid, mark in (data.get("projects") or {}).items():
                cur.projects[pid] = ProjectMark(_parse(mark.get("hwm")), _parse(mark.get("open")))
        except (ValueError, AttributeError, TypeError) as exc:
            raise ValueError(f"unreadable LangSmith cursor ({exc}); expected JSON with per-project marks") from None
        return cur

    def lower_bound(self, project_id: str) -> datetime | None:
        """Where the next sync of a project starts (None: from the beginning)."""
        mark = self.projects.get(project_id)
        if mark is None or mark.hwm is None:
            return None
        bound = mark.hwm - self.lookback
        if mark.open is not None:
            bound = min(bound, max(mark.open, mark.hwm - self.max_open))
        return bound

    def dump(self) -> str:
        return json.dumps(
            {
                "v": 1,
                "lookbackHours": self.lookback.total_seconds() / 3600,
                "projects": {
                    pid: {"hwm": _iso(m.hwm), "open": _iso(m.open)} for pid, m in sorted(self.projects.items())
                },
            },
            sort_keys=True,
        )


class MarkTracker:
    """Collects one project's high-water mark and oldest open run while its pages stream past."""

    def __init__(self, previous: ProjectMark | None):
        self.hwm_us: int | None = None
        self.open_us: int | None = None
        self.previous = previous or ProjectMark()

    def see(self, start_us: int | None, ended: bool) -> None:
        if start_us is None:
            return
        if self.hwm_us is None or start_us > self.hwm_us:
            self.hwm_us = start_us
        if not ended and (self.open_us is None or start_us < self.open_us):
            self.open_us = start_us

    def mark(self) -> ProjectMark:
        hwm = from_micros(self.hwm_us) if self.hwm_us is not None else None
        prev = self.previous.hwm
        if hwm is None or (prev is not None and prev > hwm):
            hwm = prev
        # an open run from before this sync's lower bound was not re-read: keep remembering it
        opened = from_micros(self.open_us) if self.open_us is not None else None
        if self.hwm_us is None:
            opened = self.previous.open
        return ProjectMark(hwm, opened)
