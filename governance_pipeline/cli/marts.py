"""``govpipe marts build|report``: rebuild the DuckDB marts or the HTML report outside Dagster (same code)."""

from __future__ import annotations

from datetime import date, timedelta

from governance_pipeline import settings


def register(sub) -> None:
    p = sub.add_parser("marts", help="build the DuckDB marts or the governance report")
    msub = p.add_subparsers(dest="marts_command", required=True, metavar="action")
    b = msub.add_parser("build", help="rebuild governance_kpis and governance_ocsf_events (all dates by default)")
    b.add_argument("--date", action="append", default=[], help="an event date to rebuild (repeatable)")
    b.add_argument("--from", dest="first", type=date.fromisoformat, help="first date of a range to rebuild")
    b.add_argument("--to", dest="last", type=date.fromisoformat, help="last date of the range (inclusive)")
    b.add_argument("--only", choices=("kpis", "ocsf"), help="build one mart only")
    b.set_defaults(func=run_build)
    r = msub.add_parser("report", help="write data/reports/governance_report.html from the marts")
    r.set_defaults(func=run_report)


def _dates(args) -> list[str] | None:
    dates = [date.fromisoformat(d).isoformat() for d in args.date]
    if args.first or args.last:
        first, last = args.first or args.last, args.last or args.first
        d = first
        while d <= last:
            dates.append(d.isoformat())
            d += timedelta(days=1)
    return dates or None


def run_build(args) -> int:
    from governance_pipeline.marts.build import MARTS, build_marts

    stats = build_marts(
        settings.duckdb_path(), settings.lake_root(), _dates(args), marts=(args.only,) if args.only else MARTS
    )
    rows = " ".join(f"{k}={v}" for k, v in stats.rows.items())
    took = " ".join(f"{k}={v:.2f}s" for k, v in stats.seconds.items())
    print(f"lake_events={stats.lake_events} {rows} {took}")
    return 0


def run_report(args) -> int:
    from governance_pipeline.marts.report import build_report
    from governance_pipeline.sources_file import load_sources

    sources = {s.id: s.type for s in load_sources().sources}
    report = build_report(settings.duckdb_path(), settings.lake_root(), sources, settings.reports_dir())
    print(report.path)
    return 0
