"""The retention job: daily, deletes what is older than each source's ``retentionDays``."""

from datetime import UTC, datetime

import dagster as dg
from governance_pipeline.config.models import SourcesFile
from governance_pipeline.defs.resources import LakeResource, MartsResource
from governance_pipeline.defs.state import load_state
from governance_pipeline.retention import apply_retention

DUCKDB_POOL = "duckdb_writer"


def build(sources_file: SourcesFile) -> dg.Definitions:
    if not any(s.retention_days for s in sources_file.sources):
        return dg.Definitions()

    @dg.op(name="apply_retention", pool=DUCKDB_POOL, description="Delete lake partitions and mart rows past retention.")
    def retention_op(context: dg.OpExecutionContext, lake: LakeResource, marts: MartsResource):
        today = datetime.now(UTC).date()
        cursors = {
            s.id: load_state(context.instance, s.id).get("cursor") for s in sources_file.sources if s.retention_days
        }
        report = apply_retention(lake.resolved_root(), marts.db_path(), sources_file.sources, today, cursors)
        for source_id, days in report.partitions_deleted.items():
            context.log.info(f"{source_id}: deleted {len(days)} partitions ({days[0]} .. {days[-1]})")
        return dg.Output(
            None,
            metadata={
                "partitions_deleted": dg.MetadataValue.json(report.partitions_deleted),
                "files_deleted": report.files_deleted,
                "mart_rows_deleted": dg.MetadataValue.json(report.mart_rows_deleted),
                "landing_hours_deleted": dg.MetadataValue.json(report.landing_hours_deleted),
            },
        )

    @dg.job(
        name="retention", description="Deletes lake partitions and mart rows older than each source's retentionDays."
    )
    def retention_job():
        retention_op()

    schedule = dg.ScheduleDefinition(
        name="retention_daily",
        cron_schedule="30 3 * * *",
        execution_timezone="UTC",
        job=retention_job,
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
    return dg.Definitions(jobs=[retention_job], schedules=[schedule])
