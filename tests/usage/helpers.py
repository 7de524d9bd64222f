"""Pull an OTLP source's landed spans into the lake, build the marts, and read back what they count."""

from __future__ import annotations

from pathlib import Path

import duckdb

from governance_pipeline.ingest import run_pull
from governance_pipeline.marts.build import build_marts
from governance_pipeline.pull_types import Runtime
from governance_pipeline.sources_file import load_sources


def pull(sources_file: Path, lake: str, source_id: str = "agents", cursor: str | None = None) -> str | None:
    """One incremental pull of ``source_id``; returns the new cursor."""
    source = load_sources(sources_file).source(source_id)
    return run_pull(source, Runtime(credentials=lambda ref: {}, lake_root=lake), cursor).cursor


def kpi_totals(db: Path, lake: str, dates: list[str] | None = None) -> tuple[int, int, int]:
    """(events, tokens_input, tokens_output) summed over ``governance_kpis`` after building the marts."""
    build_marts(db, lake, dates)
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute(
            "SELECT sum(event_count), coalesce(sum(tokens_input), 0), coalesce(sum(tokens_output), 0) "
            "FROM governance_kpis"
        ).fetchone()
    assert row is not None
    return int(row[0] or 0), int(row[1]), int(row[2])


def lake_rows(lake: str, columns: str) -> list[tuple]:
    return duckdb.sql(
        f"SELECT {columns} FROM read_parquet('{lake}/events/**/*.parquet', hive_partitioning = true, "
        "union_by_name = true) ORDER BY ALL"
    ).fetchall()
