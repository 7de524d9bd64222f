"""Typed coercion of raw values into normalized columns, per value and per column.

Numbers may arrive as strings, timestamps as ISO 8601 (with or without zone; no zone means UTC) or as
epoch seconds / milliseconds / microseconds / nanoseconds (told apart by magnitude).

Nothing here raises on a value: integers beyond int64, numbers that are not finite and timestamps outside
1970..9999 coerce to None. The column builders can also report, per row, a value that was *present* but did not
coerce (``problems``), which the event mapping uses to quarantine the record (README, "Poisoned records").
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
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MICROS_MIN = 0  # 1970-01-01T00:00:00Z
MICROS_MAX = (datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC) - _EPOCH) // datetime.resolution
INTEGER = "an integer within int64"
NUMBER = "a finite number"
TIMESTAMP = "a timestamp between 1970 and 9999"


def present(v: Any) -> bool:
    """Whether a raw value says something: None, "" and blank strings count as absent."""
    return v is not None and not (type(v) is str and not v.strip())


def note_problems(values: list[Any], coerced: list[Any], problems: dict[int, str], name: str, what: str) -> None:
    """Record in ``problems`` (row -> reason) every row whose value was present but coerced to None."""
    for i, (raw, out) in enumerate(zip(values, coerced)):
        if out is None and i not in problems and present(raw):
            problems[i] = f"{name}: {_shown(raw)} is not {what}"


def _shown(v: Any) -> str:
    text = v if isinstance(v, str) else repr(v)
    text = repr(text[:60] + "..." if len(text) > 60 else text) if isinstance(v, str) else text[:60]
    return f"{type(v).__name__} {text}"


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
    try:
        if isinstance(v, (int, float, Decimal)):
            f = float(v)
        elif isinstance(v, str):
            f = float(v.strip())
        else:
            return None
    except (ValueError, OverflowError):  # not a number; an integer beyond a double
        return None
    return None if math.isnan(f) or math.isinf(f) else f


def to_int(v: Any) -> int | None:
    """An int64 (fractions truncated), or None: not a number, or beyond int64."""
    if v is None or isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v if INT64_MIN <= v <= INT64_MAX else None
    if isinstance(v, str):
        s = v.strip()
        try:
            i = int(s)
        except ValueError:  # also digits beyond Python's int-from-text limit: tried as a float below
            f = to_float(s)
            return _int64_of(f)
        return i if INT64_MIN <= i <= INT64_MAX else None
    return _int64_of(to_float(v))


def _int64_of(f: float | None) -> int | None:
    # -2.0**63 itself is excluded: a JSON integer just beyond int64 (-9223372036854775809) parses to that double
    if f is None or not (-(2.0**63) < f < 2.0**63):
        return None
    return int(f)


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
    """One raw timestamp -> microseconds since the epoch (UTC), or None when it does not parse or is outside
    1970..9999."""
    try:
        micros = _micros(v)
    except (ValueError, OverflowError):
        return None
    return micros if micros is not None and MICROS_MIN <= micros <= MICROS_MAX else None


def _micros(v: Any) -> int | None:
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


def timestamp_column(
    values: list[Any], problems: dict[int, str] | None = None, name: str = "event_timestamp"
) -> pa.Array:
    """A column of raw timestamps -> ``timestamp[us, UTC]``; vectorized where the values allow it. Values that do
    not parse, or lie outside 1970..9999, are null (and noted in ``problems`` when given)."""
    if values and all(type(v) is str for v in values):
        parsed = iso_timestamps(pa.array(values, pa.string()))
        if parsed is not None and in_range(parsed):
            return parsed
    micros = [to_micros(v) for v in values]
    if problems is not None and None in micros:
        note_problems(values, micros, problems, name, TIMESTAMP)
    return pa.array(micros, pa.int64()).cast(TS_TYPE)


def in_range(ts: pa.Array) -> bool:
    """Whether every timestamp of a ``timestamp[us, UTC]`` column lies in 1970..9999."""
    lo_hi = pc.min_max(ts.cast(pa.int64()))
    lo, hi = lo_hi["min"].as_py(), lo_hi["max"].as_py()
    return lo is None or (lo >= MICROS_MIN and hi <= MICROS_MAX)


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


def float_column(values: Iterable[Any], problems: dict[int, str] | None = None, name: str = "") -> pa.Array:
    """Finite doubles; anything else null (and noted in ``problems`` when given and the value was present)."""
    values = list(values)
    out = [v if type(v) is float and math.isfinite(v) else to_float(v) for v in values]
    if problems is not None and None in out:
        note_problems(values, out, problems, name, NUMBER)
    return pa.array(out, pa.float64())


def int_column(values: Iterable[Any], problems: dict[int, str] | None = None, name: str = "") -> pa.Array:
    """int64 values (fractions truncated); anything else null (and noted in ``problems`` when given and the value
    was present)."""
    values = list(values)
    out = [v if type(v) is int and INT64_MIN <= v <= INT64_MAX else to_int(v) for v in values]
    if problems is not None and None in out:
        note_problems(values, out, problems, name, INTEGER)
    return pa.array(out, pa.int64())
