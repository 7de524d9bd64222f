"""The asset ``events/<id>``: one daily partition per event date; materializing a range is a backfill."""

import pyarrow.compute as pc

import dagster as dg
from governance_pipeline.adapters.base import Window
from governance_pipeline.config.models import Source, SourcesFile
from governance_pipeline.defs import state
from governance_pipeline.defs.dead_runs import worker_heartbeat
from governance_pipeline.defs.failures import fail_fast_on_permanent_errors
from governance_pipeline.defs.metadata import outcome_metadata
from governance_pipeline.defs.partitions import daily_partitions
from governance_pipeline.defs.pull_job import PULL_RETRY, source_pool
from governance_pipeline.defs.runtime import make_runtime
from governance_pipeline.ingest import run_pull
from governance_pipeline.lake import paths
from governance_pipeline.lake.store import LakeStore

UNIQUE_CHECK = "unique_source_event_id"


def build_source_asset(sources_file: SourcesFile, source: Source) -> dg.AssetsDefinition:
    key = dg.AssetKey(source.asset_key)

    @dg.asset(
        key=key,
        partitions_def=daily_partitions(source.start_date),
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=source_pool(source),
        retry_policy=PULL_RETRY,
        group_name="sources",
        kinds={"parquet"},
        tags={"governance/source_type": source.type},
        check_specs=[dg.AssetCheckSpec(UNIQUE_CHECK, asset=key, description="each source_event_id once per partition")],
        description=(
            f"Normalized events of {source.name} (`{source.type}`), one partition per event date (UTC), "
            f"stored as Hive-partitioned Parquet under events/source_id={source.id}/. Materializing a partition "
            "range re-pulls that window from the source and replaces those partitions; the incremental cursor "
            f"is not moved (incremental pulls run as the job pull_{source.id})."
        ),
    )
    def events_asset(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        tw = context.partition_time_window
        window = Window(tw.start, tw.end)
        runtime = make_runtime(sources_file, context.log, context.run_id)
        with worker_heartbeat(context.instance, source.id, context.run_id), fail_fast_on_permanent_errors():
            outcome = run_pull(source, runtime, None, window)
        state.record_window(context.instance, source.id, outcome.last_event_at)
        dupes = _duplicate_ids(runtime.lake_root, source.id, [str(d) for d in window.dates()])
        metadata = outcome_metadata(outcome)
        metadata["window"] = f"{tw.start.isoformat()} .. {tw.end.isoformat()}"
        return dg.MaterializeResult(
            metadata=metadata,
            check_results=[
                dg.AssetCheckResult(check_name=UNIQUE_CHECK, passed=dupes == 0, metadata={"duplicate_ids": dupes})
            ],
        )

    return events_asset


def _duplicate_ids(lake_root: str, source_id: str, days: list[str]) -> int:
    store = LakeStore(lake_root)
    dupes = 0
    for day in days:
        files = store.list_files(paths.partition_dir(source_id, day), ".parquet")
        if files:
            ids = store.read_table(files, ["source_event_id"]).column(0)
            dupes += len(ids) - pc.count_distinct(ids).as_py()
    return dupes
