"""Coding agents' log records -> normalized fields (otlp/agents.py), with records shaped as the CLIs send them
(docs/agents/*.md: Claude Code 2.1.x, Codex CLI 0.169, Gemini CLI 0.61)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from governance_pipeline.otlp.agents import agent_fields

T_NS = 1_790_846_102_123_456_789
CLAUDE_RESOURCE = {
    "service.name": "claude-code",
    "service.version": "2.1.328",
    "host.arch": "arm64",
    "os.type": "darwin",
}
CLAUDE_COMMON = {
    "user.id": "5f0c1d0e9a",
    "session.id": "7d1c6b1e-3c1f-4c45-9b3e-2c1a0d9e8f70",
    "terminal.type": "vscode",
    "event.timestamp": "2026-10-01T10:15:02.123Z",
    "event.sequence": "4",
    "anthropic.provider": "firstParty",
}
SIGNED_IN = {"user.email": "li.wei@example.com", "user.account_uuid": "acc-1", "organization.id": "org-9"}


def claude(event: str, signed_in: bool = True, **attrs):
    merged = {**CLAUDE_RESOURCE, **CLAUDE_COMMON, **(SIGNED_IN if signed_in else {}), "event.name": event, **attrs}
    return agent_fields(merged, f"claude_code.{event}", T_NS)


def test_claude_code_api_request_is_one_priced_call():
    f = claude(
        "api_request",
        **{
            "prompt.id": "p-1",
            "model": "claude-sonnet-4-5",
            "input_tokens": "1234",
            "output_tokens": "56",
            "cache_read_tokens": "700",
            "cache_creation_tokens": "300",
            "cache_creation_5m_tokens": "200",
            "cache_creation_1h_tokens": "100",
            "cost_usd": 0.005877,
            "cost_usd_micros": "5877",
            "duration_ms": "1830",
            "ttft_ms": "612",
        },
    )
    assert f == {
        "event_type": "api.call",
        "action": "api_request",
        "actor": "li.wei@example.com",
        "conversation_id": CLAUDE_COMMON["session.id"],
        "organization_id": "org-9",
        "duration_ms": 1830.0,
        "status": "ok",
        "model": "claude-sonnet-4-5",
        "target": "claude-sonnet-4-5",
        "provider": "anthropic",
        "tokens_input": 1234 + 700 + 300,  # Anthropic counts the cache apart; the lake's input includes it
        "tokens_output": 56,
        "tokens_cache_read": 700,
        "tokens_cache_write": 300,
        "tokens_cache_write_1h": 100,
        "cost_usd": 0.005877,
        "event_timestamp": T_NS // 1000,
    }


def test_claude_code_without_sign_in_uses_the_user_id_and_the_event_timestamp():
    merged = {
        **CLAUDE_RESOURCE,
        **CLAUDE_COMMON,
        "event.name": "api_request",
        "model": "claude-haiku-4-5",
        "input_tokens": "10",
        "output_tokens": "2",
        "cost_usd": 0.0001,
    }
    f = agent_fields(merged, "claude_code.api_request", 0)
    assert f["actor"] == "5f0c1d0e9a" and "organization_id" not in f
    assert f["event_timestamp"] == int(datetime(2026, 10, 1, 10, 15, 2, 123000, tzinfo=UTC).timestamp() * 1_000_000)
    assert f["tokens_input"] == 10 and "tokens_cache_read" not in f


@pytest.mark.parametrize(
    "event, attrs, expected",
    [
        (
            "tool_result",
            {"tool_name": "Bash", "success": "true", "duration_ms": "85", "decision": "accept"},
            {
                "event_type": "tool.invocation",
                "tool_name": "Bash",
                "target": "Bash",
                "status": "ok",
                "duration_ms": 85.0,
            },
        ),
        (
            "tool_result",
            {"tool_name": "Edit", "success": "false", "error": "no such file"},
            {"event_type": "tool.invocation", "tool_name": "Edit", "status": "error"},
        ),
        (
            "tool_decision",
            {"tool_name": "Write", "decision": "reject", "source": "user_reject"},
            {"event_type": "tool.invocation", "tool_name": "Write", "status": "unset"},
        ),
        (
            "user_prompt",
            {"prompt.id": "p-1", "prompt_length": "42", "prompt": "<REDACTED>"},
            {"event_type": "agent.action", "action": "user_prompt"},
        ),
        (
            "assistant_response",
            {"response_length": "10", "response": "<REDACTED>", "model": "claude-sonnet-4-5"},
            {"event_type": "agent.action", "action": "assistant_response"},
        ),
        (
            "api_error",
            {"model": "claude-sonnet-4-5", "error": "overloaded", "status_code": "529", "attempt": "2"},
            {"event_type": "agent.action", "status": "error", "error_type": "529", "target": "claude-sonnet-4-5"},
        ),
        (
            "managed_settings_resolved",
            {"managed_settings.trigger": "startup"},
            {"event_type": "agent.action", "action": "managed_settings_resolved"},
        ),
        (
            "plugin_loaded",
            {"plugin.name": "review", "marketplace.name": "acme"},
            {"event_type": "agent.action", "action": "plugin_loaded"},
        ),
    ],
)
def test_claude_code_other_events(event, attrs, expected):
    f = claude(event, **attrs)
    assert {k: f.get(k) for k in expected} == expected
    assert "tokens_input" not in f and "cost_usd" not in f and "model" not in f


CODEX = {
    "service.name": "codex_exec",
    "service.version": "0.169.0",
    "env": "prod",
    "telemetry.sdk.language": "rust",
    "conversation.id": "0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
    "app.version": "0.169.0",
    "originator": "codex_exec",
    "terminal.type": "xterm",
    "model": "gpt-5-codex",
    "event.timestamp": "2026-10-01T10:15:02.123Z",
    "user.email": "sofia.rossi@example.org",
    "user.account_id": "acct-7",
}


def codex(event: str, **attrs):
    return agent_fields({**CODEX, "event.name": f"codex.{event}", **attrs}, None, T_NS)


def test_codex_one_model_call_is_one_api_call_with_openais_counts():
    stream = [
        codex(
            "api_request",
            **{"duration_ms": "2140", "http.response.status_code": "200", "attempt": "1", "endpoint": "/responses"},
        ),
        codex("sse_event", **{"event.kind": "response.created", "duration_ms": "3"}),
        *[codex("sse_event", **{"event.kind": "response.output_text.delta", "duration_ms": "1"}) for _ in range(5)],
        codex(
            "sse_event",
            **{
                "event.kind": "response.completed",
                "input_token_count": "1500",
                "output_token_count": "80",
                "cached_token_count": "1000",
                "cache_write_token_count": "0",
                "reasoning_token_count": "20",
                "tool_token_count": "0",
                "ttft_ms": "410",
            },
        ),
        codex("sse_event", **{"event.kind": "response.completed"}),  # the second one carries no counts
    ]
    calls = [f for f in stream if f["event_type"] == "api.call"]
    assert len(calls) == 1
    (call,) = calls
    assert {k: call[k] for k in ("actor", "conversation_id", "model", "target", "provider", "status")} == {
        "actor": "sofia.rossi@example.org",
        "conversation_id": CODEX["conversation.id"],
        "model": "gpt-5-codex",
        "target": "gpt-5-codex",
        "provider": "openai",
        "status": "ok",
    }
    # OpenAI's input already includes the cached tokens and the output the reasoning: nothing added twice
    assert (call["tokens_input"], call["tokens_output"], call["tokens_cache_read"], call["tokens_reasoning"]) == (
        1500,
        80,
        1000,
        20,
    )
    others = [f for f in stream if f is not call]
    assert all(f["event_type"] == "agent.action" and "tokens_input" not in f and "model" not in f for f in others)
    assert stream[0]["status"] == "ok" and stream[0]["target"] == "/responses" and stream[0]["duration_ms"] == 2140.0
    assert (stream[1]["action"], stream[1]["target"]) == ("codex.sse_event", "response.created")
    assert call["action"] == "codex.sse_event"


def test_codex_tools_errors_and_anonymous_use():
    tool = codex("tool_result", tool_name="shell", call_id="c1", success="true", duration_ms="40")
    assert (tool["event_type"], tool["tool_name"], tool["status"]) == ("tool.invocation", "shell", "ok")
    decision = codex("tool_decision", tool_name="apply_patch", decision="approved", source="config")
    assert decision["event_type"] == "tool.invocation" and decision["status"] == "unset"
    failed = codex("api_request", **{"http.response.status_code": "429", "endpoint": "/responses"})
    assert (failed["status"], failed["error_type"]) == ("error", "429")
    anon = agent_fields(
        {k: v for k, v in CODEX.items() if not k.startswith("user.")}
        | {"event.name": "codex.user_prompt", "prompt_length": "9", "prompt": "[REDACTED]"},
        None,
        T_NS,
    )
    assert "actor" not in anon and anon["event_type"] == "agent.action"


GEMINI = {
    "service.name": "gemini-cli",
    "session.id": "b3c1f0de-1",
    "installation.id": "inst-42",
    "interactive": False,
    "auth_type": "gemini-api-key",
    "event.timestamp": "2026-10-01T10:15:02.123Z",
}


def gemini(event: str, **attrs):
    name = event if event.startswith("gen_ai.") else f"gemini_cli.{event}"
    return agent_fields({**GEMINI, "event.name": name, **attrs}, "API response from gemini-2.5-flash.", T_NS)


def test_gemini_api_response_is_one_call_and_the_genai_event_adds_nothing():
    resp = gemini(
        "api_response",
        model="gemini-2.5-flash",
        prompt_id="x#1",
        duration_ms=56,
        status_code=200,
        input_token_count=2100,
        output_token_count=64,
        cached_content_token_count=1024,
        thoughts_token_count=50,
        tool_token_count=0,
        total_token_count=2214,
        finish_reasons=["STOP"],
        response_text="hello",
    )
    assert resp["event_type"] == "api.call" and resp["model"] == "gemini-2.5-flash" and resp["provider"] == "google"
    # Gemini leaves the thoughts out of the output count: the lake's output includes them
    assert (resp["tokens_input"], resp["tokens_output"], resp["tokens_cache_read"], resp["tokens_reasoning"]) == (
        2100,
        114,
        1024,
        50,
    )
    assert resp["actor"] == "inst-42" and resp["conversation_id"] == "b3c1f0de-1"
    details = gemini(
        "gen_ai.client.inference.operation.details",
        **{
            "gen_ai.operation.name": "generate_content",
            "gen_ai.provider.name": "gcp.gen_ai",
            "gen_ai.request.model": "gemini-2.5-flash",
            "gen_ai.usage.input_tokens": 2100,
            "gen_ai.usage.output_tokens": 64,
        },
    )
    assert details["event_type"] == "agent.action" and "tokens_input" not in details and "model" not in details
    signed_in = gemini(
        "tool_call",
        **{
            "user.email": "ana@example.com",
            "function_name": "read_file",
            "success": True,
            "decision": "auto_accept",
            "duration_ms": 3,
        },
    )
    assert (signed_in["actor"], signed_in["tool_name"], signed_in["status"]) == ("ana@example.com", "read_file", "ok")
    err = gemini(
        "api_error",
        model="gemini-2.5-pro",
        error="quota",
        error_type="RESOURCE_EXHAUSTED",
        status_code=429,
    )
    assert (
        err["status"] == "error" and err["error_type"] == "RESOURCE_EXHAUSTED" and err["event_type"] == "agent.action"
    )


def test_other_records_are_left_to_the_generic_mapping():
    assert agent_fields({"service.name": "my-app", "event.name": "checkout"}, "hello", T_NS) is None
    assert agent_fields({"gen_ai.request.model": "gpt-4o"}, None, T_NS) is None
