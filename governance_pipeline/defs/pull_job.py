"""The incremental pull job ``pull_<id>``: what schedules, sensors and ``govpipe pull`` run."""

from datetime import UTC, datetime

import dagster as dg
from governance_pipeline.config.credentials import redact
from governance_pipeline.config.models import Source, SourcesFile
from governance_pipeline.defs import state
from governance_pipeline.defs.completeness import pull_materializations
from governance_pipeline.defs.dead_runs import heal_dead_runs, worker_heartbeat
from governance_pipeline.defs.failures import fail_fast_on_permanent_errors
from governance_pipeline.defs.landing_backlog import backlog_evaluation, backlog_metadata, has_landing
from governance_pipeline.defs.metadata import outcome_metadata
from governance_pipeline.defs.partitions import daily_partitions
from governance_pipeline.defs.resources import LakeResource, default_resources
from governance_pipeline.defs.runtime import make_runtime
from governance_pipeline.ingest import run_pull

PULL_RETRY = dg.RetryPolicy(max_retries=2, delay=10, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)


def source_pool(source: Source) -> str:
    return f"source_{source.id}"


def pull_op_name(source_id: str) -> str:
    return f"ingest_{source_id}"


def heal_op_name(source_id: str) -> str:
    return f"heal_{source_id}"


def build_pull_job(
    sources_file: SourcesFile, source: Source, resources: dict[str, dg.ConfigurableResource] | None = None
) -> dg.JobDefinition:
    """The job, with its own resources (``default_resources()`` unless given) so it also runs on its own."""
    partitions = daily_partitions(source.start_date)

    @dg.op(
        name=heal_op_name(source.id),
        out=dg.Out(dg.Nothing),
        description=f"Before the pull takes the slot source_{source.id}: fails the source's runs whose worker is "
        "gone and frees their slots (defs/dead_runs.py).",
    )
    def heal_op(context: dg.OpExecutionContext) -> None:
        heal_dead_runs(context.instance, source.id, context.log.warning)

    @dg.op(
        name=pull_op_name(source.id),
        pool=source_pool(source),
        retry_policy=PULL_RETRY,
        ins={"healed": dg.In(dg.Nothing)},
        out=dg.Out(dict, is_required=True),
        description=f"Incremental pull of {source.name} from its committed cursor into the lake.",
    )
    def pull_op(context: dg.OpExecutionContext, lake: LakeResource):
        committed = state.load_state(context.instance, source.id).get("cursor")
        runtime = make_runtime(sources_file, lake, context.log, context.run_id)
        with worker_heartbeat(context.instance, source.id, context.run_id), fail_fast_on_permanent_errors():
            try:
                outcome = run_pull(source, runtime, committed)
            except Exception as exc:
                state.record_failure(context.instance, source.id, redact(f"{type(exc).__name__}: {exc}"))
                raise
        # The writer has committed: the files are durable and visible. Only now does the cursor move.
        state.record_success(context.instance, source.id, outcome.cursor, outcome.last_event_at, outcome.new)
        metadata = outcome_metadata(outcome)
        # the days written, and every day the source's watermark has completed (rows=0 on a quiet day)
        yield from pull_materializations(context.instance, source, partitions, outcome, runtime.lake_root)
        if has_landing(source):  # a push source: what still waits in its landing area after this pull
            backlog = source.adapter_cls.landing_backlog(runtime.lake_root, source.id, outcome.cursor)
            now = datetime.now(UTC)
            metadata.update(backlog_metadata(backlog, now))
            yield backlog_evaluation(source, backlog, now)
        summary = {"events": outcome.events, "new": outcome.new, "errors": outcome.errors, "cursor": outcome.cursor}
        yield dg.Output(summary, metadata=metadata)

    @dg.job(
        name=f"pull_{source.id}",
        description=f"Incremental pull of source '{source.id}' ({source.type}).",
        resource_defs=resources if resources is not None else default_resources(),
        # a run retry covers a crashed run worker; a failed step already had its retries (or was permanent)
        tags={
            "governance/source": source.id,
            "dagster/max_retries": 1,
            "dagster/retry_on_asset_or_op_failure": "false",
        },
    )
    def pull_job():
        pull_op(heal_op())

    return pull_job
