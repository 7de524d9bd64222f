"""Declarative automation of everything downstream of the sources (the marts, the report, LangSmith tables).

Nothing runs on a clock: a target is requested when one of its upstream partitions was updated (a pull landed
rows or completed a day, a backfill replaced a window), for exactly the partitions (days) that changed, any
day, not only the latest. It waits while an upstream or itself is still running. The automation sensor runs
by default, so a fresh instance needs no switch flipped in the UI.
"""

from __future__ import annotations

import dagster as dg

SENSOR_NAME = "governance_automation"


def after_new_data() -> dg.AutomationCondition:
    """True for a partition once an upstream partition mapped to it was updated, until it is requested."""
    return (
        dg.AutomationCondition.any_deps_updated().since_last_handled()
        & ~dg.AutomationCondition.any_deps_in_progress()
        & ~dg.AutomationCondition.in_progress()
    ).with_label("after new data")


def build(_sources_file: object) -> dg.Definitions:
    """The one automation sensor, over every asset that declares a condition (sources declare none)."""
    return dg.Definitions(
        sensors=[
            dg.AutomationConditionSensorDefinition(
                SENSOR_NAME,
                target=dg.AssetSelection.all(include_sources=False),
                default_status=dg.DefaultSensorStatus.RUNNING,
                minimum_interval_seconds=30,
                description="Builds the marts, the report and the LangSmith tables for the days new data landed in.",
            )
        ]
    )
