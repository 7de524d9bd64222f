"""Run -> event mapping, tables and config validation (pure functions)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import orjson
import pytest

from governance_pipeline.config.errors import ConfigError
from governance_pipeline.langsmith.api import api_root
from governance_pipeline.langsmith.cursor import SyncCursor
from governance_pipeline.langsmith.events import events_table
from governance_pipeline.langsmith.tables import run_table
from governance_pipeline.mapping.event_mapping import dump_json
from governance_pipeline.sources_file import parse_sources


def _run(**kw):
    base = {
        "id": "r1",
        "run_type": "llm",
        "name": "ChatOpenAI",
        "session_id": "p1",
        "trace_id": "t1",
        "start_time": "2026-10-01T09:00:00.000000",
        "end_time": "2026-10-01T09:00:01.500000",
        "status": "success",
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "total_cost": "0.0125",
        "extra": {"metadata": {"user_id": "u@example.com", "ls_model_name": "gpt-4o", "ls_provider": "openai"}},
    }
    base.update(kw)
    return base


def _events(runs, types=frozenset({"llm"})):
    return events_table(runs, [dump_json(r) for r in runs], types).to_pylist()


@pytest.mark.parametrize("cost", ["0.0125", Decimal("0.0125"), 0.0125])
def test_cost_as_string_decimal_or_float(cost):
    (e,) = _events([_run(total_cost=cost)])
    assert e["cost_usd"] == pytest.approx(0.0125)
    assert (e["tokens_input"], e["tokens_output"]) == (10, 5)
    assert e["duration_ms"] == pytest.approx(1500)
    assert e["event_timestamp"] == datetime(2026, 10, 1, 9, tzinfo=UTC)


def test_cost_falls_back_to_prompt_plus_completion():
    (e,) = _events([_run(total_cost=None, prompt_cost="0.01", completion_cost="0.002")])
    assert e["cost_usd"] == pytest.approx(0.012)


def test_token_details_are_parts_of_the_totals():
    run = _run(
        prompt_tokens=1200,
        completion_tokens=90,
        prompt_token_details={"cache_read": 1000, "cache_creation": 150},
        completion_token_details='{"reasoning": 40}',  # the bulk export has them as JSON text
    )
    (e,) = _events([run])
    assert (e["tokens_input"], e["tokens_output"]) == (1200, 90)
    assert (e["tokens_cache_read"], e["tokens_cache_write"], e["tokens_reasoning"]) == (1000, 150, 40)
    (plain,) = _events([_run()])
    assert (plain["tokens_cache_read"], plain["tokens_reasoning"]) == (None, None)


def test_actor_precedence():
    md = {"ls_invocation_params": {"user": "openai-user"}, "thread_id": "thr_1"}
    assert _events([_run(extra={"metadata": md})])[0]["actor"] == "openai-user"
    assert _events([_run(extra={"metadata": {"thread_id": "thr_1"}})])[0]["actor"] == "thr_1"
    assert _events([_run(extra={})])[0]["actor"] == "p1"


def test_target_falls_back_to_invocation_params_and_v2_shapes():
    run = _run(extra={"invocation_params": {"model": "claude-sonnet-4-5"}}, run_type="LLM", status="SUCCESS")
    (e,) = _events([run])
    assert (e["target"], e["action"], e["status"]) == ("claude-sonnet-4-5", "llm", "ok")
    v2 = _run(
        extra=None, metadata={"user_id": "v2user", "ls_model_name": "gpt-4o-mini"}, session_id=None, project_id="p2"
    )
    (e,) = _events([v2])
    assert (e["actor"], e["target"]) == ("v2user", "gpt-4o-mini")


def test_chain_and_tool_runs_never_count_spend():
    chain = _run(id="c", run_type="chain", name="agent", total_cost="0.0125", prompt_tokens=10)
    tool = _run(id="t", run_type="tool", name="get_order_status", total_cost=None)
    assert [e["source_event_id"] for e in _events([chain, tool, _run()])] == ["r1"]
    events = {e["source_event_id"]: e for e in _events([chain, tool, _run()], frozenset({"llm", "tool", "chain"}))}
    assert sum(e["cost_usd"] or 0 for e in events.values()) == pytest.approx(0.0125)
    assert events["c"]["tokens_input"] is None and events["c"]["cost_usd"] is None
    assert (events["t"]["tool_name"], events["t"]["target"], events["t"]["action"]) == (
        "get_order_status",
        "get_order_status",
        "tool",
    )


def test_error_type_from_error_text():
    (e,) = _events([_run(status="error", error="RateLimitError('quota exceeded')")])
    assert (e["status"], e["error_type"]) == ("error", "RateLimitError")


def test_run_table_keeps_raw_and_costs_as_decimal():
    run = _run(total_cost="0.01587500", prompt_cost=0.1, completion_cost=Decimal("0.002"), parent_run_id="p")
    t = run_table([run], [dump_json(run)], {"p1": "prod"}, "ls", datetime.now(UTC))
    row = t.to_pylist()[0]
    assert row["total_cost"] == Decimal("0.0158750000") and row["prompt_cost"] == Decimal("0.1000000000")
    assert (row["project_name"], row["user_id"], row["model"], row["parent_run_id"]) == (
        "prod",
        "u@example.com",
        "gpt-4o",
        "p",
    )
    assert orjson.loads(row["raw"])["id"] == "r1"


def test_cursor_lower_bound_and_roundtrip():
    cur = SyncCursor.parse(None, timedelta(hours=1), timedelta(days=7))
    assert cur.lower_bound("p") is None
    text = '{"v": 1, "projects": {"p": {"hwm": "2026-10-10T10:00:00Z", "open": "2026-10-09T00:00:00Z"}, "q": {"hwm": "2026-10-10T10:00:00Z", "open": "2026-09-01T00:00:00Z"}}}'
    cur = SyncCursor.parse(text, timedelta(hours=1), timedelta(days=7))
    assert cur.lower_bound("p") == datetime(2026, 10, 9, tzinfo=UTC)
    assert cur.lower_bound("q") == datetime(2026, 10, 3, 10, tzinfo=UTC)  # open run capped at 7 days
    again = SyncCursor.parse(cur.dump(), timedelta(hours=1), timedelta(days=7))
    assert again.projects == cur.projects
    with pytest.raises(ValueError, match="unreadable LangSmith cursor"):
        SyncCursor.parse("not json", timedelta(hours=1), timedelta(days=7))


def test_api_root_for_saas_and_self_hosted():
    assert api_root("https://eu.api.smith.langchain.com") == "https://eu.api.smith.langchain.com/api/v1"
    assert api_root("https://ls.example.com/api/v1/") == "https://ls.example.com/api/v1"


def test_config_errors_name_the_key_path():
    text = """
