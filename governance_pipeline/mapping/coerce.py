"""Typed coercion of raw values into normalized columns, per value and per column.

Numbers may arrive as strings, timestamps as ISO 8601 (with or without zone; no zone means UTC) or as
epoch seconds / milliseconds / microseconds / nanoseconds (told apart by magnitude).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

TS_TYPE = pa.timestamp("us", tz="UTC")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_text(v: Any) -> str | None:
    if v is None or v == "":
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, Decimal)):
        return str(v)
    if isinstance(v, float):
        return None if math.isnan(v) else (str(int(v)) if v.is_integer() else repr(v))
    return orjson.dumps(v, option=orjson.OPT_NON_STR_KEYS, default=str).decode()


def to_float(v: Any) -> float | None:
    if v is None or isinstance(v, bool):
        return None
    if isinstance(v, (int, float, Decimal)):
        f = float(v)
    elif isinstance(v, str):
        try:
            f = float(v.strip())
        except ValueError:
            return None
    else:
        return None
    return None if math.isnan(f) or math.isinf(f) else f


def to_int(v: Any) -> int | None:
    if v is None or isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, str):
        s = v.strip()
        try:
            return int(s)
        except ValueError:
            f = to_float(s)
            return int(f) if f is not None else None
    f = to_float(v)
    return int(f) if f is not None else None


def epoch_to_micros(n: float | int) -> int:
    """Epoch number in s, ms, us or ns (by magnitude) -> microseconds. Integers stay exact."""
    a = abs(n)
    if isinstance(n, int):
        if a < 10**11:
            return n * 1_000_000
        if a < 10**14:
            return n * 1_000
        if a < 10**17:
            return n
        return n // 1_000
    if a < 1e11:
        return round(n * 1_000_000)
    if a < 1e14:
        return round(n * 1_000)
    if a < 1e17:
        return round(n)
    return round(n / 1_000)


def to_micros(v: Any) -> int | None:
    """One raw timestamp -> microseconds since the epoch (UTC), or None when it does not parse."""
    if v is None or isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
            return None
        return epoch_to_micros(v)
    if isinstance(v, datetime):
        dt = v if v.tzinfo else v.replace(tzinfo=UTC)
        return (dt - _EPOCH) // _MICRO
    if isinstance(v, str):
        s = v.strip()
        if not s:
            return None
        if s.isdigit() or (s[0] == "-" and s[1:].isdigit()):
            return epoch_to_micros(int(s))
        try:
            dt = datetime.fromisoformat(s)
        except ValueError:
            parsed = _parse_long_fraction(s)
            if parsed is None:
                f = to_float(s)
                return epoch_to_micros(f) if f is not None else None
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        return (dt - _EPOCH) // _MICRO
    return None


_MICRO = datetime.resolution  # timedelta(microseconds=1)


def _parse_long_fraction(s: str) -> datetime | None:
    """ISO strings with nanosecond fractions, which ``fromisoformat`` rejects: truncate to microseconds."""
    dot = s.find(".")
    if dot < 0:
        return None
    end = dot + 1
    while end < len(s) and s[end].isdigit():
        end += 1
    if end - dot - 1 <= 6:
        return None
    try:
        return datetime.fromisoformat(s[: dot + 7] + s[end:])
    except ValueError:
        return None


def timestamp_column(values: list[Any]) -> pa.Array:
    """A column of raw timestamps -> ``timestamp[us, UTC]``; vectorized where the values allow it."""
    if values and all(type(v) is str for v in values):
        parsed = iso_timestamps(pa.array(values, pa.string()))
        if parsed is not None:
            return parsed
    return pa.array([to_micros(v) for v in values], pa.int64()).cast(TS_TYPE)


def iso_timestamps(texts: pa.Array) -> pa.Array | None:
    """A string column without nulls, each an ISO 8601 timestamp with a zone (or each without one: UTC), cast
    in C; None when some value needs ``to_micros``."""
    try:
        return pc.cast(texts, TS_TYPE)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    try:
        return pc.assume_timezone(pc.cast(texts, pa.timestamp("us")), "UTC")
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def text_column(values: Iterable[Any]) -> pa.Array:
    if isinstance(values, list):
        try:  # all str/None (the usual case): let Arrow convert in C
            return pa.array(values, pa.string())
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            pass
    return pa.array([v if type(v) is str else to_text(v) for v in values], pa.string())


def float_column(values: Iterable[Any]) -> pa.Array:
    return pa.array([v if type(v) is float else to_float(v) for v in values], pa.float64())


def int_column(values: Iterable[Any]) -> pa.Array:
    return pa.array([v if type(v) is int else to_int(v) for v in values], pa.int64())
