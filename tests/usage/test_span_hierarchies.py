"""Span hierarchies of real producers' shapes, made with the OpenTelemetry Python SDK under the exact attribute names
those producers emit, sent to the receiver on loopback, pulled and built into the marts: the KPI totals equal the
sum over the model calls, whatever the hierarchy and whatever order the spans arrive in."""

from __future__ import annotations

import pytest

from tests.usage.helpers import kpi_totals, lake_rows, pull
from tests.usage.otel import Recorder, by_name, send

USER = "ana@example.com"


def vercel_generate_text(rec: Recorder, calls: int = 2, tokens: tuple[int, int] = (123, 45)) -> None:
    """``generateText`` with ``experimental_telemetry`` (AI SDK): the outer ``ai.generateText`` span and its
    ``ai.generateText.doGenerate`` step both carry the usage; the tracer is named ``ai``."""
    tracer = rec.tracer("ai")
    tin, tout = tokens
    for _ in range(calls):
        with tracer.start_as_current_span("ai.generateText") as outer:
            outer.set_attributes(
                {
                    "operation.name": "ai.generateText support-reply",
                    "ai.operationId": "ai.generateText",
                    "ai.model.id": "gpt-4o-mini",
                    "ai.model.provider": "openai.chat",
                    "ai.telemetry.functionId": "support-reply",
                    "ai.telemetry.metadata.userId": USER,
                    "ai.settings.maxRetries": 2,
                    "ai.prompt": '{"prompt":"When does my order ship?"}',
                }
            )
            with tracer.start_as_current_span("ai.generateText.doGenerate") as step:
                step.set_attributes(
                    {
                        "operation.name": "ai.generateText.doGenerate support-reply",
                        "ai.operationId": "ai.generateText.doGenerate",
                        "ai.model.id": "gpt-4o-mini",
                        "ai.model.provider": "openai.chat",
                        "ai.telemetry.functionId": "support-reply",
                        "ai.telemetry.metadata.userId": USER,
                        "gen_ai.system": "openai.chat",
                        "gen_ai.request.model": "gpt-4o-mini",
                        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
                        "gen_ai.response.finish_reasons": ["stop"],
                        "gen_ai.usage.input_tokens": tin,
                        "gen_ai.usage.output_tokens": tout,
                        "ai.usage.promptTokens": tin,
                        "ai.usage.completionTokens": tout,
                        "ai.response.finishReason": "stop",
                    }
                )
            outer.set_attributes({"ai.usage.promptTokens": tin, "ai.usage.completionTokens": tout})


def test_vercel_ai_sdk_generate_text_counts_each_call_once_with_its_provider(receiver, sources_file, lake, tmp_path):
    url, _ = receiver
    rec = Recorder({"service.name": "storefront", "service.instance.id": "web-1"})
    vercel_generate_text(rec)
    send(url, rec.spans())
    pull(sources_file, lake)
    rows = lake_rows(lake, "tokens_input, tokens_output, provider, usage_kind")
    assert rows == [(123, 45, "openai", "call")] * 2 + [(123, 45, "openai", "rollup")] * 2
    assert kpi_totals(tmp_path / "g.duckdb", lake) == (4, 2 * 123, 2 * 45)


def openinference_agent(rec: Recorder) -> tuple[int, int]:
    """An agent run as OpenInference instruments agent frameworks (e.g. the OpenAI Agents SDK): a CHAIN workflow
    and an AGENT span that roll up the usage of their LLM spans, a TOOL span; returns the LLM spans' sums."""
    tracer = rec.tracer("openinference.instrumentation.openai_agents", "1.2.0")
    calls = [(1400, 60), (1720, 210)]
    total = (sum(c[0] for c in calls), sum(c[1] for c in calls))
    with tracer.start_as_current_span("Agent workflow") as workflow:
        workflow.set_attributes({"openinference.span.kind": "CHAIN", "user.id": USER})
        with tracer.start_as_current_span("Support agent") as agent:
            agent.set_attributes({"openinference.span.kind": "AGENT", "user.id": USER, "graph.node.id": "Support"})
            for i, (tin, tout) in enumerate(calls):
                with tracer.start_as_current_span("response") as llm:
                    llm.set_attributes(
                        {
                            "openinference.span.kind": "LLM",
                            "llm.system": "openai",
                            "llm.provider": "openai",
                            "llm.model_name": "gpt-4.1-2025-04-14",
                            "llm.token_count.prompt": tin,
                            "llm.token_count.completion": tout,
                            "llm.token_count.total": tin + tout,
                            "user.id": USER,
                        }
                    )
                if i == 0:
                    with tracer.start_as_current_span("get_order_status") as tool:
                        tool.set_attributes({"openinference.span.kind": "TOOL", "tool.name": "get_order_status"})
            agent.set_attributes({"llm.token_count.prompt": total[0], "llm.token_count.completion": total[1]})
        workflow.set_attributes({"llm.token_count.prompt": total[0], "llm.token_count.completion": total[1]})
    return total


