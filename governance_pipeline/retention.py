"""Retention: delete lake partitions and mart rows older than a source's ``retentionDays``.

Sources without ``retentionDays`` are never touched. Mart tables are found by their columns: any table in
the DuckDB file with ``source_id`` and ``date`` columns loses that source's rows before the cutoff.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from governance_pipeline.config.models import Source
from governance_pipeline.lake import paths
from governance_pipeline.lake.store import LakeStore
from governance_pipeline.marts.dbfile import write_session


@dataclass
class RetentionReport:
    partitions_deleted: dict[str, list[str]] = field(default_factory=dict)
    files_deleted: int = 0
    mart_rows_deleted: dict[str, int] = field(default_factory=dict)
    landing_hours_deleted: dict[str, int] = field(default_factory=dict)


def cutoff(source: Source, today: date) -> date | None:
    return today - timedelta(days=source.retention_days) if source.retention_days else None


def apply_retention(
    lake_root: str,
    duckdb_file: Path | None,
    sources: tuple[Source, ...],
    today: date,
    cursors: Mapping[str, str | None] | None = None,
) -> RetentionReport:
    """Apply every source's retention; ``cursors`` (committed pull cursors) let push sources prune received
    data that was consumed and is past retention (``Adapter.prune_consumed``)."""
    store = LakeStore(lake_root)
    report = RetentionReport()
    for source in sources:
        limit = cutoff(source, today)
        if limit is None:
            continue
        for part in store.list_dirs(paths.source_dir(source.id)):
            day = part.removeprefix("date=")
            if part.startswith("date=") and day < limit.isoformat():
                rel = f"{paths.source_dir(source.id)}/{part}"
                report.files_deleted += len(store.list_files(rel))
                store.delete_dir(rel)
                report.partitions_deleted.setdefault(source.id, []).append(day)
        if cursors and cursors.get(source.id):
            older = datetime(limit.year, limit.month, limit.day, tzinfo=UTC)
            pruned = source.adapter_cls.prune_consumed(lake_root, source.id, older, cursors[source.id])
            if pruned:
                report.landing_hours_deleted[source.id] = pruned
        if duckdb_file is not None and duckdb_file.exists():
            for table, n in _delete_mart_rows(duckdb_file, source.id, limit).items():
                report.mart_rows_deleted[table] = report.mart_rows_deleted.get(table, 0) + n
    return report


def _delete_mart_rows(duckdb_file: Path, source_id: str, limit: date) -> dict[str, int]:
    deleted: dict[str, int] = {}
    with write_session(duckdb_file) as con:  # analysts keep reading the published file meanwhile
        tables = con.execute(
            "select table_name from information_schema.columns where column_name in ('source_id', 'date') "
            "and table_schema = 'main' group by table_name having count(*) = 2 "
            "and table_name in (select table_name from information_schema.tables where table_type = 'BASE TABLE')"
        ).fetchall()
        for (table,) in tables:
            n = con.execute(
                f'delete from "{table}" where source_id = ? and cast("date" as date) < ?', [source_id, limit]
            ).fetchall()[0][0]
            if n:
                deleted[table] = n
    return deleted
