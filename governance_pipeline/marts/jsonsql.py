"""Tiny builders of SQL expressions that render JSON text, omitting absent members.

DuckDB's ``to_json(struct_pack(...))`` writes ``"key": null`` for missing values, which OCSF validators
reject; here a member whose value is NULL is dropped (``NULL || text`` is NULL and ``concat_ws`` skips NULLs),
and an object can be dropped as a whole with ``when``. Everything stays vectorised SQL.
"""

from __future__ import annotations

import json


def lit(value: object) -> str:
    """A constant, rendered as JSON text at SQL-generation time."""
    return "'" + json.dumps(value, separators=(",", ":")).replace("'", "''") + "'"


def members_lit(value: dict[str, object]) -> str:
    """Constant members ``"k":v,...`` (no braces), for a ``RAW`` member of ``obj``."""
    return lit(value)[:1] + lit(value)[2:-2] + lit(value)[-1:]


def text(expr: str) -> str:
    """A VARCHAR expression as a JSON string (NULL stays NULL)."""
    return f"to_json(({expr})::VARCHAR)"


def integer(expr: str) -> str:
    return f"(({expr})::BIGINT)::VARCHAR"


def number(expr: str) -> str:
    """A DOUBLE as a JSON number; NULL for NaN and infinities, which JSON cannot carry."""
    return f"CASE WHEN isfinite({expr}) THEN to_json(({expr})::DOUBLE) END"


RAW = "__raw"
"""Key prefix of a member whose expression is already a whole ``"key":value`` fragment (or NULL)."""


def obj(members: dict[str, str], when: str | None = None) -> str:
    """A JSON object from ``{key: json-text expression}``; NULL members are left out."""
    parts = []
    for key, value in members.items():
        parts.append(value if key.startswith(RAW) else f"{lit(key)[:-1]}:' || {value}")
    body = "'{' || concat_ws(',', " + ", ".join(parts) + ") || '}'"
    return f"CASE WHEN {when} THEN {body} END" if when else body


def array(*items: str, when: str | None = None) -> str:
    body = "'[' || concat_ws(',', " + ", ".join(items) + ") || ']'"
    return f"CASE WHEN {when} THEN {body} END" if when else body
