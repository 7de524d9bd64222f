"""The check ``landing_backlog`` of a push source: how long acknowledged data has waited for a pull.

The receiver acknowledges a request once it is durable in the landing area; the lake has it only after a pull.
When pulls fall behind the senders, every pull still succeeds and the asset stays fresh, yet the lake lags
further and further: this check makes that visible. It is evaluated after each incremental pull (and the
pull's metadata carries the same figures): WARN once the oldest waiting request is older than the source's
``freshness.warnLagMinutes`` (default 15 minutes), ERROR once older than ``maxLagMinutes``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import dagster as dg
from governance_pipeline.config.models import Source
from governance_pipeline.pull_types import Backlog

BACKLOG_CHECK = "landing_backlog"
DEFAULT_WARN_AFTER = timedelta(minutes=15)


def has_landing(source: Source) -> bool:
    """Whether ``source`` is a push source, with a landing area: the check is declared, and evaluated, for those."""
    return source.adapter_cls.accepts_otlp


def backlog_check_spec(key: dg.AssetKey) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        BACKLOG_CHECK,
        asset=key,
        description="acknowledged requests still waiting in the landing area for a pull, and the oldest's age",
    )


def backlog_metadata(backlog: Backlog, now: datetime) -> dict[str, Any]:
    return {
        "landing_backlog_files": dg.MetadataValue.int(backlog.files),
        "landing_oldest_waiting_seconds": dg.MetadataValue.float(round(backlog.waiting(now).total_seconds(), 1)),
    }


def backlog_evaluation(source: Source, backlog: Backlog, now: datetime) -> dg.AssetCheckEvaluation:
    waiting = backlog.waiting(now)
    error_after = source.freshness.max_lag
    warn_after = min(source.freshness.warn_lag or DEFAULT_WARN_AFTER, error_after)
    metadata = backlog_metadata(backlog, now)
    if backlog.oldest_at is not None:
        metadata["landing_oldest_waiting_since"] = dg.MetadataValue.text(backlog.oldest_at.isoformat())
    metadata["warn_after_minutes"] = dg.MetadataValue.int(int(warn_after.total_seconds() // 60))
    metadata["error_after_minutes"] = dg.MetadataValue.int(int(error_after.total_seconds() // 60))
    return dg.AssetCheckEvaluation(
        asset_key=dg.AssetKey(source.asset_key),
        check_name=BACKLOG_CHECK,
        passed=waiting <= warn_after,
        severity=dg.AssetCheckSeverity.ERROR if waiting > error_after else dg.AssetCheckSeverity.WARN,
        metadata=metadata,
        description=None
        if waiting <= warn_after
        else f"{backlog.files} landed requests wait for a pull; the oldest for {_minutes(waiting)}",
    )


def _minutes(d: timedelta) -> str:
    return f"{d.total_seconds() / 60:.0f} min"