credentials:
  c: {apiKey: x}
sources:
  - id: ls
    type: langsmith
    config: {credentialRef: c, pageSize: 500, baseUrl: "ftp://x", bogus: 1}
  - id: ls2
    type: langsmith
    config: {credentialRef: missing}
  - id: ex
    type: langsmith_bulk_export
    config: {bucket: b, prefix: p, nope: 1}
"""
    with pytest.raises(ConfigError) as err:
        parse_sources(text)
    msg = str(err.value)
    assert "source 'ls': config.pageSize" in msg
    assert "source 'ls': config.baseUrl" in msg
    assert "source 'ls': config.bogus: unknown key" in msg
    assert "source 'ls2': config.credentialRef: unknown credential set 'missing'" in msg
    assert "source 'ex': config.nope: unknown key" in msg


def test_credential_set_without_api_key_is_a_config_error():
    text = """
credentials:
  c: {tenantId: t}
sources:
  - id: ls
    type: langsmith
    config: {credentialRef: c}
"""
    with pytest.raises(
        ConfigError, match=re.escape("source 'ls': config.credentialRef: credential set 'c' has no key 'apiKey'")
    ):
        parse_sources(text)


def test_export_rows_in_batches_with_naive_nanosecond_timestamps():
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    from governance_pipeline.langsmith.export_tree import ExportFile, read_runs

    t = pa.table(
        {
            "id": ["a", "b", "c"],
            "start_time": pa.array([1_790_000_000_123_456_789] * 3, pa.timestamp("ns")),
            "extra": ['{"metadata": {"user_id": "u"}}', None, "not json {"],
        }
    )
    buf = io.BytesIO()
    pq.write_table(t, buf)
    f = ExportFile("k", "e", "tenant", "sess", "2026-10-01")
    batches = list(read_runs(buf.getvalue(), f, batch_rows=2))
    assert [len(b) for b in batches] == [2, 1]
    row = batches[0][0]
    assert row["start_time"] == datetime(2026, 9, 21, 14, 13, 20, 123456, tzinfo=UTC)
    assert (
        row["extra"] == {"metadata": {"user_id": "u"}} and row["session_id"] == "sess" and row["tenant_id"] == "tenant"
    )
    assert batches[1][0]["extra"] == "not json {"
