"""One REST sync: datasets and examples (full snapshot), then runs per project since the cursor.

It yields ``(events_table, raw_count)`` per page of runs and writes the three tables' Parquet files as it
goes; the final item carries the new cursor, yielded only after every table file is durable. No Dagster here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyarrow as pa

from governance_pipeline.langsmith import runs as R
from governance_pipeline.langsmith.api import LangSmithApi
from governance_pipeline.langsmith.cursor import MarkTracker, SyncCursor
from governance_pipeline.langsmith.events import events_table
from governance_pipeline.langsmith.table_store import TableWriter
from governance_pipeline.langsmith.tables import dataset_table, example_table, run_table
from governance_pipeline.mapping.coerce import to_micros, to_text


@dataclass
class SyncOptions:
    sync_examples: bool = True
    sync_runs: bool = True
    event_run_types: frozenset[str] = frozenset({"llm"})


@dataclass
class SyncItem:
    events: pa.Table | None
    raw_count: int
    cursor: str | None = None
    quarantine: list[dict] = field(default_factory=list)  # poisoned runs (``runs.poisoned``), with their reason


@dataclass
class SyncStats:
    datasets: int = 0
    examples: int = 0
    projects: int = 0
    runs: int = 0
    pages: int = 0
    extra: dict = field(default_factory=dict)


def sync(
    api: LangSmithApi,
    writer: TableWriter,
    cursor: SyncCursor,
    options: SyncOptions,
    window: tuple[datetime, datetime] | None = None,
    stats: SyncStats | None = None,
) -> Iterator[SyncItem]:
    stats = stats if stats is not None else SyncStats()
    synced_at = datetime.now(UTC)
    source_id = writer.source_id

    datasets = [d for page in api.datasets() for d in page]
    stats.datasets = len(datasets)
    writer.write_snapshot("langsmith_dataset", [dataset_table(datasets, source_id, synced_at)])
    if options.sync_examples:
        names = {to_text(d.get("id")) or "": to_text(d.get("name")) for d in datasets}
        parts = []
        for d in datasets:
            for page in api.examples(str(d.get("id"))):
                stats.examples += len(page)
                parts.append(example_table(page, names, source_id, synced_at))
        writer.write_snapshot("langsmith_example", parts)

    if not options.sync_runs:
        yield SyncItem(None, 0, cursor=None if window else cursor.dump())
        return
    projects = [p for page in api.sessions() for p in page if p.get("id") is not None]
    stats.projects = len(projects)
    project_names = {str(p["id"]): to_text(p.get("name")) for p in projects}
    for project in projects:
        pid = str(project["id"])
        tracker = MarkTracker(cursor.projects.get(pid))
        start = window[0] if window else cursor.lower_bound(pid)
        for n, raw_page in enumerate(api.runs(pid, start, window[1] if window else None)):
            page, bad = R.split_poisoned(raw_page, f"project {pid} page {n + 1}")
            raws = [R.dump_run(r) for r in page]
            for r in page:
                tracker.see(to_micros(r.get("start_time")), R.status(r) != "pending" and r.get("end_time") is not None)
            writer.add_runs(run_table(page, raws, project_names, source_id, synced_at))
            stats.runs += len(raw_page)
            stats.pages += 1
            yield SyncItem(events_table(page, raws, options.event_run_types), len(raw_page), quarantine=bad)
        if window is None:
            cursor.projects[pid] = tracker.mark()
    writer.flush()
    yield SyncItem(None, 0, cursor=None if window else cursor.dump())
