"""Freshness per source: Dagster's time-window policy on ``events/<id>``, and the same rule for the CLI.

A source is fresh when its asset was materialized within ``maxLagMinutes``: a pull that landed new events,
or one that completed a day, materializes it. A silent source (no new data, or no pull at all) turns red in
the UI and ``fresh: false`` in ``govpipe sources list``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg
from governance_pipeline.config.models import Source


def policy(source: Source) -> dg.FreshnessPolicy:
    return dg.FreshnessPolicy.time_window(fail_window=source.freshness.max_lag, warn_window=source.freshness.warn_lag)


def is_fresh(last_landed: datetime | None, max_lag: timedelta, now: datetime) -> bool:
    return last_landed is not None and now - last_landed <= max_lag


def last_materialized(instance: dg.DagsterInstance, source: Source) -> datetime | None:
    event = instance.get_latest_materialization_event(dg.AssetKey(source.asset_key))
    return None if event is None else datetime.fromtimestamp(event.timestamp, UTC)


def freshness_fields(instance: dg.DagsterInstance, source: Source) -> dict[str, Any]:
    """``fresh`` and ``freshness`` (the policy) for ``govpipe sources list``."""
    last = last_materialized(instance, source)
    return {
        "fresh": is_fresh(last, source.freshness.max_lag, datetime.now(UTC)),
        "freshness": source.freshness.as_config(),
    }
