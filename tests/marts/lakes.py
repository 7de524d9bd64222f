"""Test lakes built through the real ingestion path (``run_pull`` + ``local_ndjson``) or ``LakeWriter``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pyarrow as pa

from governance_pipeline.ingest import run_pull
from governance_pipeline.lake.store import LakeStore
from governance_pipeline.lake.writer import LakeWriter
from governance_pipeline.pull_types import Runtime
from governance_pipeline.sources_file import parse_sources

NDJSON_MAPPING = {
    "source_event_id": "$.id",
    "event_timestamp": "$.created_at",
    "actor": "$.user.email",
    "action": "$.event_type",
    "target": "$.model",
    "model": "$.model",
    "provider": "$.provider",
    "cost_usd": "$.usage.cost",
    "tokens_input": "$.usage.input_tokens",
    "tokens_output": "$.usage.output_tokens",
    "status": "$.status",
    "error_type": "$.error",
    "duration_ms": "$.latency_ms",
}

DAY0 = datetime(2026, 10, 1, tzinfo=UTC)


def ndjson_records(days: int = 3, per_day: int = 6) -> list[dict]:
    """Varied audit/LLM records over ``days`` days: models or none, errors, latencies, odd actors."""
    users = ["dana.lee@example.com", "omar.haddad@example.com", "svc-bot", None, 'o\'brien "quoted" <x>']
    models = ["gpt-4o", "claude-sonnet-4-5", None]
    actions = ["chat.completion", "api_key.created", "conversation.deleted", "file.viewed", "settings.updated"]
    out = []
    for d in range(days):
        for i in range(per_day):
            n = d * per_day + i
            rec = {
                "id": f"evt_{n:04d}",
                "created_at": (DAY0 + timedelta(days=d, minutes=13 * i)).isoformat().replace("+00:00", "Z"),
                "event_type": actions[n % len(actions)],
                "user": {"email": users[n % len(users)]},
                "usage": {"input_tokens": 100 + n, "output_tokens": 10 * n},
            }
            model = models[n % len(models)]
            if model:
                rec["model"] = model
                rec["provider"] = "openai" if model.startswith("gpt") else "anthropic"
            if n % 4:
                rec["usage"]["cost"] = round(0.001 * (n + 1), 6)
            if n % 7 == 3:
                rec["status"], rec["error"] = "error", "rate_limited"
            elif n % 2:
                rec["status"] = "ok"
            if n % 3 == 0:
                rec["latency_ms"] = 50.0 + n
            out.append(rec)
    return out


def pull_ndjson(
    lake: str, folder: Path, records: list[dict], source_id: str = "acme_ndjson", start: str = "2026-10-01"
) -> object:
    """Write ``records`` as an NDJSON file in ``folder`` and run one real incremental pull into ``lake``."""
    folder.mkdir(parents=True, exist_ok=True)
    name = f"batch_{len(list(folder.glob('*.ndjson'))):03d}.ndjson"
    (folder / name).write_bytes(b"\n".join(orjson.dumps(r) for r in records) + b"\n")
    text = orjson.dumps(
        {
            "sources": [
                {
                    "id": source_id,
                    "type": "local_ndjson",
                    "startDate": start,
                    "config": {"path": str(folder), "eventMapping": NDJSON_MAPPING},
                }
            ]
        }
    ).decode()
    source = parse_sources(text, "sources.yaml").source(source_id)
    # cursor None re-reads every file: the writer's exactly-once dedup keeps earlier events single
    return run_pull(source, Runtime(credentials=lambda ref: {}, lake_root=lake), cursor=None)


def span_rows(n: int = 8, day: datetime = DAY0) -> pa.Table:
    """OTLP-like spans: trace/span ids, durations, tool calls, a failing span."""
    rows = []
    for i in range(n):
        rows.append(
            {
                "source_event_id": f"{i:016x}",
                "event_timestamp": day + timedelta(hours=1, seconds=i),
                "actor": "alice@example.com" if i % 2 else "bob",
                "action": "chat" if i % 3 else "execute_tool",
                "target": "gpt-4o-mini" if i % 3 else "web_search",
                "model": "gpt-4o-mini" if i % 3 else None,
                "provider": "openai" if i % 3 else None,
                "tool_name": None if i % 3 else "web_search",
                "cost_usd": 0.002 * i,
                "cost_source": "computed" if i % 2 else "given",
                "tokens_input": 200 + i,
                "tokens_output": 20 + i,
                "status": "error" if i == 5 else "ok",
                "error_type": "timeout" if i == 5 else None,
                "duration_ms": 120.5 + i,
                "conversation_id": "conv_1",
                "trace_id": "5b8efff798038103d269b633813fc60c",
                "span_id": f"{i + 1:016x}",
                "parent_span_id": None if i == 0 else f"{1:016x}",
                "raw_payload": "{}",
            }
        )
    return pa.Table.from_pylist(rows)


def write_rows(lake: str, table: pa.Table, source_id: str = "otel_app", source_type: str = "otel_generic") -> None:
    writer = LakeWriter(LakeStore(lake), source_id, source_type)
    writer.write(table)
    writer.commit()


def lake_totals(lake: str, dates: list[str] | None = None) -> tuple:
    import duckdb

    from governance_pipeline.marts.lake_scan import register_lake

    con = duckdb.connect()
    register_lake(con, lake, dates)
    return con.execute(
        "SELECT count(*), sum(tokens_input), sum(tokens_output), round(sum(cost_usd), 9) FROM lake_events"
    ).fetchone()
