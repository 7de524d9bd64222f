"""The three LangSmith tables as Arrow: ``langsmith_dataset``, ``langsmith_example``, ``langsmith_run``.

Columns are seed 003's (the Fivetran example's) plus what it lacked (trace/parent ids, session id, tokens,
costs, model). ``raw`` keeps the record as JSON text; JSON-valued columns are JSON text too. One table is built
per page or file, never per row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import pyarrow as pa

from governance_pipeline.langsmith import runs as R
from governance_pipeline.mapping.coerce import int_column, text_column, timestamp_column, to_micros, to_text
from governance_pipeline.mapping.event_mapping import dump_json

TS = pa.timestamp("us", tz="UTC")
COST = pa.decimal128(20, 10)
JSON = pa.string()  # JSON text; typed JSON in DuckDB

_COMMON = [("source_id", pa.string()), ("origin", pa.string()), ("synced_at", TS), ("raw", JSON)]

DATASET_SCHEMA = pa.schema(
    [
        ("dataset_id", pa.string()),
        ("name", pa.string()),
        ("description", pa.string()),
        ("data_type", pa.string()),
        ("tenant_id", pa.string()),
        ("created_at", TS),
        ("updated_at", TS),
        ("example_count", pa.int64()),
        ("session_count", pa.int64()),
        ("last_session_start_time", TS),
        ("metadata", JSON),
    ]
    + _COMMON
)

EXAMPLE_SCHEMA = pa.schema(
    [
        ("example_id", pa.string()),
        ("dataset_id", pa.string()),
        ("dataset_name", pa.string()),
        ("created_at", TS),
        ("updated_at", TS),
        ("inputs", JSON),
        ("outputs", JSON),
        ("metadata", JSON),
        ("source_run_id", pa.string()),
    ]
    + _COMMON
)

RUN_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("project_name", pa.string()),
        ("session_id", pa.string()),
        ("tenant_id", pa.string()),
        ("trace_id", pa.string()),
        ("parent_run_id", pa.string()),
        ("dotted_order", pa.string()),
        ("run_type", pa.string()),
        ("name", pa.string()),
        ("status", pa.string()),
        ("start_time", TS),
        ("end_time", TS),
        ("first_token_time", TS),
        ("error", pa.string()),
        ("user_id", pa.string()),
        ("thread_id", pa.string()),
        ("model", pa.string()),
        ("provider", pa.string()),
        ("reference_example_id", pa.string()),
        ("prompt_tokens", pa.int64()),
        ("completion_tokens", pa.int64()),
        ("total_tokens", pa.int64()),
        ("prompt_cost", COST),
        ("completion_cost", COST),
        ("total_cost", COST),
        ("inputs", JSON),
        ("outputs", JSON),
        ("tags", JSON),
        ("extra", JSON),
        ("feedback_stats", JSON),
    ]
    + _COMMON
)

SCHEMAS = {"langsmith_dataset": DATASET_SCHEMA, "langsmith_example": EXAMPLE_SCHEMA, "langsmith_run": RUN_SCHEMA}
KEYS = {"langsmith_dataset": "dataset_id", "langsmith_example": "example_id", "langsmith_run": "run_id"}


def _json(v: Any) -> str | None:
    return None if v is None else dump_json(v)


def _build(
    schema: pa.Schema,
    cols: dict[str, list],
    n: int,
    source_id: str,
    origin: str,
    synced_at: datetime,
    raws: Sequence[str],
) -> pa.Table:
    cols = dict(cols, source_id=[source_id] * n, origin=[origin] * n, synced_at=[synced_at] * n, raw=list(raws))
    arrays = []
    for f in schema:
        values = cols[f.name]
        if f.type == TS:
            arrays.append(timestamp_column(values) if f.name != "synced_at" else pa.array(values, TS))
        elif f.type == pa.int64():
            arrays.append(int_column(values))
        elif f.type == COST:
            arrays.append(pa.array(values, COST))
        else:
            arrays.append(text_column(values))
    return pa.Table.from_arrays(arrays, schema=schema)


def _get(records: Sequence[dict], key: str, conv: Callable[[Any], Any] | None = None) -> list:
    return [conv(r.get(key)) if conv else r.get(key) for r in records]


def dataset_table(records: Sequence[dict], source_id: str, synced_at: datetime, origin: str = "rest") -> pa.Table:
    cols = {
        "dataset_id": _get(records, "id"),
        "name": _get(records, "name"),
        "description": _get(records, "description"),
        "data_type": _get(records, "data_type"),
        "tenant_id": _get(records, "tenant_id"),
        "created_at": _get(records, "created_at"),
        "updated_at": _get(records, "modified_at"),
        "example_count": _get(records, "example_count"),
        "session_count": _get(records, "session_count"),
        "last_session_start_time": _get(records, "last_session_start_time"),
        "metadata": _get(records, "metadata", _json),
    }
    return _build(DATASET_SCHEMA, cols, len(records), source_id, origin, synced_at, [dump_json(r) for r in records])


def example_table(
    records: Sequence[dict],
    dataset_names: Mapping[str, str | None],
    source_id: str,
    synced_at: datetime,
    origin: str = "rest",
) -> pa.Table:
    cols = {
        "example_id": _get(records, "id"),
        "dataset_id": _get(records, "dataset_id"),
        "dataset_name": [dataset_names.get(to_text(r.get("dataset_id")) or "") for r in records],
        "created_at": _get(records, "created_at"),
        "updated_at": _get(records, "modified_at"),
        "inputs": _get(records, "inputs", _json),
        "outputs": _get(records, "outputs", _json),
        "metadata": _get(records, "metadata", _json),
        "source_run_id": _get(records, "source_run_id"),
    }
    return _build(EXAMPLE_SCHEMA, cols, len(records), source_id, origin, synced_at, [dump_json(r) for r in records])


def run_table(
    records: Sequence[dict],
    raws: Sequence[str],
    project_names: Mapping[str, str | None],
    source_id: str,
    synced_at: datetime,
    origin: str = "rest",
) -> pa.Table:
    sessions = [R.session_id(r) for r in records]
    cols = {
        "run_id": _get(records, "id"),
        "project_name": [project_names.get(s or "") for s in sessions],
        "session_id": sessions,
        "tenant_id": _get(records, "tenant_id"),
        "trace_id": _get(records, "trace_id"),
        "parent_run_id": _get(records, "parent_run_id"),
        "dotted_order": _get(records, "dotted_order"),
        "run_type": [R.run_type(r) for r in records],
        "name": _get(records, "name"),
        "status": [R.status(r) for r in records],
        "start_time": _get(records, "start_time"),
        "end_time": _get(records, "end_time"),
        "first_token_time": _get(records, "first_token_time"),
        "error": _get(records, "error"),
        "user_id": [R.user_id(r) for r in records],
        "thread_id": [R.thread_id(r) for r in records],
        "model": [R.model(r) for r in records],
        "provider": [R.provider(r) for r in records],
        "reference_example_id": _get(records, "reference_example_id"),
        "prompt_tokens": [R.tokens_in(r) for r in records],
        "completion_tokens": [R.tokens_out(r) for r in records],
        "total_tokens": _get(records, "total_tokens"),
        "prompt_cost": _get(records, "prompt_cost", R.decimal),
        "completion_cost": _get(records, "completion_cost", R.decimal),
        "total_cost": _get(records, "total_cost", R.decimal),
        "inputs": _get(records, "inputs", _json),
        "outputs": _get(records, "outputs", _json),
        "tags": _get(records, "tags", _json),
        "extra": _get(records, "extra", _json),
        "feedback_stats": _get(records, "feedback_stats", _json),
    }
    return _build(RUN_SCHEMA, cols, len(records), source_id, origin, synced_at, raws)


def has_end_time(run: dict) -> bool:
    return to_micros(run.get("end_time")) is not None
