"""Cost enrichment: events with tokens but no cost are priced (docs/costs.md).

Prices come from the sources file's ``pricing:`` overrides first, then from the ``genai-prices`` data bundled
with the installed package (never downloaded: this module builds its own snapshot from ``genai_prices.data`` and
never starts the library's ``UpdatePrices``, so a process that did start one still prices from the bundle).

Each event is priced at the price in force at its ``event_timestamp`` (a backfill of an old month uses that
month's prices), with its token detail: cache reads, cache writes (Anthropic's 1-hour writes at their own rate)
and reasoning tokens each at the model's rate for them. The token columns follow one meaning (lake/schema.py):
``tokens_input`` counts every input token with the cached ones included, ``tokens_output`` every output token
with the reasoning ones included; the detail columns are parts of those totals.

Vectorized per batch: the rows are grouped by (provider, model, price in force), each group's per-token rates
are read from the library once (by pricing one million tokens of each kind) and applied with Arrow arithmetic.
Prices that depend on the request's size (tiered) are priced by the library per distinct usage instead.

``cost_source`` becomes ``computed`` for priced rows and ``unpriced`` for rows with tokens no price is known for
(their ``cost_usd`` stays 0, per the lake contract, and they are counted). A given cost is never replaced.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import cache, lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from genai_prices import data as _bundled_data
from genai_prices.data_snapshot import DataSnapshot
from genai_prices.types import ModelInfo, ModelPrice, StartDateConstraint, TieredPrices, Usage

from governance_pipeline.config.models import PriceOverride
from governance_pipeline.mapping.providers import normalize_provider, prices_provider_id

NO_MODEL = "(no model)"
"""The ``unpriced_models`` key for rows with tokens but no model."""

_MTOK = 1_000_000
_DETAIL = ("tokens_cache_read", "tokens_cache_write", "tokens_cache_write_1h", "tokens_reasoning")


@cache
def _snapshot() -> DataSnapshot:
    return DataSnapshot(providers=_bundled_data.providers, from_auto_update=False)


@cache
def price_data_version() -> str:
    """``genai-prices <version> (data sha256 <12 hex>)``: which bundled price data priced a run."""
    digest = hashlib.sha256(Path(_bundled_data.__file__).read_bytes()).hexdigest()[:12]
    return f"genai-prices {version('genai-prices')} (data sha256 {digest})"


@dataclass(frozen=True)
class Rates:
    """USD per token of each kind, plus any fixed price per request; ``tiered`` when the rates are not linear."""

    input: float
    cache_read: float
    cache_write: float
    cache_write_1h: float
    output: float
    reasoning: float
    per_request: float = 0.0
    tiered: ModelPrice | None = None


def _usage(tin: int, tout: int, cr: int, cw: int, cw1h: int, rs: int) -> Usage:
    cw = max(cw, cw1h)
    values = {
        "input_tokens": max(tin, cr + cw),
        "cache_read_tokens": cr,
        "cache_write_tokens": cw,
        "cache_write_1h_tokens": cw1h,
        "output_tokens": max(tout, rs),
        "output_reasoning_tokens": rs,
    }
    return Usage(**{k: v for k, v in values.items() if v})


def _total(price: ModelPrice, usage: Usage) -> float:
    return float(Decimal(price.calc_price(usage)["total_price"]))


def rates_of(price: ModelPrice) -> Rates:
    """The per-token rates of one library price, read by pricing a million tokens of each kind."""
    if any(isinstance(v, TieredPrices) for v in vars(price).values()):
        return Rates(0, 0, 0, 0, 0, 0, tiered=price)
    base = _total(price, Usage())

    def rate(**kinds: int) -> float:
        return (
            _total(price, _usage(**{**dict.fromkeys(("tin", "tout", "cr", "cw", "cw1h", "rs"), 0), **kinds})) - base
        ) / _MTOK

    return Rates(
        input=rate(tin=_MTOK),
        cache_read=rate(tin=_MTOK, cr=_MTOK),
        cache_write=rate(tin=_MTOK, cw=_MTOK),
        cache_write_1h=rate(tin=_MTOK, cw=_MTOK, cw1h=_MTOK),
        output=rate(tout=_MTOK),
        reasoning=rate(tout=_MTOK, rs=_MTOK),
        per_request=base,
    )


def override_rates(o: PriceOverride) -> Rates:
    cache_write = o.cacheWritePerMTok if o.cacheWritePerMTok is not None else o.inputPerMTok
    return Rates(
        input=o.inputPerMTok / _MTOK,
        cache_read=(o.cacheReadPerMTok if o.cacheReadPerMTok is not None else o.inputPerMTok) / _MTOK,
        cache_write=cache_write / _MTOK,
        cache_write_1h=(o.cacheWrite1hPerMTok if o.cacheWrite1hPerMTok is not None else cache_write) / _MTOK,
        output=o.outputPerMTok / _MTOK,
        reasoning=(o.reasoningPerMTok if o.reasoningPerMTok is not None else o.outputPerMTok) / _MTOK,
    )


@lru_cache(maxsize=4096)
def library_model(model: str, provider: str | None = None) -> ModelInfo | None:
    """The library's model for ``model`` (at ``provider`` when the library knows it, else any), or None."""
    # our provider names are the GenAI semconv's (mapping/providers.py); the library has its own ids
    for provider_id in (prices_provider_id(provider), None) if provider else (None,):
        try:
            return _snapshot().find_provider_model(model, None, provider_id, None)[1]
        except (LookupError, ValueError):
            continue
    return None


