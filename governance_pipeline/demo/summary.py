"""The short KPI summary the demo prints: from the ``governance_kpis`` mart when built, else the lake."""

from __future__ import annotations

from pathlib import Path

import duckdb

from governance_pipeline.marts.usage import register_counted_lake


def kpi_summary(lake_root: str, duckdb_file: Path | None = None) -> str:
    con = duckdb.connect()
    if duckdb_file is not None and duckdb_file.exists():
        con.execute(f"ATTACH '{duckdb_file}' AS marts (READ_ONLY)")
        has = con.execute(
            "select count(*) from duckdb_tables() where database_name = 'marts' and table_name = 'governance_kpis'"
        ).fetchall()[0][0]
    else:
        has = 0
    if has:
        rel, label = "marts.governance_kpis", "governance_kpis"
        count = "sum(event_count)"
    else:
        register_counted_lake(con, lake_root, name="lake_events")
        rel, label, count = "lake_events", "the lake", "count(*)"
    by_source = con.execute(
        f"select source_id, {count} n, sum(cost_usd) cost, sum(tokens_input) tin, sum(tokens_output) tout, "
        f"count(distinct actor) actors from {rel} group by all order by n desc"
    ).fetchall()
    if not by_source:
        return "no events yet"
    top = con.execute(
        f"select coalesce(actor, '(unattributed)') a, sum(cost_usd) cost, {count} n from {rel} group by all "
        "order by cost desc, n desc limit 5"
    ).fetchall()
    lines = [
        f"KPI summary (from {label})",
        f"{'source':<20}{'events':>8}{'cost_usd':>12}{'tokens_in':>12}{'tokens_out':>12}{'actors':>8}",
    ]
    for sid, n, cost, tin, tout, actors in by_source:
        lines.append(f"{sid:<20}{int(n):>8}{float(cost or 0):>12.4f}{int(tin or 0):>12}{int(tout or 0):>12}{actors:>8}")
    total = [sum(int(r[1]) for r in by_source), sum(float(r[2] or 0) for r in by_source)]
    lines.append(f"{'total':<20}{total[0]:>8}{total[1]:>12.4f}")
    lines.append("top actors by spend:")
    for actor, cost, n in top:
        lines.append(f"  {actor:<36}{float(cost or 0):>10.4f} USD {int(n):>6} events")
    return "\n".join(lines)
