"""``govpipe pull <id>``: one incremental pull now, through the same Dagster job its trigger runs."""

from __future__ import annotations

import sys


def register(sub) -> None:
    p = sub.add_parser("pull", help="one incremental pull of a source now")
    p.add_argument("source_id")
    p.set_defaults(func=run)


def run(args) -> int:
    from governance_pipeline.cli import CommandError
    from governance_pipeline.cli.instance import get_instance
    from governance_pipeline.defs.build import quiet_dagster_warnings
    from governance_pipeline.defs.dead_runs import SOURCE_TAG, heal_dead_runs, worker_tags
    from governance_pipeline.defs.pull_job import build_pull_job, pull_op_name
    from governance_pipeline.sources_file import load_sources

    sources_file = load_sources()
    try:
        source = sources_file.source(args.source_id)
    except KeyError as exc:
        raise CommandError(str(exc.args[0]), code=2) from None
    instance = get_instance()
    quiet_dagster_warnings()
    # A run of this source whose worker was killed keeps the slot; fail it and free the slot before waiting on it.
    for dead in heal_dead_runs(instance, source.id):
        print(f"healed dead run {dead.run_id}: {dead.reason}", file=sys.stderr)
    job = build_pull_job(sources_file, source)  # the very job the code location serves as pull_<id>
    result = job.execute_in_process(
        instance=instance,
        raise_on_error=False,
        tags={"governance/trigger": "cli", SOURCE_TAG: source.id, **worker_tags()},
        run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
    )
    if not result.success:
        message = _failure_message(result)
        raise CommandError(f"pull of '{args.source_id}' failed (run {result.run_id}): {message}")
    summary = result.output_for_node(pull_op_name(args.source_id))
    print(f"events={summary['events']} new={summary['new']} errors={summary['errors']}")
    return 0


def _failure_message(result) -> str:
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            err = event.step_failure_data.error
            while err.cause is not None and (
                err.cls_name.startswith("Dagster") or err.cls_name == "RetryRequestedFromPolicy"
            ):
                err = err.cause
            if err.cls_name == "Failure" and event.step_failure_data.user_failure_data:
                return event.step_failure_data.user_failure_data.description or err.message
            return f"{err.cls_name}: {err.message.strip().splitlines()[0] if err.message else ''}"
    return "see the run's logs in the Dagster UI"
