"""What one span (or run) declares about itself: a model call, or a step that is not one (docs/marts.md, "Usage").

``usage_kind`` is only what a single record says; it needs no other span. The marts decide from it and from the
trace which records' usage counts:

- ``call``: the record says it is a model call (``langsmith.span.kind`` llm, ``openinference.span.kind`` LLM or
  EMBEDDING, the Vercel AI SDK's ``*.doGenerate`` / ``*.doStream`` / ``*.doEmbed``, ``gen_ai.operation.name``
  chat / text_completion / generate_content / embeddings, ``llm.request.type`` chat / completion / embedding);
- ``rollup``: it says it is something else (a chain, agent, workflow, task, tool, retriever, prompt, or an SDK's
  outer operation such as ``ai.generateText``), so any usage it carries is a roll-up of its model calls;
- None: it says nothing.

Framework-specific kinds are read before ``gen_ai.operation.name`` because some frameworks fill that key from
their own kinds: the ``langsmith`` SDK writes ``chat`` on ``prompt`` runs and ``embeddings`` on ``retriever`` runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, Literal

from governance_pipeline.mapping.coerce import to_text

UsageKind = Literal["call", "rollup"]
CALL: UsageKind = "call"
ROLLUP: UsageKind = "rollup"

# https://docs.smith.langchain.com (run types); LangSmith counts cost on llm runs only.
LANGSMITH_KINDS: dict[str, UsageKind] = {
    "llm": CALL,
    "chain": ROLLUP,
    "tool": ROLLUP,
    "retriever": ROLLUP,
    "prompt": ROLLUP,
    "parser": ROLLUP,
    "embedding": ROLLUP,
}
# OpenInference span kinds (openinference-semantic-conventions)
OPENINFERENCE_KINDS: dict[str, UsageKind] = {
    "llm": CALL,
    "embedding": CALL,
    "chain": ROLLUP,
    "agent": ROLLUP,
    "tool": ROLLUP,
    "retriever": ROLLUP,
    "reranker": ROLLUP,
    "guardrail": ROLLUP,
    "evaluator": ROLLUP,
    "prompt": ROLLUP,
}
# Traceloop / OpenLLMetry ``traceloop.span.kind``: its model-call spans carry ``llm.request.type`` instead.
TRACELOOP_KINDS: dict[str, UsageKind] = {"workflow": ROLLUP, "task": ROLLUP, "agent": ROLLUP, "tool": ROLLUP}
# OpenTelemetry GenAI ``gen_ai.operation.name`` well-known values
GEN_AI_OPERATIONS: dict[str, UsageKind] = {
    "chat": CALL,
    "text_completion": CALL,
    "generate_content": CALL,
    "embeddings": CALL,
    "completion": CALL,
    "responses": CALL,
    "create_agent": ROLLUP,
    "invoke_agent": ROLLUP,
    "invoke_workflow": ROLLUP,
    "execute_tool": ROLLUP,
}
LLM_REQUEST_TYPES: dict[str, UsageKind] = {
    "chat": CALL,
    "completion": CALL,
    "embedding": CALL,
    "rerank": CALL,
}
# The Vercel AI SDK: ``ai.generateText`` wraps one ``ai.generateText.doGenerate`` per step.
VERCEL_CALL_SUFFIXES = (".doGenerate", ".doStream", ".doEmbed")


def table_kind(table: Mapping[str, UsageKind], value: Any) -> UsageKind | None:
    text = to_text(value)
    return table.get(text.strip().lower()) if text else None


def vercel_kind(operation_id: Any) -> UsageKind | None:
    op = to_text(operation_id)
    if not op or not op.startswith("ai."):
        return None
    return CALL if op.endswith(VERCEL_CALL_SUFFIXES) else ROLLUP


KindOf = Callable[[Any], UsageKind | None]
DECIDING: tuple[tuple[str, KindOf], ...] = (
    ("langsmith.span.kind", partial(table_kind, LANGSMITH_KINDS)),
    ("openinference.span.kind", partial(table_kind, OPENINFERENCE_KINDS)),
    ("ai.operationId", vercel_kind),
)
"""The framework keys, in order: the first a span has decides, even when its value says nothing."""
FALLING_BACK: tuple[tuple[str, KindOf], ...] = (
    ("traceloop.span.kind", partial(table_kind, TRACELOOP_KINDS)),
    ("gen_ai.operation.name", partial(table_kind, GEN_AI_OPERATIONS)),
    ("llm.request.type", partial(table_kind, LLM_REQUEST_TYPES)),
)
"""Then these keys, in order: the first whose value names a kind decides."""


def usage_kind_of(attrs: Mapping[str, Any]) -> UsageKind | None:
    """What the span's own attributes declare (see the module docstring); None when they say nothing."""
    for key, kind_of in DECIDING:
        if key in attrs:
            return kind_of(attrs[key])
    for key, kind_of in FALLING_BACK:
        if (kind := kind_of(attrs.get(key))) is not None:
            return kind
    return None


def langsmith_run_kind(run_type: str | None) -> UsageKind | None:
    """A LangSmith run's kind from its ``run_type`` (REST runs and bulk exports)."""
    return LANGSMITH_KINDS.get(run_type or "")
