"""Exports as Dagster assets: ``exports/<destination_id>``, one daily partition per event date (UTC).

Backfill policy single-run: a date range (UI backfill, ``dagster asset materialize --partition-range`` or
``govpipe export``) is ONE run that exports each day separately and records one materialization per day as it
completes (rows, files, bytes, deleted objects). A day that fails is logged, the other days go on, and the run
fails at the end naming the failed days: re-materialize just those partitions. Cancelling is Dagster's run
cancel; a day interrupted mid-write is repaired by exporting it again (a re-export replaces the day).
"""

from datetime import UTC, date, datetime, timedelta

import dagster as dg
from governance_pipeline import settings
from governance_pipeline.config.credentials import redact
from governance_pipeline.config.models import SourcesFile
from governance_pipeline.defs.partitions import daily_partitions
from governance_pipeline.export.config import Destination
from governance_pipeline.export.errors import DestinationError
from governance_pipeline.export.layout import export_root
from governance_pipeline.export.run import export_day

GROUP = "exports"
OCSF_ASSET = "governance_ocsf_events"


def export_job_name(dest_id: str) -> str:
    return f"export_{dest_id}"


def partitions_for(sources_file: SourcesFile, dest: Destination) -> dg.DailyPartitionsDefinition:
    starts = [s.start_date for s in sources_file.sources]
    start = dest.startDate or (min(starts) if starts else datetime.now(UTC).date() - timedelta(days=30))
    return daily_partitions(start)


def _deps(sources_file: SourcesFile, dest: Destination) -> list[dg.AssetDep]:
    mapping = dg.TimeWindowPartitionMapping(allow_nonexistent_upstream_partitions=True)
    if dest.format == "events":
        return [dg.AssetDep(dg.AssetKey(s.asset_key), partition_mapping=mapping) for s in sources_file.sources]
    return [dg.AssetDep(OCSF_ASSET, partition_mapping=mapping)]


def build_export_asset(sources_file: SourcesFile, dest: Destination) -> dg.AssetsDefinition:
    key = dg.AssetKey(dest.asset_key)
    url = f"s3://{dest.bucket}/{export_root(dest)}"
    what = "the normalized lake events" if dest.format == "events" else f"{OCSF_ASSET}"

    @dg.asset(
        key=key,
        deps=_deps(sources_file, dest),
        partitions_def=partitions_for(sources_file, dest),
        backfill_policy=dg.BackfillPolicy.single_run(),
        output_required=False,
        pool=f"export_{dest.id}",
        group_name=GROUP,
        kinds={"s3", "parquet"},
        tags={"governance/export_format": dest.format},
        description=(
            f"Export of {what} to {url} (format `{dest.format}`, {dest.compression}), one partition per day. "
            "A re-export replaces that day's objects: the same object names are overwritten, stale ones emptied, then deleted."
        ),
    )
    def export_asset(context: dg.AssetExecutionContext):
        days = [date.fromisoformat(k) for k in context.partition_keys]
        failed: dict[str, str] = {}
        total_rows = total_files = 0
        for n, day in enumerate(days, 1):
            try:
                result = export_day(
                    dest,
                    day,
                    credentials=sources_file.credentials,
                    lake_root=settings.lake_root(),
                    duckdb_path=settings.duckdb_path(),
                )
            except DestinationError as exc:
                # access denied, missing bucket, bad key or endpoint: every other day would fail the same way
                raise dg.Failure(
                    description=f"export to '{dest.id}' failed on {day}: {exc}",
                    metadata={"problem": exc.kind, "failed_day": str(day)},
                ) from None
            except Exception as exc:  # one bad day must not stop the range; it is retried alone
                failed[str(day)] = redact(f"{type(exc).__name__}: {exc}")[:500]
                context.log.error(f"{day}: export failed ({n}/{len(days)}): {failed[str(day)]}")
                continue
            total_rows += result.rows
            total_files += result.files
            context.log.info(
                f"{day}: {result.rows} rows in {result.files} files, {result.deleted} older objects "
                f"deleted ({n}/{len(days)} days, {total_rows} rows so far)"
            )
            yield dg.AssetMaterialization(
                asset_key=key,
                partition=str(day),
                metadata={
                    "dagster/row_count": dg.MetadataValue.int(result.rows),
                    "rows_written": dg.MetadataValue.int(result.rows),
                    "files_written": dg.MetadataValue.int(result.files),
                    "bytes_written": dg.MetadataValue.int(result.bytes),
                    "objects_deleted": dg.MetadataValue.int(result.deleted),
                    "rows_by_source": dg.MetadataValue.json(result.rows_by_source),
                    "progress": f"{n}/{len(days)}",
                    "destination": dg.MetadataValue.url(url),
                    "format": dest.format,
                    "compression": dest.compression,
                },
            )
        if failed:
            raise dg.Failure(
                description=f"export to '{dest.id}' failed for {len(failed)} of {len(days)} days: "
                f"{', '.join(sorted(failed))} (re-materialize those partitions to retry); "
                f"{min(failed)}: {failed[min(failed)][:200]}",
                metadata={
                    "failed_days": dg.MetadataValue.json(failed),
                    "rows_written": dg.MetadataValue.int(total_rows),
                    "files_written": dg.MetadataValue.int(total_files),
                },
            )

    return export_asset


def build_daily_schedule(dest: Destination, job) -> dg.ScheduleDefinition:
    """On the destination's cron (UTC): export the previous day, complete by then; one run per day."""
    schedule = dest.schedule
    assert schedule is not None  # built only for destinations with a schedule

    @dg.schedule(
        name=f"export_{dest.id}_schedule",
        job=job,
        cron_schedule=schedule,
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
    def export_schedule(context: dg.ScheduleEvaluationContext):
        day = (context.scheduled_execution_time.astimezone(UTC) - timedelta(days=1)).date().isoformat()
        return dg.RunRequest(run_key=day, partition_key=day, tags={"governance/trigger": "schedule"})

    return export_schedule


def build(sources_file: SourcesFile) -> dg.Definitions:
    assets, jobs, schedules = [], [], []
    for dest in sources_file.destinations:
        asset = build_export_asset(sources_file, dest)
        assets.append(asset)
        job = dg.define_asset_job(
            export_job_name(dest.id),
            selection=[asset],
            partitions_def=asset.partitions_def,
            description=f"Export to destination '{dest.id}' over a date range.",
        )
        jobs.append(job)
        if dest.schedule:
            schedules.append(build_daily_schedule(dest, job))
    return dg.Definitions(assets=assets, jobs=jobs, schedules=schedules)
