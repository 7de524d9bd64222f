"""Coding agents' OpenTelemetry log events -> normalized event fields (docs/agents/*.md).

Claude Code, OpenAI's Codex CLI and Google's Gemini CLI each export one log record per thing that happened;
their own telemetry is the only per-user record of what they spend. ``agent_fields`` maps one record (its
attributes merged, the record's over the resource's; its body; its time) to the lake's columns, or returns None
when the record is not from one of them (the generic log mapping then applies).

Every tool reports one model call as exactly one ``api.call`` event, whatever else it sends about the call:

- Claude Code: ``claude_code.api_request`` (``cost_usd`` given; Anthropic's ``input_tokens`` exclude the cache,
  so the cache reads and writes are added to make ``tokens_input`` the total).
- Codex: the ``codex.sse_event`` of kind ``response.completed`` that carries the token counts (OpenAI's counts:
  the input includes the cached tokens, the output the reasoning ones). ``codex.api_request`` (the HTTP request,
  no tokens), every other streamed event and a second ``response.completed`` without counts are
  ``agent.action`` events without usage.
- Gemini CLI: ``gemini_cli.api_response`` (the input includes the cached tokens; the thoughts are *not* in the
  output count, so they are added). The GenAI semantic-convention event the CLI sends for the same call
  (``gen_ai.client.inference.operation.details``) is an ``agent.action`` without usage.

Tool decisions and results are ``tool.invocation`` events named after the tool; everything else is
``agent.action``. ``action`` is the record's ``event.name`` as the generic log mapping has it (Claude Code's
without its prefix, ``api_request``; ``codex.sse_event``; ``gemini_cli.tool_call``). The tools' metrics repeat what their events say and are not turned into events.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from governance_pipeline.mapping.coerce import to_float, to_int, to_text
from governance_pipeline.mapping.precedence import first_text

Fields = dict[str, Any]

CLAUDE_PREFIX, CODEX_PREFIX, GEMINI_PREFIX = "claude_code.", "codex.", "gemini_cli."
CLAUDE_SERVICE, GEMINI_SERVICE = "claude-code", "gemini-cli"
CODEX_COMPLETED = "response.completed"
GENAI_DETAILS_EVENT = "gen_ai.client.inference.operation.details"


def agent_fields(attrs: Mapping[str, Any], body: Any, time_ns: int) -> Fields | None:
    """The normalized fields of one coding-agent log record, or None when it is not from a known agent.

    ``attrs`` are the record's attributes over its resource's. The result holds the lake columns the record
    determines (``event_type``, ``action``, ``actor``, ``target``, ``model``, ``provider``, ``tool_name``,
    tokens, ``cost_usd``, ``status``, ``error_type``, ``duration_ms``, ``conversation_id``,
    ``organization_id``, ``event_timestamp`` in microseconds); absent keys mean null.
    """
    name = _event_name(attrs, body)
    service = to_text(attrs.get("service.name"))
    if name.startswith(CLAUDE_PREFIX) or service == CLAUDE_SERVICE:
        fields = _claude(name.removeprefix(CLAUDE_PREFIX), attrs)
    elif name.startswith(CODEX_PREFIX):
        fields = _codex(name.removeprefix(CODEX_PREFIX), attrs)
    elif name.startswith(GEMINI_PREFIX) or service == GEMINI_SERVICE:
        fields = _gemini(name.removeprefix(GEMINI_PREFIX), attrs)
    else:
        return None
    fields["action"] = to_text(attrs.get("event.name")) or name or None  # as the generic log mapping names it
    micros = _micros(time_ns, attrs)
    if micros is not None:
        fields["event_timestamp"] = micros
    return {k: v for k, v in fields.items() if v is not None}


def _event_name(attrs: Mapping[str, Any], body: Any) -> str:
    """Claude Code puts the full name in the body (``event.name`` lacks the prefix); Codex and Gemini in
    ``event.name``."""
    if isinstance(body, str) and body.startswith(CLAUDE_PREFIX):
        return body
    name = to_text(attrs.get("event.name")) or ""
    if name and "." not in name and to_text(attrs.get("service.name")) == CLAUDE_SERVICE:
        return CLAUDE_PREFIX + name
    return name


def _micros(time_ns: int, attrs: Mapping[str, Any]) -> int | None:
    if time_ns > 0:
        return time_ns // 1000
    text = to_text(attrs.get("event.timestamp"))
    if text:
        try:
            ts = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        if ts.tzinfo is not None:
            return int(ts.timestamp()) * 1_000_000 + ts.microsecond
    return None


def _int(attrs: Mapping[str, Any], key: str) -> int | None:
    return to_int(attrs[key]) if key in attrs else None


def _sum(*values: int | None) -> int | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def _success_status(attrs: Mapping[str, Any]) -> str:
    ok = to_text(attrs.get("success"))
    if ok is None:
        return "unset"
    return "ok" if ok.lower() in ("true", "1") else "error"


def _base(attrs: Mapping[str, Any], actor_keys: tuple[str, ...], conversation_key: str) -> Fields:
    return {
        "event_type": "agent.action",
        "actor": first_text(attrs, actor_keys),
        "conversation_id": to_text(attrs.get(conversation_key)),
        "duration_ms": to_float(attrs["duration_ms"]) if "duration_ms" in attrs else None,
        "status": "unset",
    }


def _tool(fields: Fields, tool: str | None, attrs: Mapping[str, Any]) -> Fields:
    fields.update(event_type="tool.invocation", tool_name=tool, target=tool, status=_success_status(attrs))
    return fields


# -- Claude Code ------------------------------------------------------------------------------------------

CLAUDE_ACTOR = ("user.email", "user.id", "user.account_uuid")


def _claude(event: str, attrs: Mapping[str, Any]) -> Fields:
    f = _base(attrs, CLAUDE_ACTOR, "session.id")
    f["organization_id"] = to_text(attrs.get("organization.id"))
    model = to_text(attrs.get("model"))
    if event == "api_request":
        cache_read = _int(attrs, "cache_read_tokens")
        w5m, w1h = _int(attrs, "cache_creation_5m_tokens"), _int(attrs, "cache_creation_1h_tokens")
        cache_write = _int(attrs, "cache_creation_tokens")
        if cache_write is None:
            cache_write = _sum(w5m, w1h)
        f.update(
            event_type="api.call",
            model=model,
            target=model,
            provider="anthropic",
            # Anthropic's input_tokens exclude cache reads and writes; the lake's tokens_input includes them
            tokens_input=_sum(_int(attrs, "input_tokens"), cache_read, cache_write),
            tokens_output=_int(attrs, "output_tokens"),
            tokens_cache_read=cache_read,
            tokens_cache_write=cache_write,
            tokens_cache_write_1h=w1h,
            cost_usd=to_float(attrs["cost_usd"]) if "cost_usd" in attrs else None,
            status="ok",
        )
    elif event in ("tool_result", "tool_decision"):
        _tool(f, first_text(attrs, ("tool_name", "tool.name")), attrs)
        if event == "tool_decision":
            f["status"] = "unset"
    elif event == "api_error":
        f.update(target=model, status="error")
        f["error_type"] = first_text(attrs, ("error.type", "status_code", "error"))
    return f


# -- Codex CLI --------------------------------------------------------------------------------------------

CODEX_ACTOR = ("user.email", "user.account_id")


def _codex(event: str, attrs: Mapping[str, Any]) -> Fields:
    f = _base(attrs, CODEX_ACTOR, "conversation.id")
    model = to_text(attrs.get("model"))
    if event == "sse_event":
        kind = to_text(attrs.get("event.kind")) or ""
        f["target"] = kind or None  # the streamed event's kind; the model call's api.call targets the model
        counts = {
            "tokens_input": _int(attrs, "input_token_count"),  # cached tokens included (OpenAI's usage)
            "tokens_output": _int(attrs, "output_token_count"),  # reasoning tokens included
            "tokens_cache_read": _int(attrs, "cached_token_count"),
            "tokens_cache_write": _int(attrs, "cache_write_token_count"),
            "tokens_reasoning": _int(attrs, "reasoning_token_count"),
        }
        if kind == CODEX_COMPLETED and (counts["tokens_input"] is not None or counts["tokens_output"] is not None):
            provider = to_text(attrs.get("provider_name")) or "openai"
            f.update(counts, event_type="api.call", model=model, target=model, provider=provider, status="ok")
        elif kind.endswith(".failed") or kind == "error":
            f["status"] = "error"
    elif event == "api_request":
        code = to_int(attrs.get("http.response.status_code"))
        f["target"] = to_text(attrs.get("endpoint"))
        if code is not None:
            f["status"] = "error" if code >= 400 else "ok"
            f["error_type"] = str(code) if code >= 400 else None
        if to_text(attrs.get("error.message")):
            f["status"] = "error"
    elif event in ("tool_result", "tool_decision"):
        _tool(f, to_text(attrs.get("tool_name")), attrs)
        if event == "tool_decision":
            f["status"] = "unset"
    return f


# -- Gemini CLI -------------------------------------------------------------------------------------------

GEMINI_ACTOR = ("user.email", "installation.id")


def _gemini(event: str, attrs: Mapping[str, Any]) -> Fields:
    f = _base(attrs, GEMINI_ACTOR, "session.id")
    model = to_text(attrs.get("model"))
    if event == "api_response":
        thoughts = _int(attrs, "thoughts_token_count")
        code = to_int(attrs.get("status_code"))
        f.update(
            event_type="api.call",
            model=model,
            target=model,
            provider="google",
            tokens_input=_int(attrs, "input_token_count"),  # cached content included (Gemini's usage)
            # Gemini's output count leaves the thoughts out; the lake's tokens_output includes them
            tokens_output=_sum(_int(attrs, "output_token_count"), thoughts),
            tokens_cache_read=_int(attrs, "cached_content_token_count"),
            tokens_reasoning=thoughts,
            status="unset" if code is None else "error" if code >= 400 else "ok",
        )
    elif event == "tool_call":
        _tool(f, to_text(attrs.get("function_name")), attrs)
    elif event == "api_error":
        error_type = first_text(attrs, ("error_type", "error.type", "status_code", "error"))
        f.update(target=model, status="error", error_type=error_type)
    elif event == GENAI_DETAILS_EVENT:
        f["target"] = first_text(attrs, ("gen_ai.request.model", "gen_ai.response.model"))  # usage counted once
    return f


MAPPERS: Mapping[str, Callable[[str, Mapping[str, Any]], Fields]] = {
    CLAUDE_PREFIX: _claude,
    CODEX_PREFIX: _codex,
    GEMINI_PREFIX: _gemini,
}
"""The per-tool mappings, by the prefix of their event names."""
