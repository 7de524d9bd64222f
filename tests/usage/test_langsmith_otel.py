"""The real ``langsmith`` SDK in OpenTelemetry mode, tracing a LangChain chain with a fake chat model, exporting to
the receiver on loopback: each model call's tokens count once in the KPIs, though its parent chain span carries
the same ``gen_ai.usage.*`` (the chain's output holds the model's usage)."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.prompts import ChatPromptTemplate
from langsmith._internal.otel._otel_client import get_otlp_tracer_provider
from langsmith.run_helpers import tracing_context

from langsmith import Client
from tests.otlp.conftest import SECRET
from tests.usage.helpers import kpi_totals, lake_rows, pull

IN, OUT = 321, 12


class FakeOpenAIChat(GenericFakeChatModel):
    """A chat model that answers without a network, reporting itself the way ``ChatOpenAI`` does."""

    model_name: str = "gpt-4o-mini"

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> Any:
        params = super()._get_ls_params(stop=stop, **kwargs)
        params.update(ls_provider="openai", ls_model_name=self.model_name)
        return params


def _answer() -> AIMessage:
    return AIMessage(
        content="It ships on Tuesday.",
        usage_metadata={"input_tokens": IN, "output_tokens": OUT, "total_tokens": IN + OUT},
        response_metadata={"model_name": "gpt-4o-mini"},
    )


@pytest.fixture
def langsmith_otel(receiver, monkeypatch):
    """The environment of a LangSmith app in OpenTelemetry-only mode, pointed at the receiver."""
    url, _ = receiver
    monkeypatch.setenv("LANGSMITH_TRACING", "true")
    monkeypatch.setenv("LANGSMITH_OTEL_ENABLED", "true")
    monkeypatch.setenv("LANGSMITH_OTEL_ONLY", "true")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"{url}/api/ingest/otel/agents")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", f"Authorization=Bearer {SECRET}")
    # The SDK's own env-configured OTLP provider, passed explicitly instead of becoming the process's global one.
    provider = get_otlp_tracer_provider()
    client = Client(otel_tracer_provider=provider, api_key="unused-in-otel-only-mode")
    assert client.otel_exporter is not None, "the SDK is not in OpenTelemetry mode"

    def run_chains(n: int) -> None:
        with tracing_context(client=client, enabled=True, project_name="support-bot"):
            for _ in range(n):
                prompt = ChatPromptTemplate.from_messages([("user", "{question}")])
                chain = prompt | FakeOpenAIChat(messages=iter([_answer()]))
                chain.invoke({"question": "When does my order ship?"})
        client.flush()  # the runs become spans on the SDK's background thread
        assert provider.force_flush(10_000)

    yield run_chains
    client.flush()
    provider.shutdown()


def test_two_chains_count_each_model_call_once(langsmith_otel, sources_file, lake, tmp_path):
    langsmith_otel(2)
    pull(sources_file, lake)
    with_usage = [r for r in lake_rows(lake, "tokens_input, tokens_output") if r[0]]
    assert with_usage == [(IN, OUT)] * 4, "the lake keeps every span's own figures (llm and chain spans)"
    events, tokens_in, tokens_out = kpi_totals(tmp_path / "g.duckdb", lake)
    assert events == 6  # per chain: the chain, its prompt and its llm span
    assert (tokens_in, tokens_out) == (2 * IN, 2 * OUT)