def genai_semconv_agent(rec: Recorder) -> tuple[int, int]:
    """An agent per the GenAI semantic conventions: ``invoke_agent`` with the total usage over ``chat`` spans."""
    tracer = rec.tracer("my_agent_framework")
    calls = [(900, 80), (1100, 95), (300, 12)]
    total = (sum(c[0] for c in calls), sum(c[1] for c in calls))
    with tracer.start_as_current_span("invoke_agent triage") as agent:
        agent.set_attributes({"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "triage"})
        for tin, tout in calls:
            with tracer.start_as_current_span("chat claude-sonnet-4-5") as chat:
                chat.set_attributes(
                    {
                        "gen_ai.operation.name": "chat",
                        "gen_ai.provider.name": "anthropic",
                        "gen_ai.request.model": "claude-sonnet-4-5",
                        "gen_ai.usage.input_tokens": tin,
                        "gen_ai.usage.output_tokens": tout,
                    }
                )
        agent.set_attributes({"gen_ai.usage.input_tokens": total[0], "gen_ai.usage.output_tokens": total[1]})
    return total


def test_agent_spans_roll_up_but_count_once(receiver, sources_file, lake, tmp_path):
    url, _ = receiver
    rec = Recorder({"service.name": "support-agents"})
    oi = openinference_agent(rec)
    semconv = genai_semconv_agent(rec)
    send(url, rec.spans())
    pull(sources_file, lake)
    with_usage = [r for r in lake_rows(lake, "tokens_input, usage_kind") if r[0]]
    assert len(with_usage) == 2 + 2 + 3 + 1  # every span keeps its own figures in the lake
    events, tin, tout = kpi_totals(tmp_path / "g.duckdb", lake)
    assert events == 5 + 4
    assert (tin, tout) == (oi[0] + semconv[0], oi[1] + semconv[1])


def app_request_wrapping_vercel(rec: Recorder) -> tuple[int, int]:
    """An app's own span that says nothing of its kind but records the request's total usage, around two
    ``generateText`` calls: it is a roll-up only because spans below it carry usage."""
    tracer = rec.tracer("storefront.app")
    with tracer.start_as_current_span("POST /api/reply") as request:
        vercel_generate_text(rec, calls=2, tokens=(123, 45))
        request.set_attributes({"gen_ai.usage.input_tokens": 246, "gen_ai.usage.output_tokens": 90})
    return 246, 90


@pytest.mark.parametrize("order", ["one_request", "children_first", "parents_first"])
def test_totals_do_not_depend_on_arrival_order(receiver, sources_file, lake, tmp_path, order):
    url, _ = receiver
    rec = Recorder({"service.name": "storefront", "service.instance.id": "web-1"})
    expected = app_request_wrapping_vercel(rec)
    spans = rec.spans()
    calls = by_name(spans, "ai.generateText.doGenerate")
    parents = [s for s in spans if s not in calls]
    batches = {
        "one_request": [spans],
        "children_first": [calls, parents[:1], parents[1:]],
        "parents_first": [parents[-1:], parents[:-1], calls],
    }[order]
    cursor = None
    db = tmp_path / "g.duckdb"
    day = None
    for batch in batches:  # each batch is its own request, pull and (date) marts build
        send(url, batch)
        cursor = pull(sources_file, lake, cursor=cursor)
        day = day or str(lake_rows(lake, "date")[0][0])
        kpi_totals(db, lake, [day])
    assert kpi_totals(db, lake, [day]) == (5, *expected)
    assert kpi_totals(tmp_path / "full.duckdb", lake) == (5, *expected)
