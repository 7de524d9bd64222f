"""Cost enrichment over a conformed batch: genai-prices' bundled data and the sources file's overrides."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pyarrow as pa
import pytest
from genai_prices import Usage, calc_price
from genai_prices.data_snapshot import DataSnapshot, set_custom_snapshot

from governance_pipeline.config.errors import ConfigError
from governance_pipeline.config.models import PriceOverride
from governance_pipeline.enrich.cost import NO_MODEL, PriceBook, library_model, price_data_version, price_missing
from governance_pipeline.lake.conform import conform
from governance_pipeline.lake.store import LakeStore
from governance_pipeline.lake.writer import LakeWriter
from governance_pipeline.sources_file import parse_sources


def batch(**cols) -> pa.Table:
    n = len(cols["source_event_id"])
    cols.setdefault("event_timestamp", ["2026-10-01T10:00:00Z"] * n)
    table = pa.table({k: pa.array(v, pa.int64() if k.startswith("tokens") else None) for k, v in cols.items()})
    return conform(table, "test", datetime.now(UTC))


def lib(model: str, at: str = "2026-10-01T10:00:00+00:00", provider: str | None = None, **usage) -> float:
    return float(
        calc_price(
            Usage(**usage), model, provider_id=provider, genai_request_timestamp=datetime.fromisoformat(at)
        ).total_price
    )


def test_prices_missing_costs_only_and_marks_what_it_cannot_price():
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
    assert rows[2] == {"cost_usd": 0.0, "cost_source": "unpriced"}  # tokens but no model
    assert rows[3] == {"cost_usd": 0.0, "cost_source": "unpriced"}  # unknown model: never a silent 0
    assert rows[4]["cost_usd"] == pytest.approx(2000 * 0.15e-6 + 100 * 0.6e-6)
    assert rows[5] == {"cost_usd": 0.0, "cost_source": "none"}  # no tokens: nothing to price
    assert unpriced == {"no-such-model-x": 1, NO_MODEL: 1}
    assert priced.schema == t.schema


def test_cache_reads_and_writes_have_their_own_rates():
    # claude-sonnet-4-6 after 2026-03-13: $3 input, $0.30 cache read, $3.75 5-minute write, $6 1-hour write, $15 out
    t = batch(
        source_event_id=["a", "b"],
        model=["claude-sonnet-4-6"] * 2,
        tokens_input=[10_000, 10_000],  # every input token, the cached ones included
        tokens_cache_read=[6000, None],
        tokens_cache_write=[3000, None],
        tokens_cache_write_1h=[1000, None],
        tokens_output=[500, 500],
    )
    got = price_missing(t)[0].column("cost_usd").to_pylist()
    expected = 1000 * 3e-6 + 6000 * 0.3e-6 + 2000 * 3.75e-6 + 1000 * 6e-6 + 500 * 15e-6
    assert got[0] == pytest.approx(expected)
    assert got[0] == pytest.approx(
        lib(
            "claude-sonnet-4-6",
            input_tokens=10_000,
            cache_read_tokens=6000,
            cache_write_tokens=3000,
            cache_write_1h_tokens=1000,
            output_tokens=500,
        )
    )
    assert got[1] == pytest.approx(10_000 * 3e-6 + 500 * 15e-6)


def test_tiered_prices_follow_the_library_with_cache_detail():
    t = batch(
        source_event_id=["a", "b", "c"],
        model=["claude-sonnet-4-5"] * 3,
        tokens_input=[1000, 300_000, 300_000],
        tokens_cache_read=[None, None, 250_000],
        tokens_output=[10, 10, 10],
    )
    got = price_missing(t)[0].column("cost_usd").to_pylist()
    assert got == pytest.approx(
        [
            lib("claude-sonnet-4-5", input_tokens=1000, output_tokens=10),
            lib("claude-sonnet-4-5", input_tokens=300_000, output_tokens=10),
            lib("claude-sonnet-4-5", input_tokens=300_000, cache_read_tokens=250_000, output_tokens=10),
        ]
    )
    assert got[2] < got[1]


def test_reasoning_tokens_at_their_own_rate_and_counted_once():
    # perplexity's sonar-deep-research: $8 per million output tokens, $3 per million reasoning tokens
    t = batch(
        source_event_id=["a", "b"],
        model=["sonar-deep-research"] * 2,
        provider=["perplexity"] * 2,
        tokens_input=[100, 100],
        tokens_output=[1000, 1000],  # the reasoning tokens are part of the output
        tokens_reasoning=[400, None],
    )
    got = price_missing(t)[0].column("cost_usd").to_pylist()
    assert got[0] == pytest.approx(100 * 2e-6 + 600 * 8e-6 + 400 * 3e-6)
    assert got[1] == pytest.approx(100 * 2e-6 + 1000 * 8e-6)
    # a model without a reasoning rate bills reasoning as output: the detail changes nothing, nothing twice
    o = batch(source_event_id=["c"], model=["gpt-4o"], tokens_input=[0], tokens_output=[1000], tokens_reasoning=[400])
    assert price_missing(o)[0].column("cost_usd").to_pylist() == pytest.approx([1000 * 10e-6])


def test_the_price_in_force_at_the_events_time():
    # claude-sonnet-4-6's long-context surcharge ended on 2026-03-13: a backfill of January pays January's price
    t = batch(
        source_event_id=["jan", "jun"],
        event_timestamp=["2026-01-15T10:00:00Z", "2026-06-15T10:00:00Z"],
        model=["claude-sonnet-4-6"] * 2,
        tokens_input=[300_000, 300_000],
        tokens_output=[1000, 1000],
    )
    got = price_missing(t)[0].column("cost_usd").to_pylist()
    assert got == pytest.approx(
        [
            lib("claude-sonnet-4-6", "2026-01-15T10:00:00+00:00", input_tokens=300_000, output_tokens=1000),
            lib("claude-sonnet-4-6", "2026-06-15T10:00:00+00:00", input_tokens=300_000, output_tokens=1000),
        ]
    )
    assert got[0] > got[1]


def test_prices_that_change_within_a_day_follow_the_events_time():
    # deepseek-v4-flash has time-of-day prices: two calls on one day, at two prices
    times = ["2026-10-01T02:00:00Z", "2026-10-01T12:00:00Z", "2026-10-01T02:00:00Z"]
    t = batch(
        source_event_id=["night", "noon", "night2"],
        event_timestamp=times,
        model=["deepseek-v4-flash"] * 3,
        provider=["deepseek"] * 3,
        tokens_input=[1_000_000, 1_000_000, 500_000],
        tokens_output=[1_000_000, 1_000_000, 0],
    )
    got = price_missing(t)[0].column("cost_usd").to_pylist()
    expected = [
        lib("deepseek-v4-flash", at.replace("Z", "+00:00"), "deepseek", input_tokens=i, output_tokens=o)
        for at, i, o in zip(times, [1_000_000, 1_000_000, 500_000], [1_000_000, 1_000_000, 0])
    ]
    assert got == pytest.approx(expected) and got[0] != got[1]


def test_overrides_win_from_their_date_and_price_unknown_models():
    book = PriceBook(
        [
            PriceOverride.model_validate(
                {"model": "GPT-4o", "from": "2026-09-01", "inputPerMTok": 1, "outputPerMTok": 4}
            ),
            PriceOverride.model_validate(
                {"model": "acme-private-llm", "inputPerMTok": 0.5, "outputPerMTok": 1, "cacheReadPerMTok": 0.05}
            ),
        ]
    )
    t = batch(
        source_event_id=["aug", "oct", "private"],
        event_timestamp=["2026-08-15T10:00:00Z", "2026-10-01T10:00:00Z", "2026-10-01T10:00:00Z"],
        model=["gpt-4o", "gpt-4o", "acme-private-llm"],
        tokens_input=[1000, 1000, 1000],
        tokens_cache_read=[None, None, 800],
        tokens_output=[1000, 1000, 100],
    )
    priced, unpriced = price_missing(t, book)
    assert priced.column("cost_usd").to_pylist() == pytest.approx(
        [
            lib("gpt-4o", "2026-08-15T10:00:00+00:00", input_tokens=1000, output_tokens=1000),
            1000e-6 + 4000e-6,
            200 * 0.5e-6 + 800 * 0.05e-6 + 100e-6,
        ]
    )
    assert set(priced.column("cost_source").to_pylist()) == {"computed"} and unpriced == {}


def test_prices_come_from_the_bundled_data_even_when_an_update_was_loaded():
    set_custom_snapshot(DataSnapshot(providers=[], from_auto_update=True))  # what UpdatePrices would install
    try:
        t = batch(source_event_id=["a"], model=["gpt-4o"], tokens_input=[1000], tokens_output=[0])
        assert price_missing(t)[0].column("cost_usd").to_pylist() == pytest.approx([1000 * 2.5e-6])
    finally:
        set_custom_snapshot(None)
    assert price_data_version().startswith("genai-prices 0.")


def test_provider_narrows_the_lookup_and_falls_back():
    assert library_model("gpt-4o", "openai") is library_model("gpt-4o")
    assert library_model("gpt-4o", "not-a-provider") is not None
    assert library_model("no-such-model-x") is None


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


SOURCES = """
sources:
  - id: files
    type: local_ndjson
    config: {path: /tmp/x, eventMapping: {source_event_id: $.id}}
pricing:
"""


def test_pricing_section_is_parsed_and_strict():
    text = SOURCES + "  - {model: acme-llm, provider: acme, from: 2026-01-01, inputPerMTok: 1, outputPerMTok: 2}\n"
    f = parse_sources(text, file="s.yaml", today=date(2026, 10, 1))
    assert f.pricing[0].from_ == date(2026, 1, 1) and f.sources[0].pricing == f.pricing
    bad = SOURCES + "  - {model: m, inputPerMTok: -1, outputPerMTok: 2, cacheRead: 1}\n  - {model: m}\n"
    with pytest.raises(ConfigError) as err:
        parse_sources(bad, file="s.yaml")
    text = str(err.value)
    assert "s.yaml: pricing[0].inputPerMTok: Input should be greater than or equal to 0" in text
    assert "s.yaml: pricing[0].cacheRead: unknown key" in text
    assert "s.yaml: pricing[1].outputPerMTok: Field required" in text
    with pytest.raises(ConfigError, match=r"s.yaml: pricing: must be a list"):
        parse_sources(SOURCES + "  gpt-4o: 1\n", file="s.yaml")
