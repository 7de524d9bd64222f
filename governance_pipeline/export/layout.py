"""Where a destination's objects live, in one place.

``events`` and ``ocsf``: ``<prefix>/export_id=<destination id>/source_id=<s>/year=YYYY/month=MM/day=DD/``
(Hive-style, as LangSmith's bulk export); ``security_lake``: Security Lake's custom-source layout
``<prefix>/ext/<sourceName>[/<sourceVersion>]/region=<r>/accountId=<a>/eventDay=YYYYMMDD/``.
The export id is the destination id, so re-exporting a day replaces the same objects.
"""

from __future__ import annotations

import uuid
from datetime import date

from governance_pipeline.export.config import Destination

CHECK_FOLDER = "_govpipe_check/"


def _join(*parts: str) -> str:
    return "/".join(p.strip("/") for p in parts if p and p.strip("/"))


def export_root(dest: Destination) -> str:
    """The folder (ending in ``/``) holding every object of this export."""
    if dest.format == "security_lake":
        return _join(dest.prefix, "ext", dest.sourceName or "", dest.sourceVersion or "") + "/"
    return _join(dest.prefix, f"export_id={dest.id}") + "/"


def day_dir(dest: Destination, day: date, source_id: str | None = None) -> str:
    """The folder (ending in ``/``) of one day (and, except for Security Lake, one source)."""
    if dest.format == "security_lake":
        return export_root(dest) + f"region={dest.region}/accountId={dest.accountId}/eventDay={day:%Y%m%d}/"
    if source_id is None:
        raise ValueError("source_id is needed for the events and ocsf layouts")
    return export_root(dest) + f"source_id={source_id}/year={day:%Y}/month={day:%m}/day={day:%d}/"


def day_suffix(day: date) -> str:
    """The tail shared by every source's folder of ``day`` (events and ocsf)."""
    return f"year={day:%Y}/month={day:%m}/day={day:%d}/"


def object_name(dest: Destination, seq: int) -> str:
    """The ``seq``-th object of a day folder: the same name at every export, so a re-export overwrites it."""
    codec = "" if dest.compression == "none" else f".{dest.compression}"
    return f"part-{seq:04d}{codec}.parquet"


def check_key(dest: Destination) -> str:
    return _join(dest.prefix, CHECK_FOLDER) + f"/{uuid.uuid4().hex}.txt"
