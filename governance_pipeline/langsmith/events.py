"""LangSmith runs -> normalized governance events (one Arrow table per page).

By default only ``llm`` runs become events: they are the model calls that carry usage. Other run types can be
included (``eventRunTypes``) for an audit of tool and chain activity, but their cost and tokens are always
left out of the lake's columns (they stay in ``raw_payload``), because a root chain run carries the roll-up of
its llm children and would count spend twice. ``usage_kind`` says the same as for LangSmith's OpenTelemetry
spans (``call`` for llm runs, ``rollup`` for the others), so the marts apply one rule to both
(docs/marts.md, "Usage: one model call, one count"); the provider is ``ls_provider`` in the
``gen_ai.provider.name`` vocabulary (mapping/providers.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from governance_pipeline.langsmith import runs as R
from governance_pipeline.mapping.coerce import to_micros, to_text
from governance_pipeline.mapping.event_mapping import build_table
from governance_pipeline.mapping.providers import normalize_provider
from governance_pipeline.mapping.usage_kind import langsmith_run_kind

SPEND_RUN_TYPES = frozenset({"llm"})
_STATUS = {"success": "ok", "error": "error", "pending": "unset"}


def select_runs(
    records: Sequence[dict], raws: Sequence[str], run_types: frozenset[str]
) -> tuple[list[dict], list[str]]:
    keep = [i for i, r in enumerate(records) if R.run_type(r) in run_types and r.get("id") is not None]
    return [records[i] for i in keep], [raws[i] for i in keep]


def events_table(records: Sequence[dict], raws: Sequence[str], run_types: frozenset[str] = SPEND_RUN_TYPES) -> pa.Table:
    """Normalized events for the runs of ``records`` whose type is in ``run_types``."""
    records, raws = select_runs(records, raws, run_types)
    cols: dict[str, list] = {
        k: []
        for k in (
            "source_event_id",
            "event_timestamp",
            "actor",
            "action",
            "target",
            "model",
            "provider",
            "tool_name",
            "cost_usd",
            "tokens_input",
            "tokens_output",
            "tokens_cache_read",
            "tokens_cache_write",
            "tokens_reasoning",
            "status",
            "error_type",
            "duration_ms",
            "conversation_id",
            "trace_id",
            "span_id",
            "parent_span_id",
            "usage_kind",
        )
    }
    for r in records:
        rtype = R.run_type(r)
        spend = rtype in SPEND_RUN_TYPES
        model = R.model(r) if spend else None
        start, end = to_micros(r.get("start_time")), to_micros(r.get("end_time"))
        run_id = to_text(r.get("id"))
        cols["source_event_id"].append(run_id)
        cols["event_timestamp"].append(r.get("start_time"))
        cols["actor"].append(R.actor(r))
        cols["action"].append(R.action(r))
        cols["target"].append(model or (None if spend else to_text(r.get("name"))))
        cols["model"].append(model)
        cols["provider"].append(normalize_provider(R.provider(r)) if spend else None)
        cols["tool_name"].append(to_text(r.get("name")) if rtype == "tool" else None)
        cols["cost_usd"].append(R.cost(r) if spend else None)
        cols["tokens_input"].append(R.tokens_in(r) if spend else None)
        cols["tokens_output"].append(R.tokens_out(r) if spend else None)
        cols["tokens_cache_read"].append(R.token_detail(r, "prompt_token_details", "cache_read") if spend else None)
        cols["tokens_cache_write"].append(
            R.token_detail(r, "prompt_token_details", "cache_creation") if spend else None
        )
        cols["tokens_reasoning"].append(R.token_detail(r, "completion_token_details", "reasoning") if spend else None)
        cols["status"].append(_STATUS.get(R.status(r) or ""))
        cols["error_type"].append(R.error_type(r))
        cols["duration_ms"].append((end - start) / 1000.0 if start is not None and end is not None else None)
        cols["conversation_id"].append(R.thread_id(r))
        cols["trace_id"].append(to_text(r.get("trace_id")))
        cols["span_id"].append(run_id)
        cols["parent_span_id"].append(to_text(r.get("parent_run_id")))
        cols["usage_kind"].append(langsmith_run_kind(rtype))
    return build_table(cols, records, list(raws))
