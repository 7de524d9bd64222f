"""Build the governance report file from the marts: read-only queries, then one self-contained HTML page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from governance_pipeline.marts.dbfile import connect_read_only
from governance_pipeline.marts.health import SourceHealth, source_health
from governance_pipeline.marts.report_data import ReportData, report_data
from governance_pipeline.marts.report_html import render_report, write_report

REPORT_NAME = "governance_report.html"


@dataclass
class Report:
    path: Path
    data: ReportData
    health: list[SourceHealth]


def build_report(
    db_path: str | Path,
    lake_root: str,
    sources: Mapping[str, str | None],
    out_dir: Path,
    statuses: Mapping[str, Mapping[str, Any]] | None = None,
    now: datetime | None = None,
) -> Report:
    """Write ``out_dir/governance_report.html``; ``sources`` maps configured source ids to their types and
    ``statuses`` (optional) carries the pipeline's own per-source status, which wins over the derived one."""
    now = now or datetime.now(UTC)
    if Path(db_path).exists():
        con = connect_read_only(db_path)
        try:
            data = report_data(con, now)
            health = source_health(con, lake_root, sources, now, statuses)
        finally:
            con.close()
    else:
        import duckdb

        con = duckdb.connect()
        data, health = ReportData(now), source_health(con, lake_root, sources, now, statuses)
    path = write_report(render_report(data, health), Path(out_dir) / REPORT_NAME)
    return Report(path, data, health)
