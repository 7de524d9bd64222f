"""The rule's cases on lake rows written directly (the producers' tests cover the shapes they emit)."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
import pytest

from governance_pipeline.lake.store import LakeStore
from governance_pipeline.lake.writer import LakeWriter
from tests.usage.helpers import kpi_totals

AT = datetime(2026, 10, 1, 9, tzinfo=UTC)


def _span(span_id: str, parent: str | None, kind: str | None, tokens: int) -> dict:
    return {
        "source_event_id": span_id,
        "event_timestamp": AT,
        "tokens_input": tokens,
        "trace_id": "t",
        "span_id": span_id,
        "parent_span_id": parent,
        "usage_kind": kind,
    }


@pytest.mark.parametrize(
    "spans, counted",
    [
        # a declared call around an undeclared span with usage (e.g. an HTTP client's instrumentation): the inner
        ([("llm", None, "call", 50), ("http", "llm", None, 50)], 50),
        # a declared call around a declared roll-up that repeats its usage: the call
        ([("llm", None, "call", 50), ("parser", "llm", "rollup", 50)], 50),
        # an undeclared span between a roll-up and its call: only the call
        ([("agent", None, "rollup", 90), ("step", "agent", None, 90), ("llm", "step", "call", 90)], 90),
        # undeclared all the way down: the leaves
        ([("a", None, None, 30), ("b", "a", None, 10), ("c", "a", None, 20), ("d", "c", None, 20)], 30),
        # a declared roll-up with nothing below it never counts (LangSmith counts llm runs only)
        ([("chain", None, "rollup", 70)], 0),
    ],
)
def test_which_spans_count(lake, tmp_path, spans, counted):
    writer = LakeWriter(LakeStore(lake), "agents", "otel_generic")
    writer.write(pa.Table.from_pylist([_span(*s) for s in spans]))
    writer.commit()
    assert kpi_totals(tmp_path / "g.duckdb", lake)[1] == counted
