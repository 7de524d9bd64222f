"""Reading a LangSmith bulk-export tree: which keys are run files, and their rows as run dicts.

Layout: ``<prefix>/export_id=<id>/tenant_id=<id>/session_id=<id>/runs/year=/month=/day=/<file>.parquet``, or
``resource=runs/`` instead of ``runs/``; the bucket name may sit inside the key (``include_bucket_in_prefix``).
Anything else under the prefix (``tmp/`` validation files, other resources) is ignored.

Files differ between exports (``export_fields``, format versions): every file is read on its own and turned
into dicts, so a missing column is simply absent. Timestamps of any unit, naive (v1 nanoseconds) or zoned,
become UTC microseconds. JSON columns arrive as JSON text and are decoded, so a row looks like a REST run.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

_KEY = re.compile(
    r"(?:^|/)export_id=(?P<export>[^/]+)/tenant_id=(?P<tenant>[^/]+)/session_id=(?P<session>[^/]+)/"
    r"(?:runs|resource=runs)/year=(?P<y>\d{4})/month=(?P<m>\d{1,2})/day=(?P<d>\d{1,2})/[^/]+\.parquet$"
)
JSON_FIELDS = (
    "inputs",
    "outputs",
    "extra",
    "events",
    "feedback_stats",
    "tags",
    "parent_run_ids",
    "serialized",
    "attachments",
    "manifest",
    "metadata",
)
TS_UTC = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True)
class ExportFile:
    key: str
    export_id: str
    tenant_id: str
    session_id: str
    day: str


def parse_key(key: str, prefix: str = "") -> ExportFile | None:
    rel = key[len(prefix) :] if prefix and key.startswith(prefix) else key
    if rel.startswith("tmp/") or "/tmp/" in rel.split("export_id=", 1)[0]:
        return None
    m = _KEY.search(rel)
    if m is None:
        return None
    day = f"{m['y']}-{int(m['m']):02d}-{int(m['d']):02d}"
    return ExportFile(key, m["export"], m["tenant"], m["session"], day)


def normalize_timestamps(table: pa.Table) -> pa.Table:
    """Every timestamp column as ``timestamp[us, UTC]``; naive values are UTC, nanoseconds are truncated."""
    cols = []
    for _name, col in zip(table.column_names, table.columns):
        if pa.types.is_timestamp(col.type) and col.type != TS_UTC:
            if col.type.tz is None:
                col = pc.assume_timezone(col.cast(pa.timestamp("us"), safe=False), "UTC")
            col = col.cast(TS_UTC, safe=False)
        cols.append(col)
    return pa.Table.from_arrays(cols, names=table.column_names)


def _decode(v):
    if isinstance(v, (str, bytes)) and v[:1] in ("{", "[", b"{", b"["):
        try:
            return orjson.loads(v)
        except orjson.JSONDecodeError:
            return v
    return v


BATCH_ROWS = 10_000
_DATETIME_MAX_US = (datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)) // (
    timedelta(microseconds=1)
)
_DATETIME_MIN_US = (datetime(1, 1, 1, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def _rows(table: pa.Table) -> list[dict]:
    """``table.to_pylist()``, except that a time Python cannot hold (beyond 9999) becomes a text saying so, which
    ``runs.poisoned`` then quarantines instead of the whole file failing."""
    try:
        return table.to_pylist()
    except (ValueError, OverflowError):
        pass
    columns = {}
    for name, col in zip(table.column_names, table.columns):
        if pa.types.is_timestamp(col.type):
            micros = col.cast(pa.int64()).to_pylist()
            columns[name] = [
                None
                if m is None
                else (
                    datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=m)
                    if _DATETIME_MIN_US <= m <= _DATETIME_MAX_US
                    else f"{m} microseconds after 1970 (beyond year 9999)"
                )
                for m in micros
            ]
        else:
            columns[name] = col.to_pylist()
    return [dict(zip(columns, values)) for values in zip(*columns.values())] if columns else []


def read_runs(data: bytes, file: ExportFile, batch_rows: int = BATCH_ROWS) -> Iterator[list[dict]]:
    """The rows of one export file as run dicts, ``batch_rows`` at a time (path values fill ``tenant_id`` and
    ``session_id`` when a file lacks them)."""
    pf = pq.ParquetFile(io.BytesIO(data))
    for batch in pf.iter_batches(batch_size=batch_rows):
        table = normalize_timestamps(pa.Table.from_batches([batch]))
        drop = [c for c in ("year", "month", "day", "resource") if c in table.column_names]
        table = table.drop_columns(drop) if drop else table
        rows = _rows(table)
        for row in rows:
            for k in JSON_FIELDS:
                if k in row:
                    row[k] = _decode(row[k])
            if row.get("tenant_id") is None:
                row["tenant_id"] = file.tenant_id
            if row.get("session_id") is None:
                row["session_id"] = file.session_id
        yield rows
