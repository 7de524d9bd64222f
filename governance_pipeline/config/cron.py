"""Validate a 5-field cron expression at config load (schedules run in UTC).

Accepts what Dagster's schedules accept in practice: ``*``, numbers, ranges, steps, lists, month and
weekday names, and the aliases ``@hourly``, ``@daily``, ``@weekly``, ``@monthly``, ``@yearly``.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

ALIASES = {"@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly", "@annually"}
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    (
        "month",
        1,
        12,
        {
            m: i + 1
            for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])
        },
    ),
    ("day of week", 0, 7, {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}),
)
_ITEM = re.compile(r"^(\*|[0-9a-z]+(?:-[0-9a-z]+)?)(?:/([0-9]+))?$")


def _value(text: str, lo: int, hi: int, names: dict[str, int], what: str) -> int:
    v = names.get(text) if not text.isdigit() else int(text)
    if v is None or not lo <= v <= hi:
        raise ValueError(f"{what} value '{text}' is outside {lo}-{hi}")
    return v


def validate_cron(expr: str) -> str:
    """Return ``expr`` unchanged or raise ``ValueError("invalid cron expression '...': <why>")``."""
    if not isinstance(expr, str):
        raise ValueError("invalid cron expression: must be a string")
    text = expr.strip().lower()
    if text in ALIASES:
        return expr
    parts = text.split()
    try:
        if len(parts) != 5:
            raise ValueError(f"expected 5 fields (minute hour day-of-month month day-of-week), got {len(parts)}")
        for part, (what, lo, hi, names) in zip(parts, _FIELDS):
            for item in part.split(","):
                m = _ITEM.match(item)
                if not m:
                    raise ValueError(f"{what} field '{part}' is not valid")
                base, step = m.groups()
                if step is not None and int(step) == 0:
                    raise ValueError(f"{what} step must be positive")
                if base != "*":
                    first, _, last = base.partition("-")
                    a = _value(first, lo, hi, names, what)
                    if last and _value(last, lo, hi, names, what) < a:
                        raise ValueError(f"{what} range '{base}' is reversed")
        if parts[2] in ("30", "31") and parts[3] in ("2", "feb"):
            raise ValueError("February has no such day")
    except ValueError as exc:
        raise ValueError(f"invalid cron expression '{expr}': {exc}") from None
    return expr


Cron = Annotated[str, AfterValidator(validate_cron)]
"""A config field holding a cron expression, checked at load."""
