"""Coding agents' log events, as Claude Code and the Codex CLI send them (docs/agents/), with the real
OpenTelemetry SDK log exporter (OTLP/HTTP protobuf)."""

from __future__ import annotations

import random
import time
import uuid
from typing import Any

from opentelemetry._logs import LogRecord
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource

DEVELOPERS = ["li.wei@example.com", "omar.haddad@example.com", "sofia.rossi@example.org"]
TOOLS = ["Bash", "Edit", "Read", "Grep"]


class AgentLogSender:
    """One logger provider per tool, as each CLI is its own process with its own resource."""

    def __init__(self, endpoint: str, secret: str):
        headers = {"Authorization": f"Bearer {secret}"}
        self.providers = []
        for resource in (
            {"service.name": "claude-code", "service.version": "2.1.328", "os.type": "linux"},
            {"service.name": "codex_exec", "service.version": "0.169.0", "env": "demo"},
        ):
            provider = LoggerProvider(resource=Resource.create(resource))
            exporter = OTLPLogExporter(endpoint=f"{endpoint}/v1/logs", headers=headers, timeout=10)
            provider.add_log_record_processor(BatchLogRecordProcessor(exporter, schedule_delay_millis=1000))
            self.providers.append(provider)
        self.claude = self.providers[0].get_logger("com.anthropic.claude_code.events")
        self.codex = self.providers[1].get_logger("codex_otel")

    def send_burst(self, n: int) -> None:
        """``n`` sessions of each tool: a prompt, a model call or two, a tool run; flushed at once."""
        for _ in range(n):
            self._claude_session(random.choice(DEVELOPERS))
            self._codex_session(random.choice(DEVELOPERS))
        for provider in self.providers:
            provider.force_flush(10_000)

    def _claude_session(self, user: str) -> None:
        common = {
            "user.id": uuid.uuid5(uuid.NAMESPACE_DNS, user).hex[:16],
            "user.email": user,
            "organization.id": "org-demo",
            "session.id": str(uuid.uuid4()),
            "terminal.type": "vscode",
        }

        def emit(event: str, **attrs: Any) -> None:
            self.claude.emit(
                LogRecord(
                    timestamp=time.time_ns(),
                    body=f"claude_code.{event}",
                    attributes={**common, "event.name": event, **attrs},
                )
            )

        prompt = str(uuid.uuid4())
        emit("user_prompt", **{"prompt.id": prompt, "prompt_length": "48", "prompt": "<REDACTED>"})
        for _ in range(random.randint(1, 2)):
            tin, cache_read, cache_write = random.randint(50, 800), random.randint(0, 20_000), random.randint(0, 3000)
            tout = random.randint(40, 900)
            cost = (tin * 3 + cache_read * 0.3 + cache_write * 3.75 + tout * 15) / 1e6
            emit(
                "api_request",
                **{
                    "prompt.id": prompt,
                    "model": "claude-sonnet-4-5",
                    "input_tokens": str(tin),
                    "output_tokens": str(tout),
                    "cache_read_tokens": str(cache_read),
                    "cache_creation_tokens": str(cache_write),
                    "cost_usd": round(cost, 6),
                    "duration_ms": str(random.randint(800, 9000)),
                },
            )
        emit(
            "tool_result",
            tool_name=random.choice(TOOLS),
            success="true",
            duration_ms=str(random.randint(5, 900)),
            decision="accept",
        )

    def _codex_session(self, user: str) -> None:
        common = {
            "conversation.id": str(uuid.uuid4()),
            "app.version": "0.169.0",
            "originator": "codex_exec",
            "model": "gpt-5-codex",
            "user.email": user,
            "user.account_id": user.split("@")[0],
        }

        def emit(event: str, **attrs: Any) -> None:
            self.codex.emit(LogRecord(timestamp=time.time_ns(), attributes={**common, "event.name": event, **attrs}))

        emit("codex.user_prompt", prompt_length="31", prompt="[REDACTED]")
        emit("codex.api_request", duration_ms="2100", **{"http.response.status_code": "200", "endpoint": "/responses"})
        for kind in ("response.created", "response.output_text.delta", "response.output_text.delta"):
            emit("codex.sse_event", **{"event.kind": kind, "duration_ms": "1"})
        tin = random.randint(2000, 30_000)
        emit(
            "codex.sse_event",
            **{
                "event.kind": "response.completed",
                "input_token_count": str(tin),
                "output_token_count": str(random.randint(100, 2000)),
                "cached_token_count": str(tin // 2),
                "reasoning_token_count": "64",
            },
        )
        emit("codex.tool_result", tool_name="shell", success="true", duration_ms="120")

    def shutdown(self) -> None:
        for provider in self.providers:
            provider.shutdown()
