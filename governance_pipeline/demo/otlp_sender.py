"""An agent that keeps emitting GenAI spans and usage log events with the real OpenTelemetry SDK (OTLP/HTTP protobuf).

Spans go to ``<endpoint>`` (traces), log events to ``<endpoint>/v1/logs``, the way a coding agent such as
Claude Code reports each model call (body = the event name, tokens and model as attributes).
"""

from __future__ import annotations

import random
import time

from opentelemetry._logs import LogRecord
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

USERS = ["dana.lee@example.com", "li.wei@example.com", "omar.haddad@example.com", "sofia.rossi@example.org"]
MODELS = [("gpt-4o", "openai"), ("gpt-4o-mini", "openai"), ("claude-sonnet-4-5", "anthropic")]


class SpanSender:
    def __init__(self, endpoint: str, secret: str):
        headers = {"Authorization": f"Bearer {secret}"}
        self.provider = TracerProvider(
            resource=Resource.create({"service.name": "demo-support-agent", "governance.source_type": "demo_agents"})
        )
        exporter = OTLPSpanExporter(endpoint=endpoint, headers=headers, timeout=10)
        self.provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=1000))
        self.tracer = self.provider.get_tracer("governance_pipeline.demo")
        self.log_provider = LoggerProvider(
            resource=Resource.create({"service.name": "claude-code", "governance.source_type": "demo_agents"})
        )
        log_exporter = OTLPLogExporter(endpoint=f"{endpoint.rstrip('/')}/v1/logs", headers=headers, timeout=10)
        self.log_provider.add_log_record_processor(BatchLogRecordProcessor(log_exporter, schedule_delay_millis=1000))
        self.logger = self.log_provider.get_logger("com.anthropic.claude_code.events")

    def send_burst(self, n: int) -> None:
        """``n`` agent turns: an agent span with a model call and sometimes a tool call, and one coding-agent
        usage event; flushed at once."""
        for _ in range(n):
            user = random.choice(USERS)
            model, provider = random.choice(MODELS)
            with self.tracer.start_as_current_span(
                "invoke_agent", attributes={"user.email": user, "gen_ai.operation.name": "invoke_agent"}
            ):
                tin, tout = random.randint(200, 3000), random.randint(20, 800)
                with self.tracer.start_as_current_span(
                    f"chat {model}",
                    attributes={
                        "gen_ai.operation.name": "chat",
                        "gen_ai.request.model": model,
                        "gen_ai.provider.name": provider,
                        "gen_ai.usage.input_tokens": tin,
                        "gen_ai.usage.output_tokens": tout,
                        "user.email": user,
                    },
                ):
                    pass
                if random.random() < 0.4:
                    with self.tracer.start_as_current_span(
                        "execute_tool get_order_status",
                        attributes={"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_order_status"},
                    ):
                        pass
            self._usage_event(random.choice(USERS))
        self.provider.force_flush(10_000)
        self.log_provider.force_flush(10_000)

    def _usage_event(self, user: str) -> None:
        """One ``claude_code.api_request`` log event, shaped as Claude Code sends it (integers as strings)."""
        self.logger.emit(
            LogRecord(
                timestamp=time.time_ns(),
                body="claude_code.api_request",
                attributes={
                    "event.name": "api_request",
                    "user.email": user,
                    "session.id": f"demo-session-{random.randint(1, 5)}",
                    "model": "claude-sonnet-4-5",
                    "input_tokens": str(random.randint(500, 5000)),
                    "output_tokens": str(random.randint(20, 600)),
                    "duration_ms": str(random.randint(300, 4000)),
                },
            )
        )

    def shutdown(self) -> None:
        self.provider.shutdown()
        self.log_provider.shutdown()
