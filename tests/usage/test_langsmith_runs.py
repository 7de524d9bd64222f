"""LangSmith runs read through the REST API or a bulk export follow the same rule as LangSmith's OpenTelemetry
spans (tests/usage/test_langsmith_otel.py): the llm runs count, chain and prompt runs are roll-ups."""

from __future__ import annotations

import duckdb

from governance_pipeline.lake.store import LakeStore
from governance_pipeline.lake.writer import LakeWriter
from governance_pipeline.langsmith.events import events_table
from governance_pipeline.mapping.event_mapping import dump_json
from tests.usage.helpers import kpi_totals

IN, OUT = 321, 12


def _project_runs() -> list[dict]:
    """Two chains as the LangSmith SDK records them: chain (with the model's usage in its outputs, so LangSmith
    reports its tokens too), its prompt run, its llm run."""
    runs = []
    for n in range(2):
        chain, start = f"00000000-0000-0000-0000-00000000000{n}", f"2026-10-01T09:0{n}:00.000000"
        common = {"trace_id": chain, "session_id": "p1", "start_time": start, "end_time": start, "status": "success"}
        runs += [
            {**common, "id": chain, "run_type": "chain", "name": "RunnableSequence", "prompt_tokens": IN,
             "completion_tokens": OUT, "total_cost": "0.00006"},
            {**common, "id": f"{chain}-p", "parent_run_id": chain, "run_type": "prompt", "name": "ChatPromptTemplate"},
            {**common, "id": f"{chain}-l", "parent_run_id": chain, "run_type": "llm", "name": "AzureChatOpenAI",
             "prompt_tokens": IN, "completion_tokens": OUT, "total_cost": "0.00006",
             "extra": {"metadata": {"ls_provider": "azure", "ls_model_name": "gpt-4o-mini"}}},
        ]  # fmt: skip
    return runs


def test_rest_and_export_runs_count_each_llm_run_once(lake, tmp_path):
    runs = _project_runs()
    table = events_table(runs, [dump_json(r) for r in runs], frozenset({"llm", "chain", "prompt"}))
    writer = LakeWriter(LakeStore(lake), "langsmith_api", "langsmith")
    writer.write(table)
    writer.commit()
    rows = duckdb.sql(
        f"SELECT action, usage_kind, provider, tokens_input FROM read_parquet('{lake}/events/**/*.parquet') "
        "ORDER BY ALL"
    ).fetchall()
    assert (
        rows
        == [("chain", "rollup", None, 0)] * 2
        + [("llm", "call", "azure.ai.openai", IN)] * 2
        + [("prompt", "rollup", None, 0)] * 2
    )
    assert kpi_totals(tmp_path / "g.duckdb", lake) == (6, 2 * IN, 2 * OUT)
