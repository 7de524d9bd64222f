"""The Arrow schema of a lake event file (README, "The lake").

Every file the writer writes has exactly this schema, whatever the source. Columns are only ever added, at the
end and nullable, so files written before a column existed lack it: readers of the whole lake use
``read_parquet(..., union_by_name = true)`` (the marts do, see marts/lake_scan.py), which reads it as null.
``source_id`` and ``date`` are not in the files: they come from the Hive folder names.
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
        # call | rollup | null: what the record itself declares (mapping/usage_kind.py); the marts decide whose
        # usage counts from it and the trace (docs/marts.md, "Usage: one model call, one count")
        pa.field("usage_kind", pa.string()),
    ]
)

EVENT_COLUMNS = tuple(EVENT_SCHEMA.names)

# Normalized fields a mapping may fill; the rest are set by the pipeline.
MAPPABLE_FIELDS = tuple(n for n in EVENT_COLUMNS if n not in ("raw_payload", "source_type", "ingested_at"))

TEXT_FIELDS = frozenset(f.name for f in EVENT_SCHEMA if pa.types.is_string(f.type)) - {"raw_payload"}
FLOAT_FIELDS = frozenset(f.name for f in EVENT_SCHEMA if pa.types.is_floating(f.type))
INT_FIELDS = frozenset(f.name for f in EVENT_SCHEMA if pa.types.is_integer(f.type))

EVENT_TYPES = ("api.call", "tool.invocation", "agent.action")
