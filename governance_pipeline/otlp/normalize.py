"""Span records -> normalized lake events, by the attribute precedence lists (docs/otlp.md, "How a span becomes an event").

Each list is tried in order; a key whose value does not parse is skipped and the next one tried. When no key of
the token or cost lists parses but one was present (``1e30`` tokens, a cost that is not a number), the span is
poisoned: it is left out and reported, never landed with 0 (README, "Poisoned records"). The event time is
``startTimeUnixNano`` in integer arithmetic (never through a float); 0 means "unknown" and the lake writer then
uses the ingest time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson
import pyarrow as pa

from governance_pipeline.lake.schema import EVENT_SCHEMA, TS
from governance_pipeline.mapping.coerce import INTEGER, NUMBER, present, to_float, to_text
from governance_pipeline.mapping.precedence import first_float, first_int, first_text
from governance_pipeline.mapping.providers import first_provider
from governance_pipeline.mapping.usage_kind import usage_kind_of
from governance_pipeline.otlp.spans import STATUS_NAMES, SpanRecord

ACTOR = (
    "langwatch.user.id",
    "user.email",
    "user.id",
    "enduser.id",
    "langfuse.user.id",
    "llm.user",
    "traceloop.association.properties.user_id",
    "ai.telemetry.metadata.userId",
    "user.name",
)
ACTION = ("gen_ai.operation.name", "llm.request.type")
SPAN_KIND_KEY = "openinference.span.kind"
MODEL = ("gen_ai.request.model", "gen_ai.response.model", "llm.model_name", "llm.model", "ai.model.id", "model")
TOOL = ("gen_ai.tool.name", "tool.name")
EMBEDDING_MODEL = "embedding.model_name"
TARGET = MODEL + TOOL + (EMBEDDING_MODEL,)
INPUT_TOKENS = (
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.prompt_tokens",
    "llm.token_count.prompt",
    "ai.usage.inputTokens",
    "ai.usage.promptTokens",
    "input_tokens",
)
OUTPUT_TOKENS = (
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.completion_tokens",
    "llm.token_count.completion",
    "ai.usage.outputTokens",
    "ai.usage.completionTokens",
    "output_tokens",
)
# Token detail (docs/costs.md): current GenAI semantic-convention names first, then their deprecated spellings,
# OpenInference's, the Vercel AI SDK's, and the plain keys coding agents send. All are parts of the totals above.
CACHE_READ_TOKENS = (
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.cache_read_input_tokens",
    "gen_ai.usage.input_tokens.cached",
    "llm.token_count.prompt_details.cache_read",
    "ai.usage.inputTokenDetails.cacheReadTokens",
    "ai.usage.cachedInputTokens",
    "cache_read_tokens",
)
CACHE_WRITE_TOKENS = (
    "gen_ai.usage.cache_creation.input_tokens",
    "gen_ai.usage.cache_creation_input_tokens",
    "gen_ai.usage.input_tokens.cache_write",
    "llm.token_count.prompt_details.cache_write",
    "ai.usage.inputTokenDetails.cacheWriteTokens",
    "cache_creation_tokens",
)
REASONING_TOKENS = (
    "gen_ai.usage.reasoning.output_tokens",
    "gen_ai.usage.reasoning_tokens",
    "gen_ai.usage.output_tokens.reasoning",
    "llm.token_count.completion_details.reasoning",
    "ai.usage.outputTokenDetails.reasoningTokens",
    "ai.usage.reasoningTokens",
    "reasoning_tokens",
)
COST_BEFORE_AMOUNT = ("gen_ai.usage.cost_usd", "gen_ai.usage.cost")
COST_AMOUNT, COST_CURRENCY = "gen_ai.usage.cost.amount", "gen_ai.usage.cost.currency"  # the amount counts in USD
COST_AFTER_AMOUNT = ("llm.cost.usd", "llm.cost.total", "langwatch.cost.usd", "langwatch.span.cost")
PROVIDER = (
    "gen_ai.provider.name",
    "gen_ai.system",
    "ai.model.provider",
    "llm.provider",
    "llm.system",
    "langsmith.metadata.ls_provider",
)
ERROR_TYPE = ("error.type", "exception.type")
CONVERSATION = ("gen_ai.conversation.id", "session.id", "langwatch.thread.id", "langfuse.session.id")


def action_of(attrs: Mapping[str, Any], span_name: str) -> str | None:
    action = first_text(attrs, ACTION)
    if action is None:
        kind = to_text(attrs.get(SPAN_KIND_KEY))
        action = kind.lower() if kind else None
    return action or span_name or None


def is_usd(currency: str | None) -> bool:
    """Whether an amount in ``currency`` (the ``COST_CURRENCY`` attribute's text) counts: USD, or none given."""
    return currency is None or currency.upper() == "USD"


def cost_of(attrs: Mapping[str, Any]) -> float | None:
    cost = first_float(attrs, COST_BEFORE_AMOUNT)
    if cost is None and COST_AMOUNT in attrs and is_usd(to_text(attrs.get(COST_CURRENCY))):
        cost = to_float(attrs[COST_AMOUNT])
    return cost if cost is not None else first_float(attrs, COST_AFTER_AMOUNT)


def model_tool_target(attrs: Mapping[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(model, tool name, target); ``target`` follows ``TARGET``, i.e. model keys, then tools, then embeddings."""
    model = first_text(attrs, MODEL)
    tool = first_text(attrs, TOOL)
    embedding = None if model else first_text(attrs, (EMBEDDING_MODEL,))
    return model or embedding, tool, model or tool or embedding


def error_type_of(span: SpanRecord) -> str | None:
    err = first_text(span.attrs, ERROR_TYPE)
    if err is None:
        for ev in span.events:
            if ev["name"] == "exception":
                err = to_text(ev["attributes"].get("exception.type"))
                if err:
                    break
    return err


def _unparsed(attrs: Mapping[str, Any], keys: Sequence[str], name: str, what: str) -> str | None:
    """Why ``name`` is poisoned: a key of ``keys`` was present but none parsed (called only when none did)."""
    for key in keys:
        if key in attrs and present(attrs[key]):
            return f"{name}: {key} = {attrs[key]!r:.60} is not {what}"
    return None


def _cost_keys(attrs: Mapping[str, Any]) -> tuple[str, ...]:
    amount = (COST_AMOUNT,) if is_usd(to_text(attrs.get(COST_CURRENCY))) else ()
    return (*COST_BEFORE_AMOUNT, *amount, *COST_AFTER_AMOUNT)


def usage(a: Mapping[str, Any]) -> tuple[int | None, int | None, float | None, str | None]:
    """(input tokens, output tokens, cost, why the span is poisoned or None)."""
    tin, tout, cost = first_int(a, INPUT_TOKENS), first_int(a, OUTPUT_TOKENS), cost_of(a)
    why = None
    if tin is None:
        why = _unparsed(a, INPUT_TOKENS, "tokens_input", INTEGER)
    if why is None and tout is None:
        why = _unparsed(a, OUTPUT_TOKENS, "tokens_output", INTEGER)
    if why is None and cost is None:
        why = _unparsed(a, _cost_keys(a), "cost_usd", NUMBER)
    return tin, tout, cost, why


def normalize(spans: Iterable[SpanRecord], rejects: list[tuple[int, str]] | None = None) -> pa.Table:
    """One Arrow table of normalized events (a subset of the lake columns) for a batch of spans. A poisoned span
    (see ``usage``) is left out, and ``(its index, the reason)`` added to ``rejects`` when given."""
    cols: dict[str, list] = {name: [] for name in SPAN_COLUMNS}
    for i, s in enumerate(spans):
        a = s.attrs
        tin, tout, cost, why = usage(a)
        if why is not None:
            if rejects is not None:
                rejects.append((i, why))
            continue
        append_attribute_columns(cols, a, tin, tout, cost)
        cols["source_event_id"].append(s.span_id)
        cols["event_timestamp"].append(s.start_ns // 1000 if s.start_ns > 0 else None)
        cols["action"].append(action_of(a, s.name))
        cols["raw_payload"].append(orjson.dumps(s.raw(), option=orjson.OPT_NON_STR_KEYS, default=str).decode())
        cols["status"].append(STATUS_NAMES.get(s.status_code, "unset"))
        cols["error_type"].append(error_type_of(s))
        ok = s.start_ns > 0 and s.end_ns >= s.start_ns
        cols["duration_ms"].append((s.end_ns - s.start_ns) / 1_000_000 if ok else None)
        cols["trace_id"].append(s.trace_id or None)
        cols["span_id"].append(s.span_id)
        cols["parent_span_id"].append(s.parent_span_id)
    return columns_table(cols, SPAN_COLUMNS)


def append_attribute_columns(
    cols: dict[str, list], a: Mapping[str, Any], tin: int | None, tout: int | None, cost: float | None
) -> None:
    """The columns a span and a log record both take from their attributes by the precedence lists (the usage
    figures already read and checked by ``usage``)."""
    model, tool, target = model_tool_target(a)
    cols["actor"].append(first_text(a, ACTOR))
    cols["target"].append(target)
    cols["cost_usd"].append(cost)
    cols["tokens_input"].append(tin)
    cols["tokens_output"].append(tout)
    cols["tokens_cache_read"].append(first_int(a, CACHE_READ_TOKENS))
    cols["tokens_cache_write"].append(first_int(a, CACHE_WRITE_TOKENS))
    cols["tokens_reasoning"].append(first_int(a, REASONING_TOKENS))
    cols["event_type"].append("api.call" if model else "tool.invocation" if tool else "agent.action")
    cols["model"].append(model)
    cols["provider"].append(first_provider(a, PROVIDER))
    cols["tool_name"].append(tool)
    cols["conversation_id"].append(first_text(a, CONVERSATION))
    cols["usage_kind"].append(usage_kind_of(a))


def columns_table(cols: dict[str, list], names: Sequence[str]) -> pa.Table:
    """The appended columns as an Arrow table with the lake's types (``event_timestamp`` from µs)."""
    arrays = [
        pa.array(cols[n], pa.int64()).cast(TS)
        if n == "event_timestamp"
        else pa.array(cols[n], EVENT_SCHEMA.field(n).type)
        for n in names
    ]
    return pa.Table.from_arrays(arrays, schema=pa.schema([EVENT_SCHEMA.field(n) for n in names]))


SPAN_COLUMNS = (
    "source_event_id",
    "event_timestamp",
    "actor",
    "action",
    "target",
    "cost_usd",
    "tokens_input",
    "tokens_output",
    "tokens_cache_read",
    "tokens_cache_write",
    "tokens_reasoning",
    "raw_payload",
    "event_type",
    "model",
    "provider",
    "tool_name",
    "status",
    "error_type",
    "duration_ms",
    "conversation_id",
    "trace_id",
    "span_id",
    "parent_span_id",
    "usage_kind",
)
