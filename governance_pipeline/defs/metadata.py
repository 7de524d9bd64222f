"""Run and materialization metadata shared by the pull job and the backfill asset."""

from __future__ import annotations

from typing import Any

import dagster as dg
from governance_pipeline.ingest import PullOutcome


def preview_md(rows: list[dict]) -> str:
    if not rows:
        return "_no events_"
    cols = list(rows[0])
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        lines.append("| " + " | ".join(str(r.get(c, "")).replace("|", "\\|")[:60] for c in cols) + " |")
    return "\n".join(lines)


def outcome_metadata(outcome: PullOutcome) -> dict[str, Any]:
    md: dict[str, Any] = {
        "dagster/row_count": dg.MetadataValue.int(outcome.new + outcome.replaced),
        "events": dg.MetadataValue.int(outcome.events),
        "new": dg.MetadataValue.int(outcome.new),
        "duplicates": dg.MetadataValue.int(outcome.duplicates),
        "replaced": dg.MetadataValue.int(outcome.replaced),
        "errors": dg.MetadataValue.int(outcome.errors),
        "quarantined": dg.MetadataValue.int(outcome.quarantined),
        "files_written": dg.MetadataValue.int(outcome.files),
        "ingest_seconds": dg.MetadataValue.float(round(outcome.seconds, 3)),
        "mode": outcome.mode,
        "preview": dg.MetadataValue.md(preview_md(outcome.preview)),
    }
    if outcome.mode != "replace":
        md["cursor"] = dg.MetadataValue.text(outcome.cursor or "")
    if outcome.deleted_rows:
        md["rows_replaced_by_backfill"] = dg.MetadataValue.int(outcome.deleted_rows)
    if outcome.unpriced_models:
        md["unpriced_models"] = dg.MetadataValue.json(outcome.unpriced_models)
        md["unpriced_events"] = dg.MetadataValue.int(sum(outcome.unpriced_models.values()))
    if outcome.price_data:
        md["price_data"] = dg.MetadataValue.text(outcome.price_data)
    return md
