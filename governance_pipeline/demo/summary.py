"""The short KPI summary the demo prints, straight from the lake."""

from __future__ import annotations

import duckdb

from governance_pipeline.lake.store import LakeStore


def kpi_summary(lake_root: str) -> str:
    store = LakeStore(lake_root)
    if store.is_s3 or not store.list_files("events", ".parquet"):
        return "no events in the lake yet"
    rel = duckdb.sql(
        f"select * from read_parquet('{lake_root}/events/**/*.parquet', hive_partitioning=true)"
    )
    by_source = duckdb.sql(
        "select source_id, count(*) n, round(sum(cost_usd), 4) cost, sum(tokens_input) tin, sum(tokens_output) tout, "
        "count(distinct actor) actors from rel group by all order by n desc"
    ).fetchall()
    top = duckdb.sql(
        "select coalesce(actor, '(unattributed)') actor, round(sum(cost_usd), 4) cost, count(*) n from rel "
        "group by all order by cost desc, n desc limit 5"
    ).fetchall()
    lines = [f"{'source':<24}{'events':>8}{'cost_usd':>12}{'tokens_in':>12}{'tokens_out':>12}{'actors':>8}"]
    for sid, n, cost, tin, tout, actors in by_source:
        lines.append(f"{sid:<24}{n:>8}{cost:>12.4f}{tin:>12}{tout:>12}{actors:>8}")
    lines.append("")
    lines.append("top actors by spend:")
    for actor, cost, n in top:
        lines.append(f"  {actor:<36}{cost:>10.4f} USD  {n:>5} events")
    return "\n".join(lines)
