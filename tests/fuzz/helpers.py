"""What every fuzz test checks after a pull: good records landed exactly once, bad ones quarantined, errors counted."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import orjson


def lake_ids(lake: Path) -> list[str]:
    if not list(lake.glob("events/**/*.parquet")):
        return []
    rows = duckdb.sql(
        f"select source_event_id from read_parquet('{lake}/events/**/*.parquet', hive_partitioning=true)"
    ).fetchall()
    return sorted(r[0] for r in rows)


def quarantined(lake: Path) -> list[dict]:
    return [
        orjson.loads(line) for p in sorted(lake.glob("quarantine/**/*.ndjson")) for line in p.read_bytes().splitlines()
    ]


def check(out, lake: Path, good: list[str], bad: list[str], other_bad: int = 0) -> None:
    """``good`` ids landed exactly once, each of ``bad`` in exactly one quarantine record, and ``other_bad``
    records without an id (not JSON, not objects) quarantined too; the pull counted every one as an error."""
    assert lake_ids(lake) == sorted(good)
    q = quarantined(lake)
    assert len(q) == len(bad) + other_bad == out.errors == out.quarantined
    assert all(r["error"] for r in q)
    ours = set(good) | set(bad)
    named = sorted(i for i in map(_id_of, q) if i in ours)
    assert named == sorted(bad)


def _id_of(record: dict) -> str | None:
    for key in ("run_id", "span_id"):
        if record.get(key):
            return record[key]
    raw = record.get("raw") or ""
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError:  # e.g. cut at the quarantine's raw limit: the id comes first
        m = re.match(r'\{"(?:id|event_id)": ?"([^"]+)"', raw)
        return m.group(1) if m else None
    if isinstance(doc, dict):
        return doc.get("id") or doc.get("event_id")
    return None
