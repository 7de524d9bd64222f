"""Which records of a decoded OTLP request (spans or log records) the receiver accepts, dropped in place.

One walk for both signals: a resource without the source's ``allowedSourceTypeLabel`` (when set) loses all its
records, and a record ``item_ok`` refuses (an id of the wrong length) is dropped alone, each with its reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from governance_pipeline.otlp.spans import resource_source_type


def drop_unadmitted(
    resources: Any, scopes: str, items: str, allowed_label: str | None, item_ok: Callable[[Any], bool], bad: str
) -> tuple[int, int, set[str]]:
    """Drop, from the repeated field ``resources`` (``resource_spans`` or ``resource_logs``), the records not
    accepted. ``scopes``/``items`` name the nested repeated fields; ``bad`` is the reason for a refused record.
    Returns (accepted, rejected, reasons)."""
    accepted = rejected = 0
    reasons: set[str] = set()
    for r in range(len(resources) - 1, -1, -1):
        res = resources[r]
        if allowed_label is not None and resource_source_type(res.resource.attributes) != allowed_label:
            n = sum(len(getattr(scope, items)) for scope in getattr(res, scopes))
            if n:
                rejected += n
                reasons.add(f"resource source type is not '{allowed_label}'")
            del resources[r]
            continue
        for scope in getattr(res, scopes):
            records = getattr(scope, items)
            refused = [i for i, rec in enumerate(records) if not item_ok(rec)]
            for i in reversed(refused):
                del records[i]
            if refused:
                rejected += len(refused)
                reasons.add(bad)
            accepted += len(records)
    return accepted, rejected, reasons
