"""When pulls run: a cron schedule (HTTP-style sources) or a sensor (S3, landing folders)."""

import dagster as dg
from governance_pipeline.config.models import Source, SourcesFile
from governance_pipeline.defs.resources import LakeResource
from governance_pipeline.defs.runtime import make_runtime

DEFAULT_SENSOR_INTERVAL = 30


def build_trigger(
    sources_file: SourcesFile, source: Source, job: dg.JobDefinition
) -> dg.ScheduleDefinition | dg.SensorDefinition | None:
    adapter_cls = source.adapter_cls
    if adapter_cls.trigger == "sensor":
        return _sensor(sources_file, source, job)
    cron = getattr(source.config, "schedule", None)
    if adapter_cls.trigger == "schedule" and cron:
        return dg.ScheduleDefinition(
            name=f"pull_{source.id}_schedule",
            cron_schedule=cron,
            execution_timezone="UTC",
            job=job,
            default_status=dg.DefaultScheduleStatus.RUNNING,
            description=f"Incremental pull of {source.name} on '{cron}' (UTC).",
        )
    return None


def _sensor(sources_file: SourcesFile, source: Source, job: dg.JobDefinition) -> dg.SensorDefinition:
    interval = int(getattr(source.config, "pollEverySec", None) or DEFAULT_SENSOR_INTERVAL)

    @dg.sensor(
        name=f"pull_{source.id}_sensor",
        job=job,
        minimum_interval_seconds=interval,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Requests a pull of {source.name} when new data appears (run keys name what was seen).",
    )
    def source_sensor(context: dg.SensorEvaluationContext, lake: LakeResource) -> dg.SensorResult:
        adapter = source.adapter_cls(source, make_runtime(sources_file, lake, context.log))
        poll = adapter.sensor_poll(context.cursor)
        return dg.SensorResult(
            run_requests=[dg.RunRequest(run_key=k) for k in poll.run_keys],
            cursor=poll.cursor,
            skip_reason=None if poll.run_keys else (poll.skip_reason or "nothing new"),
        )

    return source_sensor
