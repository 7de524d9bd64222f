"""``govpipe export <destination_id> --from YYYY-MM-DD --to YYYY-MM-DD``: export a date range now.

Runs the job ``export_<id>`` in process against ``DAGSTER_HOME`` with the partition-range tags, i.e. the same
single-run backfill the UI launches; each day is written separately and printed as ``<day> rows=<n> files=<n>``.
"""

from __future__ import annotations

from datetime import date

RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def register(sub) -> None:
    p = sub.add_parser("export", help="export a date range to a destination (a Dagster backfill, in process)")
    p.add_argument("destination_id")
    p.add_argument("--from", dest="start", required=True, type=_day, help="first day (UTC), YYYY-MM-DD")
    p.add_argument("--to", dest="end", required=True, type=_day, help="last day (UTC, inclusive), YYYY-MM-DD")
    p.set_defaults(func=run)


def _day(text: str) -> date:
    import argparse

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def run(args) -> int:
    from governance_pipeline.cli import CommandError
    from governance_pipeline.cli.instance import get_instance
    from governance_pipeline.cli.pull import _failure_message
    from governance_pipeline.defs.build import build_definitions
    from governance_pipeline.defs.exports import export_job_name
    from governance_pipeline.sources_file import load_sources

    sources_file = load_sources()
    if args.destination_id not in {d.id for d in sources_file.destinations}:
        known = ", ".join(d.id for d in sources_file.destinations) or "none"
        raise CommandError(f"{sources_file.path}: no destination '{args.destination_id}' (known: {known})", code=2)
    if args.end < args.start:
        raise CommandError(f"--to {args.end} is before --from {args.start}", code=2)
    job = build_definitions(sources_file).resolve_job_def(export_job_name(args.destination_id))
    partitions = job.partitions_def
    assert partitions is not None  # export jobs are daily-partitioned
    first, last = partitions.get_first_partition_key(), partitions.get_last_partition_key()
    if first is None or last is None or str(args.start) < first or str(args.end) > last:
        raise CommandError(
            f"the range must lie within {first} .. {last} (the destination's startDate .. today)", code=2
        )
    result = job.execute_in_process(
        instance=get_instance(),
        raise_on_error=False,
        tags={RANGE_START: str(args.start), RANGE_END: str(args.end), "governance/trigger": "cli"},
        run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},  # one line of ours instead
    )
    rows = files = 0
    for event in result.get_asset_materialization_events():
        md = event.materialization.metadata
        r, f = _count(md["rows_written"].value), _count(md["files_written"].value)
        rows, files = rows + r, files + f
        print(f"{event.partition} rows={r} files={f}")
    print(f"total rows={rows} files={files} run={result.run_id}")
    if not result.success:
        raise CommandError(f"{_failure_description(result) or _failure_message(result)} (run {result.run_id})")
    return 0


def _failure_description(result) -> str | None:
    """The description the asset gave its ``dagster.Failure`` (already plain words)."""
    for event in result.all_events:
        data = event.step_failure_data if event.is_step_failure else None
        if data is not None and data.user_failure_data is not None and data.user_failure_data.description:
            return data.user_failure_data.description
    return None


def _count(value: object) -> int:
    return value if isinstance(value, int) else 0
