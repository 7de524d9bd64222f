"""Cost enrichment over a conformed batch (genai-prices is the price source)."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
import pytest
from genai_prices import Usage, calc_price

from governance_pipeline.enrich.cost import model_rates, price_missing
from governance_pipeline.lake.conform import conform
from governance_pipeline.lake.store import LakeStore
from governance_pipeline.lake.writer import LakeWriter


def batch(**cols) -> pa.Table:
    n = len(cols["source_event_id"])
    cols.setdefault("event_timestamp", ["2026-10-01T10:00:00Z"] * n)
    table = pa.table({k: pa.array(v, pa.int64() if k.startswith("tokens") else None) for k, v in cols.items()})
    return conform(table, "test", datetime.now(UTC))


def test_prices_missing_costs_only():
    t = batch(
        source_event_id=["a", "b", "c", "d", "e", "f"],
        model=["gpt-4o", "gpt-4o", None, "no-such-model-x", "gpt-4o-mini", "gpt-4o"],
        tokens_input=[1000, 1000, 5, 5, 2000, 0],
        tokens_output=[1000, 10, 5, 5, 100, 0],
        cost_usd=[None, 0.5, None, None, None, None],
    )
    priced, unpriced = price_missing(t)
    rows = priced.select(["cost_usd", "cost_source"]).to_pylist()
    assert rows[0] == {"cost_usd": pytest.approx(1000 * 2.5e-6 + 1000 * 10e-6), "cost_source": "computed"}
    assert rows[1] == {"cost_usd": 0.5, "cost_source": "given"}
    assert rows[2] == {"cost_usd": 0.0, "cost_source": "none"}  # no model
    assert rows[3] == {"cost_usd": 0.0, "cost_source": "none"}  # unknown model
    assert rows[4]["cost_usd"] == pytest.approx(2000 * 0.15e-6 + 100 * 0.6e-6)
    assert rows[5] == {"cost_usd": 0.0, "cost_source": "none"}  # no tokens
    assert unpriced == {"no-such-model-x": 1}
    assert priced.schema == t.schema


def test_tiered_prices_follow_the_library():
    t = batch(
        source_event_id=["a", "b"],
        model=["claude-sonnet-4-5"] * 2,
        tokens_input=[1000, 300_000],
        tokens_output=[10, 10],
    )
    priced, _ = price_missing(t)
    expected = [
        float(calc_price(Usage(input_tokens=i, output_tokens=10), "claude-sonnet-4-5").total_price)
        for i in (1000, 300_000)
    ]
    assert priced.column("cost_usd").to_pylist() == pytest.approx(expected)
    assert model_rates("claude-sonnet-4-5").tiered is not None


def test_provider_narrows_the_lookup_and_falls_back():
    assert model_rates("gpt-4o", "openai") == model_rates("gpt-4o")
    assert model_rates("gpt-4o", "not-a-provider") is not None


def test_writer_reports_unpriced_models(tmp_path):
    writer = LakeWriter(LakeStore(str(tmp_path)), "src", "test")
    table = pa.table(
        {
            "source_event_id": ["a", "b"],
            "event_timestamp": ["2026-10-01T00:00:00Z"] * 2,
            "model": ["mystery-1", "gpt-4o"],
            "tokens_input": pa.array([1, 1], pa.int64()),
        }
    )
    writer.write(table)
    stats = writer.commit()
    assert stats.unpriced_models == {"mystery-1": 1} and stats.new == 2
