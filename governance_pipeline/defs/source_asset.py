"""The asset ``events/<id>``: one daily partition per event date; materializing a range is a backfill."""

import dagster as dg
from governance_pipeline.config.models import Source, SourcesFile
from governance_pipeline.defs import freshness, state
from governance_pipeline.defs.dead_runs import worker_heartbeat
from governance_pipeline.defs.event_checks import unique_check_spec, unique_per_day
from governance_pipeline.defs.failures import fail_fast_on_permanent_errors
from governance_pipeline.defs.landing_backlog import backlog_check_spec, has_landing
from governance_pipeline.defs.metadata import outcome_metadata
from governance_pipeline.defs.partitions import daily_partitions
from governance_pipeline.defs.pull_job import PULL_RETRY, source_pool
from governance_pipeline.defs.resources import LakeResource
from governance_pipeline.defs.runtime import make_runtime
from governance_pipeline.ingest import run_pull
from governance_pipeline.pull_types import Window


def build_source_asset(sources_file: SourcesFile, source: Source) -> dg.AssetsDefinition:
    key = dg.AssetKey(source.asset_key)

    partitions = daily_partitions(source.start_date)
    description = (
        f"Normalized events of {source.name} (`{source.type}`), one partition per event date (UTC), "
        f"stored as Hive-partitioned Parquet under events/source_id={source.id}/. Materializing a partition "
        "range re-pulls that window from the source and replaces those partitions; the incremental cursor "
        f"is not moved (incremental pulls run as the job pull_{source.id}). A pull records every day its "
        "watermark has passed, with rows=0 on a quiet day, so a missing partition is a real gap."
    )

    # a multi_asset (of one) so the per-day check results are optional outputs: one evaluation per partition
    @dg.multi_asset(
        specs=[
            dg.AssetSpec(
                key,
                group_name="sources",
                kinds={"parquet"},
                tags={"governance/source_type": source.type},
                description=description,
                freshness_policy=freshness.policy(source),
            )
        ],
        name=f"events_{source.id}",
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=source_pool(source),
        retry_policy=PULL_RETRY,
        can_subset=True,
        check_specs=[unique_check_spec(key, partitions)] + ([backlog_check_spec(key)] if has_landing(source) else []),
    )
    def events_asset(context: dg.AssetExecutionContext, lake: LakeResource):
        tw = context.partition_time_window
        window = Window(tw.start, tw.end)
        runtime = make_runtime(sources_file, lake, context.log, context.run_id)
        with worker_heartbeat(context.instance, source.id, context.run_id), fail_fast_on_permanent_errors():
            outcome = run_pull(source, runtime, None, window)
        state.record_window(context.instance, source.id, outcome.last_event_at)
        metadata = outcome_metadata(outcome)
        metadata["window"] = f"{tw.start.isoformat()} .. {tw.end.isoformat()}"
        yield dg.MaterializeResult(asset_key=key, metadata=metadata)
        if context.selected_asset_check_keys:
            yield from unique_per_day(runtime.lake_root, source.id, key, context.partition_keys)

    return events_asset
