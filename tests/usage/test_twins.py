"""One call described twice side by side: the ``anthropic`` SDK's own span (scope ``com.anthropic.sdk.python``) and
Traceloop's ``opentelemetry-instrumentation-anthropic`` span (scope ``opentelemetry.instrumentation.anthropic``),
each a root span in its own trace, same model and usage, starts within 2 ms. One counts, the other is its
duplicate; separate identical calls a second apart both count."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb

from governance_pipeline.lake.store import LakeStore
from governance_pipeline.lake.writer import LakeWriter
from governance_pipeline.marts.build import build_marts
from governance_pipeline.marts.usage import TWIN_WINDOW_MS
from tests.usage.helpers import kpi_totals, pull
from tests.usage.otel import Recorder, send

T0 = 1_790_000_000_000_000_000  # ns
IN, OUT = 2234, 187


def anthropic_call(rec: Recorder, start_ns: int, sdk: bool = True, traceloop: bool = True) -> None:
    end_ns = start_ns + 900_000_000
    if sdk:
        span = rec.tracer("com.anthropic.sdk.python", "0.75.0").start_span(
            "anthropic.messages.create", start_time=start_ns
        )
        span.set_attributes(
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": "anthropic",
                "gen_ai.request.model": "claude-sonnet-4-5",
                "gen_ai.response.model": "claude-sonnet-4-5-20250929",
                "gen_ai.usage.input_tokens": IN,
                "gen_ai.usage.output_tokens": OUT,
            }
        )
        span.end(end_time=end_ns)
    if traceloop:
        span = rec.tracer("opentelemetry.instrumentation.anthropic", "0.47.3").start_span(
            "anthropic.chat", start_time=start_ns + 1_300_000
        )
        span.set_attributes(
            {
                "llm.request.type": "chat",
                "gen_ai.system": "Anthropic",
                "gen_ai.request.model": "claude-sonnet-4-5",
                "gen_ai.response.model": "claude-sonnet-4-5-20250929",
                "gen_ai.usage.input_tokens": IN,
                "gen_ai.usage.output_tokens": OUT,
                "llm.usage.total_tokens": IN + OUT,
            }
        )
        span.end(end_time=end_ns + 1_000_000)


def _roles(db) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "SELECT ocsf_json->>'$.unmapped.usage_role', count(*) FROM governance_ocsf_events GROUP BY 1 ORDER BY 1"
        ).fetchall()


def test_two_instrumentations_of_one_call_count_once(receiver, sources_file, lake, tmp_path):
    url, _ = receiver
    rec = Recorder({"service.name": "claims-bot", "service.instance.id": "pod-7"})
    anthropic_call(rec, T0)
    anthropic_call(rec, T0 + 5_000_000_000)
    spans = rec.spans()
    assert len({s.context.trace_id for s in spans}) == 4  # every span a root of its own trace
    send(url, spans)
    pull(sources_file, lake)
    db = tmp_path / "g.duckdb"
    assert kpi_totals(db, lake) == (4, 2 * IN, 2 * OUT)
    assert _roles(db) == [("call", 2), ("duplicate", 2)]


def test_separate_identical_calls_a_second_apart_both_count(receiver, sources_file, lake, tmp_path):
    url, _ = receiver
    rec = Recorder({"service.name": "claims-bot", "service.instance.id": "pod-7"})
    anthropic_call(rec, T0)  # described twice
    anthropic_call(rec, T0 + 1_000_000_000, traceloop=False)  # only the SDK saw it
    anthropic_call(rec, T0 + 2_000_000_000, sdk=False)  # only Traceloop saw it
    send(url, rec.spans())
    pull(sources_file, lake)
    assert kpi_totals(tmp_path / "g.duckdb", lake) == (4, 3 * IN, 3 * OUT)


def test_the_same_call_on_two_service_instances_counts_twice(receiver, sources_file, lake, tmp_path):
    url, _ = receiver
    for pod in ("pod-7", "pod-8"):
        rec = Recorder({"service.name": "claims-bot", "service.instance.id": pod})
        anthropic_call(rec, T0, traceloop=pod == "pod-7")
        send(url, rec.spans())
    pull(sources_file, lake)
    assert kpi_totals(tmp_path / "g.duckdb", lake) == (3, 2 * IN, 2 * OUT)


def _log_event(event_id: str, name: str, at_us: int) -> dict:
    return {
        "source_event_id": event_id,
        "event_timestamp": datetime.fromtimestamp(at_us / 1e6, UTC),
        "action": name,
        "model": "gemini-2.5-pro",
        "target": "gemini-2.5-pro",
        "provider": "gcp.gemini",
        "tokens_input": 5120,
        "tokens_output": 233,
        "raw_payload": f'{{"eventName": "{name}", "resource": {{"attributes": {{"service.name": "gemini-cli"}}}}}}',
    }


def test_gemini_cli_describes_each_call_as_two_log_events(lake, tmp_path):
    """``gemini_cli.api_response`` and ``gen_ai.client.inference.operation.details`` of one call: one counts."""
    t = T0 // 1000
    rows = [
        _log_event("a1", "gemini_cli.api_response", t),
        _log_event("a2", "gen_ai.client.inference.operation.details", t + 400),
        _log_event("b1", "gemini_cli.api_response", t + 3_000_000),
        _log_event("b2", "gen_ai.client.inference.operation.details", t + 3_000_000 + TWIN_WINDOW_MS * 1000),
        _log_event("c1", "gemini_cli.api_response", t + 9_000_000),  # its twin came 2 windows later: not a twin
        _log_event("c2", "gen_ai.client.inference.operation.details", t + 9_000_000 + 2 * TWIN_WINDOW_MS * 1000),
    ]
    import pyarrow as pa

    writer = LakeWriter(LakeStore(lake), "gemini_logs", "otel_generic")
    writer.write(pa.Table.from_pylist(rows))
    writer.commit()
    db = tmp_path / "g.duckdb"
    build_marts(db, lake)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT sum(event_count), sum(tokens_input) FROM governance_kpis").fetchone() == (
            6,
            4 * 5120,
        )


def test_an_instrumentation_wrapping_another_counts_the_inner_call(receiver, sources_file, lake, tmp_path):
    """When Traceloop's span is current while the SDK starts its own, the SDK's span is its child: both declare
    a model call, the inner one counts and the wrapper is a roll-up."""
    url, _ = receiver
    rec = Recorder({"service.name": "claims-bot"})
    outer_tracer = rec.tracer("opentelemetry.instrumentation.anthropic", "0.47.3")
    inner_tracer = rec.tracer("com.anthropic.sdk.python", "0.75.0")
    usage = {"gen_ai.request.model": "claude-sonnet-4-5", "gen_ai.usage.input_tokens": IN}
    with outer_tracer.start_as_current_span("anthropic.chat") as outer:
        outer.set_attributes({"llm.request.type": "chat", "gen_ai.system": "Anthropic", **usage})
        with inner_tracer.start_as_current_span("anthropic.messages.create") as inner:
            inner.set_attributes({"gen_ai.operation.name": "chat", "gen_ai.provider.name": "anthropic", **usage})
    send(url, rec.spans())
    pull(sources_file, lake)
    db = tmp_path / "g.duckdb"
    assert kpi_totals(db, lake) == (2, IN, 0)
    assert _roles(db) == [("call", 1), ("rollup", 1)]
