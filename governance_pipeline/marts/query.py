"""One value from a DuckDB query: the first column of the first row (an aggregate always has one)."""

from __future__ import annotations

from typing import Any

import duckdb


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> Any:
    row = con.execute(sql, params or []).fetchone()
    if row is None:
        raise LookupError(f"query returned no row: {sql[:80]}")
    return row[0]