def _changes_within_a_day(info: ModelInfo) -> bool:
    prices = info.prices
    return isinstance(prices, list) and any(
        c.constraint is not None and not isinstance(c.constraint, StartDateConstraint) for c in prices
    )


@lru_cache(maxsize=4096)
def _library_rates(model: str, provider: str | None, at: datetime) -> Rates | None:
    info = library_model(model, provider)
    return None if info is None else _rates_for_price(info.get_prices(at))


_RATES: dict[int, tuple[ModelPrice, Rates]] = {}  # by identity: ModelPrice is not hashable


def _rates_for_price(price: ModelPrice) -> Rates:
    hit = _RATES.get(id(price))
    if hit is None or hit[0] is not price:
        hit = _RATES[id(price)] = (price, rates_of(price))
    return hit[1]


class PriceBook:
    """Where a (model, provider, time) gets its price: a ``pricing:`` override in force, else the library."""

    def __init__(self, overrides: Iterable[PriceOverride] = ()):
        self._overrides: dict[str, list[PriceOverride]] = {}
        for o in overrides:
            self._overrides.setdefault(o.model.lower(), []).append(o)
        for entries in self._overrides.values():
            entries.sort(key=lambda o: o.from_ or date.min, reverse=True)

    def override(self, model: str, provider: str | None, day: date) -> PriceOverride | None:
        for o in self._overrides.get(model.lower(), ()):
            if o.provider is not None and (
                provider is None or normalize_provider(o.provider) != normalize_provider(provider)
            ):
                continue
            if o.from_ is None or o.from_ <= day:
                return o
        return None

    def varies_within_a_day(self, model: str, provider: str | None) -> bool:
        info = library_model(model, provider)
        return info is not None and _changes_within_a_day(info)

    def rates(self, model: str, provider: str | None, at: datetime) -> Rates | None:
        o = self.override(model, provider, at.date())
        if o is not None:
            return override_rates(o)
        return _library_rates(model, provider, at)


def _col(table: pa.Table, name: str, idx: pa.Array) -> pa.Array:
    if name not in table.column_names:
        return pa.nulls(len(idx), pa.int64())
    return table.column(name).take(idx).combine_chunks()


