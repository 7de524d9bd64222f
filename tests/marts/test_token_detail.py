"""Cache and reasoning tokens, unpriced usage and redacted content in the KPIs, the report and OCSF."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from governance_pipeline.lake import paths
from governance_pipeline.lake.conform import conform
from governance_pipeline.lake.schema import ADDED_COLUMNS, EVENT_SCHEMA
from governance_pipeline.marts.build import build_marts
from governance_pipeline.marts.report_data import report_data
from tests.marts.lakes import DAY0, write_rows
from tests.marts.test_build import assert_all_valid, ocsf_events, ro


def _rows() -> pa.Table:
    at = DAY0.replace(hour=9)
    rows = [
        {  # a Claude Code call: cost given, cache detail
            "source_event_id": "c1",
            "event_timestamp": at,
            "actor": "li.wei@example.com",
            "model": "claude-sonnet-4-5",
            "provider": "anthropic",
            "tokens_input": 2234,
            "tokens_output": 56,
            "tokens_cache_read": 700,
            "tokens_cache_write": 300,
            "tokens_cache_write_1h": 100,
            "cost_usd": 0.005877,
            "raw_payload": orjson.dumps({"attributes": {"prompt": "fix it"}}).decode(),
        },
        {  # a Codex call: priced from tokens, reasoning detail
            "source_event_id": "x1",
            "event_timestamp": at,
            "actor": "bo@example.com",
            "model": "gpt-4o",
            "provider": "openai",
            "tokens_input": 1500,
            "tokens_output": 80,
            "tokens_cache_read": 1000,
            "tokens_reasoning": 20,
            "raw_payload": "{}",
        },
        {  # a private model nobody has a price for
            "source_event_id": "p1",
            "event_timestamp": at,
            "actor": "bo@example.com",
            "model": "acme-private-7b",
            "tokens_input": 400,
            "tokens_output": 100,
            "raw_payload": "{}",
        },
    ]
    names = {k for r in rows for k in r}
    return pa.Table.from_pylist(rows, schema=pa.schema([f for f in EVENT_SCHEMA if f.name in names]))


def _old_file(lake: str) -> None:
    """A file from before the added columns, beside the new ones."""
    t = pa.table({"source_event_id": ["old"], "event_timestamp": [DAY0.replace(hour=8)], "tokens_input": [5]})
    t = conform(
        t.cast(
            pa.schema(
                [
                    ("source_event_id", pa.string()),
                    ("event_timestamp", pa.timestamp("us", tz="UTC")),
                    ("tokens_input", pa.int64()),
                ]
            )
        ),
        "old",
        datetime.now(UTC),
    )
    old = t.select([f.name for f in EVENT_SCHEMA if f.name not in ADDED_COLUMNS])
    path = f"{lake}/{paths.partition_dir('agents', '2026-10-01')}/part-old-0001.parquet"
    import os

    os.makedirs(os.path.dirname(path), exist_ok=True)
    pq.write_table(old, path)


def test_kpis_report_and_ocsf_carry_token_detail_unpriced_and_redacted(tmp_path):
    lake = str(tmp_path / "lake")
    _old_file(lake)
    write_rows(lake, _rows(), source_id="agents", source_type="otel_generic")
    db = tmp_path / "g.duckdb"
    build_marts(db, lake)
    with ro(db) as con:
        got = con.execute(
            """SELECT sum(event_count), sum(tokens_input), sum(tokens_cache_read), sum(tokens_cache_write),
                      sum(tokens_reasoning), sum(unpriced_event_count), sum(unpriced_tokens), sum(redacted_event_count)
               FROM governance_kpis"""
        ).fetchone()
        assert got == (4, 2234 + 1500 + 400 + 5, 1700, 300, 20, 1, 500, 1)
        for table in ("governance_source_daily", "governance_spend_daily"):
            assert con.execute(f"SELECT sum(tokens_cache_read), sum(unpriced_tokens) FROM {table}").fetchone() == (
                1700,
                500,
            )
        assert con.execute(
            "SELECT unpriced_event_count FROM governance_top_models WHERE model = 'acme-private-7b'"
        ).fetchone() == (1,)
        data = report_data(con, datetime.now(UTC))
    assert (data.totals["unpriced_events"], data.totals["unpriced_tokens"], data.totals["redacted_events"]) == (
        1,
        500,
        1,
    )
    assert data.unpriced == [("agents", "acme-private-7b", 1, 500)]
    events = ocsf_events(db)
    assert events["c1"]["message_context"]["prompt_tokens"] == 2234
    assert {
        k: events["c1"]["unmapped"].get(k)
        for k in ("tokens_cache_read", "tokens_cache_write_1h", "content_redacted", "cost_source")
    } == {
        "tokens_cache_read": 700,
        "tokens_cache_write_1h": 100,
        "content_redacted": ["attributes.prompt"],
        "cost_source": "given",
    }
    assert events["x1"]["unmapped"]["tokens_reasoning"] == 20 and events["x1"]["unmapped"]["cost_source"] == "computed"
    assert events["p1"]["unmapped"]["cost_source"] == "unpriced"
    assert "tokens_cache_read" not in events["old"]["unmapped"]
    assert assert_all_valid(db) == 4


def test_an_older_marts_file_gets_the_new_measures(tmp_path):
    lake = str(tmp_path / "lake")
    write_rows(lake, _rows(), source_id="agents", source_type="otel_generic")
    db = tmp_path / "g.duckdb"
    with duckdb.connect(str(db)) as con:  # the KPI table as an earlier build made it
        con.execute("""CREATE TABLE governance_kpis (
            date DATE NOT NULL, source_id VARCHAR NOT NULL, actor VARCHAR, target VARCHAR, source_type VARCHAR,
            event_count BIGINT, tokens_input BIGINT, tokens_output BIGINT, cost_usd DOUBLE,
            cost_given_usd DOUBLE, cost_computed_usd DOUBLE, error_count BIGINT, events_with_duration BIGINT,
            first_event_at TIMESTAMPTZ, last_event_at TIMESTAMPTZ, distinct_actors_day_source BIGINT,
            built_at TIMESTAMPTZ)""")
    build_marts(db, lake)
    with ro(db) as con:
        assert con.execute("SELECT sum(tokens_cache_read) FROM governance_kpis").fetchone() == (1700,)
