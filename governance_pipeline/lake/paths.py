"""The lake's folder layout, in one place."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime


def partition_dir(source_id: str, day: date | str) -> str:
    return f"events/source_id={source_id}/date={day}"


def source_dir(source_id: str) -> str:
    return f"events/source_id={source_id}"


def staging_dir(source_id: str, txn: str) -> str:
    return f"_staging/{source_id}/{txn}"


def journal_dir(source_id: str) -> str:
    return f"_journal/{source_id}"


def quarantine_file(source_id: str, day: date, txn: str) -> str:
    return f"quarantine/source_id={source_id}/date={day}/{txn}.ndjson"


def new_txn() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:10]


def part_name(txn: str, seq: int) -> str:
    return f"part-{txn}-{seq:04d}.parquet"


def date_of(rel_path: str) -> str | None:
    for part in rel_path.split("/"):
        if part.startswith("date="):
            return part[5:]
    return None
