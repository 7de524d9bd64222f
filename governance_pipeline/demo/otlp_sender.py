"""An agent that keeps emitting GenAI spans with the real OpenTelemetry SDK (OTLP/HTTP protobuf)."""

from __future__ import annotations

import random

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

USERS = ["dana.lee@example.com", "li.wei@example.com", "omar.haddad@example.com", "sofia.rossi@example.org"]
MODELS = [("gpt-4o", "openai"), ("gpt-4o-mini", "openai"), ("claude-sonnet-4-5", "anthropic")]


class SpanSender:
    def __init__(self, endpoint: str, secret: str):
        self.provider = TracerProvider(
            resource=Resource.create({"service.name": "demo-support-agent", "governance.source_type": "demo_agents"})
        )
        exporter = OTLPSpanExporter(endpoint=endpoint, headers={"Authorization": f"Bearer {secret}"}, timeout=10)
        self.provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=1000))
        self.tracer = self.provider.get_tracer("governance_pipeline.demo")

    def send_burst(self, n: int) -> None:
        """``n`` agent turns: an agent span with a model call and sometimes a tool call; flushed at once."""
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
        self.provider.force_flush(10_000)

    def shutdown(self) -> None:
        self.provider.shutdown()