def _flat(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _tiered_costs(price: ModelPrice, usages: list[tuple[int, ...]]) -> list[float]:
    memo: dict[tuple[int, ...], float] = {}
    out = []
    for u in usages:
        cost = memo.get(u)
        if cost is None:
            cost = memo[u] = _total(price, _usage(*u))
        out.append(cost)
    return out


def _linear_costs(r: Rates, t: dict[str, pa.Array]) -> pa.Array:
    """Cost per row from the token counts ``t`` (``tin``, ``tout`` and whichever details the batch has)."""
    f64 = pa.float64()
    n = len(t["tin"])
    tin, tout = pc.cast(t["tin"], f64), pc.cast(t["tout"], f64)
    total: Any = pa.repeat(pa.scalar(r.per_request, f64), n)
    uncached, plain_out = tin, tout
    if "cr" in t or "cw" in t or "cw1h" in t:
        zero = pa.repeat(pa.scalar(0.0, f64), n)
        cr, cw1h = (pc.cast(t[k], f64) if k in t else zero for k in ("cr", "cw1h"))
        cw = pc.max_element_wise(pc.cast(t["cw"], f64) if "cw" in t else zero, cw1h)
        uncached = pc.subtract(pc.max_element_wise(tin, pc.add(cr, cw)), pc.add(cr, cw))
        for count, rate in ((cr, r.cache_read), (pc.subtract(cw, cw1h), r.cache_write), (cw1h, r.cache_write_1h)):
            total = pc.add(total, pc.multiply(count, rate))
    if "rs" in t:
        rs = pc.cast(t["rs"], f64)
        plain_out = pc.subtract(pc.max_element_wise(tout, rs), rs)
        total = pc.add(total, pc.multiply(rs, r.reasoning))
    total = pc.add(total, pc.multiply(uncached, r.input))
    return pc.add(total, pc.multiply(plain_out, r.output))


def _price_slices(
    book: PriceBook, provider: str | None, model: str | None, day: date, ts: pa.ChunkedArray
) -> list[tuple[datetime, int, int]]:
    """(price time, offset, length) of the runs of one (provider, model, day) group that share a price: the
    whole day, unless the model's price changes within a day (then per distinct time; ``ts`` is sorted)."""
    noon = datetime.combine(day, time(12), UTC)  # prices change by date: any time of the day will do
    if (
        model is None
        or book.override(model, provider, day) is not None
        or not book.varies_within_a_day(model, provider)
    ):
        return [(noon, 0, len(ts))]
    runs = pa.table({"ts": ts}).group_by("ts", use_threads=False).aggregate([([], "count_all")])
    out, offset = [], 0
    for at, n in zip(runs.column(0).to_pylist(), runs.column(1).to_pylist()):
        out.append((at or noon, offset, n))
        offset += n
    return out


def price_missing(table: pa.Table, book: PriceBook | None = None) -> tuple[pa.Table, dict[str, int]]:
    """``table`` (the lake schema) with missing costs computed; and the row count per model left unpriced."""
    if table.num_rows == 0:
        return table, {}
    book = book or PriceBook()
    tin_all, tout_all = table.column("tokens_input"), table.column("tokens_output")
    need = pc.and_(pc.equal(table.column("cost_source"), "none"), pc.greater(pc.add(tin_all, tout_all), 0))
    need = pc.fill_null(need, False)
    if not pc.any(need).as_py():
        return table, {}
    idx = pc.indices_nonzero(need)
    ts = table.column("event_timestamp").take(idx).combine_chunks()
    sub = {
        "model": table.column("model").take(idx).combine_chunks(),
        "provider": table.column("provider").take(idx).combine_chunks(),
        "day": ts.cast(pa.date32()),
    }
    usage = {
        "tin": pc.fill_null(_col(table, "tokens_input", idx), 0),
        "tout": pc.fill_null(_col(table, "tokens_output", idx), 0),
    }
    for key, column in zip(("cr", "cw", "cw1h", "rs"), _DETAIL):  # only the details the batch has
        if column in table.column_names and table.column(column).null_count < table.num_rows:
            usage[key] = pc.fill_null(_col(table, column, idx), 0)
    # Sort once by (provider, model, day, time): every price group is then one contiguous slice.
    keys = pa.table({**sub, "ts": ts})
    order = pc.sort_indices(keys, sort_keys=[(k, "ascending", "at_end") for k in ("provider", "model", "day", "ts")])
    keys = keys.take(order)
    usage = {k: v.take(order) for k, v in usage.items()}
    groups = keys.group_by(["provider", "model", "day"], use_threads=False).aggregate([([], "count_all")])
    chunks: list[pa.Array] = []
    unpriced: dict[str, int] = {}
    start = 0
    for provider, model, day, count in zip(*(groups.column(i).to_pylist() for i in range(4))):
        for at, offset, n in _price_slices(book, provider, model, day, keys.column("ts").slice(start, count)):
            rates = None if model is None else book.rates(model, provider, at)
            if rates is None:
                unpriced[model or NO_MODEL] = unpriced.get(model or NO_MODEL, 0) + n
                chunks.append(pa.nulls(n, pa.float64()))
                continue
            part = {k: v.slice(start + offset, n) for k, v in usage.items()}
            if rates.tiered is not None:
                cols = [
                    part[k].to_pylist() if k in part else [0] * n for k in ("tin", "tout", "cr", "cw", "cw1h", "rs")
                ]
                rows = list(zip(*cols))
                chunks.append(pa.array(_tiered_costs(rates.tiered, rows), pa.float64()))
            else:
                chunks.append(_linear_costs(rates, part))
        start += count
    costs = pa.chunked_array(chunks, pa.float64()).take(pc.sort_indices(order)).combine_chunks()
    done = pc.is_valid(costs)
    need_flat = need.combine_chunks() if isinstance(need, pa.ChunkedArray) else need
    full_done = pc.replace_with_mask(pa.repeat(pa.scalar(False), table.num_rows), need_flat, done)
    full_costs = pc.replace_with_mask(table.column("cost_usd").combine_chunks(), full_done, pc.filter(costs, done))
    label = pc.if_else(done, pa.scalar("computed"), pa.scalar("unpriced"))
    source = pc.replace_with_mask(table.column("cost_source").combine_chunks(), need_flat, label)
    table = table.set_column(table.schema.get_field_index("cost_usd"), "cost_usd", full_costs)
    table = table.set_column(table.schema.get_field_index("cost_source"), "cost_source", source)
    return table, unpriced
