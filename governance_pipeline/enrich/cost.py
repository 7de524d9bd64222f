"""Cost enrichment: events with tokens and a model but no cost are priced from ``genai-prices``.

Vectorized per batch: the library is asked once per distinct (provider, model) for that model's prices, and
the rows of the model are priced with Arrow arithmetic. Models with tiered prices (the rate depends on the
request's input size) are priced by the library per distinct token pair instead. ``cost_source`` becomes
``computed`` for priced rows; a given cost (``given``) is never replaced; unknown models keep cost 0 and
``none`` and are counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from genai_prices import Usage, calc_price
from genai_prices.types import TieredPrices

_PROBE = Usage(input_tokens=1000, output_tokens=1000)


@dataclass(frozen=True)
class ModelRates:
    input_per_token: float
    output_per_token: float
    tiered: Any = None  # the library's ModelPrice when a rate depends on the token count


@lru_cache(maxsize=4096)
def model_rates(model: str, provider: str | None = None) -> ModelRates | None:
    """Per-token prices for ``model`` (at the provider, when known), or None when the library has none."""
    calc = None
    for provider_id in (provider, None) if provider else (None,):
        try:
            calc = calc_price(_PROBE, model, provider_id=provider_id)
            break
        except (LookupError, ValueError):
            continue
    if calc is None:
        return None
    price = calc.model_price
    in_mtok, out_mtok = getattr(price, "input_mtok", None), getattr(price, "output_mtok", None)
    if isinstance(in_mtok, TieredPrices) or isinstance(out_mtok, TieredPrices):
        return ModelRates(0.0, 0.0, tiered=price)
    return ModelRates(float(in_mtok or 0) / 1e6, float(out_mtok or 0) / 1e6)


def _tiered_costs(price: Any, tokens_in: list[int], tokens_out: list[int]) -> list[float]:
    cache: dict[tuple[int, int], float] = {}
    out = []
    for tin, tout in zip(tokens_in, tokens_out):
        cost = cache.get((tin, tout))
        if cost is None:
            total = price.calc_price(Usage(input_tokens=tin, output_tokens=tout))["total_price"]
            cost = cache[(tin, tout)] = float(Decimal(total))
        out.append(cost)
    return out


def price_missing(table: pa.Table) -> tuple[pa.Table, dict[str, int]]:
    """``table`` (the lake schema) with missing costs computed; and the row count per model left unpriced."""
    if table.num_rows == 0:
        return table, {}
    model = table.column("model")
    tin, tout = table.column("tokens_input"), table.column("tokens_output")
    need = pc.and_(
        pc.and_(pc.equal(table.column("cost_source"), "none"), pc.is_valid(model)),
        pc.greater(pc.add(tin, tout), 0),
    )
    need = pc.fill_null(need, False)
    if not pc.any(need).as_py():
        return table, {}
    idx = pc.indices_nonzero(need)
    sub = {
        c: table.column(c).take(idx).combine_chunks() for c in ("model", "provider", "tokens_input", "tokens_output")
    }
    costs = pa.nulls(len(idx), pa.float64())
    unpriced: dict[str, int] = {}
    pairs = pa.table({"provider": sub["provider"], "model": sub["model"]})
    pairs = pairs.group_by(["provider", "model"], use_threads=False).aggregate([([], "count_all")])
    for provider, name, count in zip(*(pairs.column(i).to_pylist() for i in range(3))):
        rates = model_rates(name, provider)
        if rates is None:
            unpriced[name] = unpriced.get(name, 0) + count
            continue
        provider_match = pc.is_null(sub["provider"]) if provider is None else pc.equal(sub["provider"], provider)
        mask = pc.fill_null(pc.and_(pc.equal(sub["model"], name), provider_match), False)
        tin_m, tout_m = pc.filter(sub["tokens_input"], mask), pc.filter(sub["tokens_output"], mask)
        if rates.tiered is not None:
            priced = pa.array(_tiered_costs(rates.tiered, tin_m.to_pylist(), tout_m.to_pylist()), pa.float64())
        else:
            priced = pc.add(
                pc.multiply(pc.cast(tin_m, pa.float64()), rates.input_per_token),
                pc.multiply(pc.cast(tout_m, pa.float64()), rates.output_per_token),
            )
        costs = pc.replace_with_mask(costs, mask, priced)
    done = pc.is_valid(costs)
    if not pc.any(done).as_py():
        return table, unpriced
    need_flat = need.combine_chunks() if isinstance(need, pa.ChunkedArray) else need
    full_mask = pc.replace_with_mask(pa.repeat(pa.scalar(False), table.num_rows), need_flat, done)
    full_costs = pc.replace_with_mask(table.column("cost_usd").combine_chunks(), full_mask, pc.filter(costs, done))
    source = pc.if_else(full_mask, pa.scalar("computed"), table.column("cost_source"))
    table = table.set_column(table.schema.get_field_index("cost_usd"), "cost_usd", full_costs)
    table = table.set_column(table.schema.get_field_index("cost_source"), "cost_source", source)
    return table, unpriced
