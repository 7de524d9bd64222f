"""Where accepted OTLP requests land, and what is there.

Layout: ``<lake>/_landing/otlp/<source_id>/<YYYYMMDDTHH>/<YYYYMMDDTHHMMSS.ffffff>Z-<writer>-<seq>.pb``.
Each file is one serialized ``ExportTraceServiceRequest`` (several requests concatenated are one valid
request, so a group commit simply joins their bodies). Names sort by landing time on the receiver's own
clock, which other receivers' clocks may not agree with (``receiver.cursor`` allows for that); files are written
atomically (local: temp file, fsync, rename, fsync of the folder; S3: one PUT), so a listed file is complete.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from governance_pipeline.lake.store import LakeStore

ROOT = "_landing/otlp"
SUFFIX = ".pb"
_NAME_FMT = "%Y%m%dT%H%M%S.%fZ"


def source_dir(source_id: str) -> str:
    return f"{ROOT}/{source_id}"


def file_name(at: datetime, writer: str, seq: int) -> str:
    return f"{at.astimezone(UTC).strftime(_NAME_FMT)}-{writer}-{seq:08d}{SUFFIX}"


def file_path(source_id: str, name: str) -> str:
    return f"{source_dir(source_id)}/{name[:11]}/{name}"


def new_writer_token() -> str:
    return uuid.uuid4().hex[:8]


def time_key(at: datetime) -> str:
    """The name prefix of files landed at ``at``: comparable with file names as plain strings."""
    return at.astimezone(UTC).strftime(_NAME_FMT)


def landed_at(name: str) -> datetime | None:
    try:
        return datetime.strptime(name.split("-", 1)[0], _NAME_FMT).replace(tzinfo=UTC)
    except ValueError:
        return None


def list_landed(store: LakeStore, source_id: str, since: str | None = None) -> list[str]:
    """File names (not paths) landed for ``source_id`` with name >= ``since``, oldest first."""
    names: list[str] = []
    for hour in store.list_dirs(source_dir(source_id)):
        if since is not None and hour < since[:11]:
            continue
        for rel in store.list_files(f"{source_dir(source_id)}/{hour}", SUFFIX):
            name = rel.rsplit("/", 1)[-1]
            if not name.startswith(".") and (since is None or name >= since):
                names.append(name)
    return sorted(names)


def landing_has_data(lake_root: str, source_id: str) -> bool:
    """True once at least one accepted span of ``source_id`` is on durable storage."""
    return last_landed_at(lake_root, source_id) is not None


def last_landed_at(lake_root: str, source_id: str) -> datetime | None:
    """When the newest request of ``source_id`` landed (UTC), or None if nothing has."""
    store = LakeStore(lake_root)
    for hour in reversed(store.list_dirs(source_dir(source_id))):
        names = [r.rsplit("/", 1)[-1] for r in store.list_files(f"{source_dir(source_id)}/{hour}", SUFFIX)]
        names = [n for n in names if not n.startswith(".")]
        if names:
            return landed_at(max(names))
    return None
