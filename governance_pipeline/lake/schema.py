"""The Arrow schema of a lake event file (README, "The lake").

Every file written now has exactly this schema, whatever the source. Columns are only ever added at the end
and nullable, so files written before a column existed stay valid: readers go through ``to_event_schema`` (Arrow)
or ``marts/lake_scan.py`` (DuckDB, ``UNION ALL BY NAME`` over a typed empty relation), which fill the missing
columns with nulls. ``source_id`` and ``date`` are not in the files: they come from the Hive folder names.
"""

from __future__ import annotations

import pyarrow as pa

TS = pa.timestamp("us", tz="UTC")

EVENT_SCHEMA = pa.schema(
    [
        pa.field("source_event_id", pa.string(), nullable=False),
        pa.field("event_timestamp", TS),
        pa.field("actor", pa.string()),
        pa.field("action", pa.string()),
        pa.field("target", pa.string()),
        pa.field("cost_usd", pa.float64()),
        pa.field("tokens_input", pa.int64()),
        pa.field("tokens_output", pa.int64()),
        pa.field("raw_payload", pa.string()),
        pa.field("source_type", pa.string()),
        pa.field("ingested_at", TS),
        pa.field("event_type", pa.string()),
        # Further columns (all optional; null when the source does not say)
        pa.field("model", pa.string()),
        pa.field("provider", pa.string()),
        pa.field("tool_name", pa.string()),
        pa.field("cost_source", pa.string()),  # given | computed | none
        pa.field("status", pa.string()),  # ok | error | unset
        pa.field("error_type", pa.string()),
        pa.field("duration_ms", pa.float64()),
        pa.field("conversation_id", pa.string()),
        pa.field("trace_id", pa.string()),
        pa.field("span_id", pa.string()),
        pa.field("parent_span_id", pa.string()),
        pa.field("organization_id", pa.string()),
        pa.field("flags", pa.string()),  # JSON text: content-classification or other source flags
        # Token detail (docs/costs.md, "What the token columns mean"); null when the source does not say.
        # tokens_input counts every input token, cached ones included; these are parts of it, not additions.
        pa.field("tokens_cache_read", pa.int64()),  # input tokens served from the provider's prompt cache
        pa.field("tokens_cache_write", pa.int64()),  # input tokens written to it (all cache lifetimes)
        pa.field("tokens_cache_write_1h", pa.int64()),  # of which with Anthropic's 1-hour lifetime
        pa.field("tokens_reasoning", pa.int64()),  # output tokens spent on reasoning (part of tokens_output)
        pa.field("redacted", pa.string()),  # JSON list of what was removed from raw_payload (docs/content.md)
        # call | rollup | null: what the record itself declares (mapping/usage_kind.py); the marts decide whose
        # usage counts from it and the trace (docs/marts.md, "Usage: one model call, one count")
        pa.field("usage_kind", pa.string()),
    ]
)

ADDED_COLUMNS = (
    "tokens_cache_read",
    "tokens_cache_write",
    "tokens_cache_write_1h",
    "tokens_reasoning",
    "redacted",
    "usage_kind",
)
"""Columns files written before them lack; they read as null there."""

EVENT_COLUMNS = tuple(EVENT_SCHEMA.names)

# Normalized fields a mapping may fill; the rest are set by the pipeline.
MAPPABLE_FIELDS = tuple(n for n in EVENT_COLUMNS if n not in ("raw_payload", "source_type", "ingested_at", "redacted"))

TEXT_FIELDS = frozenset(f.name for f in EVENT_SCHEMA if pa.types.is_string(f.type)) - {"raw_payload"}
FLOAT_FIELDS = frozenset(f.name for f in EVENT_SCHEMA if pa.types.is_floating(f.type))
INT_FIELDS = frozenset(f.name for f in EVENT_SCHEMA if pa.types.is_integer(f.type))

EVENT_TYPES = ("api.call", "tool.invocation", "agent.action")


def to_event_schema(table: pa.Table) -> pa.Table:
    """``table`` (a lake file's rows, possibly from before a column was added) with exactly ``EVENT_SCHEMA``."""
    if table.schema.equals(EVENT_SCHEMA):
        return table
    cols = [
        table.column(f.name).cast(f.type) if f.name in table.column_names else pa.nulls(table.num_rows, f.type)
        for f in EVENT_SCHEMA
    ]
    return pa.Table.from_arrays(cols, schema=EVENT_SCHEMA)
