"""The per-day check of a source's events: each ``(source_id, source_event_id)`` once in its date partition."""

from collections.abc import Iterable, Iterator

import pyarrow.compute as pc

import dagster as dg
from governance_pipeline.lake import paths
from governance_pipeline.lake.store import LakeStore

UNIQUE_CHECK = "unique_source_event_id"


def unique_check_spec(key: dg.AssetKey, partitions: dg.PartitionsDefinition) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        UNIQUE_CHECK, asset=key, partitions_def=partitions, description="each source_event_id once in the day"
    )


def unique_per_day(
    lake_root: str, source_id: str, key: dg.AssetKey, days: Iterable[str]
) -> Iterator[dg.AssetCheckEvaluation]:
    """The uniqueness check of ``(source_id, source_event_id)``, one result per day (partition)."""
    store = LakeStore(lake_root)
    for day in days:
        files = store.list_files(paths.partition_dir(source_id, day), ".parquet")
        rows = dupes = 0
        if files:
            ids = store.read_table(files, ["source_event_id"]).column(0)
            rows, dupes = len(ids), len(ids) - pc.count_distinct(ids).as_py()
        yield dg.AssetCheckEvaluation(
            asset_key=key,
            check_name=UNIQUE_CHECK,
            passed=dupes == 0,
            partition=day,
            metadata={"duplicate_ids": dupes, "rows": rows},
        )
