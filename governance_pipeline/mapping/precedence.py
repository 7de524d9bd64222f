"""Precedence lists for push sources: the first key present whose value parses wins."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from governance_pipeline.mapping.coerce import to_float, to_int, to_text


def first_valid(attrs: Mapping[str, Any], keys: Sequence[str], coerce: Callable[[Any], Any] = to_text) -> Any:
    """Value of the first key in ``keys`` that is present in ``attrs`` and coerces to non-null.

    A key whose value does not parse is skipped and the next one is tried.
    """
    for key in keys:
        if key in attrs:
            value = coerce(attrs[key])
            if value is not None:
                return value
    return None


def first_text(attrs: Mapping[str, Any], keys: Sequence[str]) -> str | None:
    value: str | None = first_valid(attrs, keys, to_text)
    return value


def first_float(attrs: Mapping[str, Any], keys: Sequence[str]) -> float | None:
    value: float | None = first_valid(attrs, keys, to_float)
    return value


def first_int(attrs: Mapping[str, Any], keys: Sequence[str]) -> int | None:
    value: int | None = first_valid(attrs, keys, to_int)
    return value
