"""Per source: the asset ``events/<id>``, the job ``pull_<id>``, and its schedule or sensor."""

from __future__ import annotations

import dagster as dg
from governance_pipeline.config.models import SourcesFile
from governance_pipeline.defs.dead_runs import build_heal_sensor
from governance_pipeline.defs.pull_job import build_pull_job
from governance_pipeline.defs.source_asset import build_source_asset
from governance_pipeline.defs.triggers import build_trigger


def build(sources_file: SourcesFile) -> dg.Definitions:
    assets, jobs, schedules, sensors = [], [], [], []
    for source in sources_file.sources:
        assets.append(build_source_asset(sources_file, source))
        job = build_pull_job(sources_file, source)
        jobs.append(job)
        trigger = build_trigger(sources_file, source, job)
        if isinstance(trigger, dg.ScheduleDefinition):
            schedules.append(trigger)
        elif trigger is not None:
            sensors.append(trigger)
    if sources_file.sources:
        sensors.append(build_heal_sensor([s.id for s in sources_file.sources]))
    return dg.Definitions(assets=assets, jobs=jobs, schedules=schedules, sensors=sensors)
