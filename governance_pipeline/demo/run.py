"""Run the demo end to end through the real adapters and Dagster jobs, then serve the UI.

Sample upstreams start on loopback; every source in ``sources.yaml`` is pulled once through its Dagster job;
the marts, the LangSmith tables and the report are built; a KPI summary is printed; then ``dagster dev``
serves the UI on 127.0.0.1:3000 with schedules and sensors on while the upstreams keep producing data.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import warnings
from datetime import UTC, datetime

from governance_pipeline import settings
from governance_pipeline.defs.langsmith import JOB_NAME as LANGSMITH_JOB

RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


def _say(msg: str) -> None:
    print(f"[demo] {msg}", flush=True)


def _execute(defs, instance, job_name: str, tags: dict | None = None):
    return defs.resolve_job_def(job_name).execute_in_process(
        instance=instance,
        raise_on_error=False,
        tags={"governance/trigger": "demo", **(tags or {})},
        run_config=RUN_CONFIG,
    )


def pull_all(defs, instance, sources_file) -> int:
    from governance_pipeline.defs.pull_job import pull_op_name

    failures = 0
    for source in sources_file.sources:
        started = time.perf_counter()
        _say(f"pulling {source.id} ({source.type}) ...")
        result = _execute(defs, instance, f"pull_{source.id}")
        if result.success:
            s = result.output_for_node(pull_op_name(source.id))
            _say(
                f"  {source.id}: events={s['events']} new={s['new']} errors={s['errors']} ({time.perf_counter() - started:.1f}s)"
            )
        else:
            failures += 1
            _say(f"  {source.id}: FAILED (run {result.run_id}; `govpipe sources list` shows the error)")
    return failures


def build_marts(defs, instance, sources_file) -> None:
    first = min(s.start_date for s in sources_file.sources).isoformat()
    today = datetime.now(UTC).date().isoformat()
    jobs = [
        (
            "governance_marts",
            {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": today},
        ),
        (LANGSMITH_JOB, None),
        ("governance_report_job", None),
    ]
    for name, tags in jobs:
        try:
            defs.resolve_job_def(name)
        except Exception:
            continue
        _say(f"building {name} ...")
        result = _execute(defs, instance, name, tags)
        _say(f"  {name}: {'ok' if result.success else 'FAILED (run ' + result.run_id + ')'}")
    for destination in sources_file.destinations:
        _say(f"exporting {first} .. {today} to destination {destination.id} ...")
        result = _execute(
            defs,
            instance,
            f"export_{destination.id}",
            {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": today},
        )
        _say(f"  {destination.id}: {'ok' if result.success else 'FAILED (run ' + result.run_id + ')'}")


def main() -> int:
    from governance_pipeline.cli.instance import get_instance
    from governance_pipeline.defs.build import build_definitions
    from governance_pipeline.demo.summary import kpi_summary
    from governance_pipeline.demo.upstreams import PortsBusy, Upstreams, busy_ports
    from governance_pipeline.sources_file import load_sources

    warnings.filterwarnings("ignore")
    ui = os.environ.get("DEMO_UI", "1") != "0"
    sources_file = load_sources()
    _say(f"sources file {sources_file.path}: {len(sources_file.sources)} sources")
    _say(
        "starting sample upstreams (audit API, Anthropic and Microsoft APIs, S3 with drops and a LangSmith export, "
        "a LangSmith API, the OTLP receiver and an agent sending spans) ..."
    )
    busy = busy_ports()
    if busy:
        _say(f"cannot start: {PortsBusy(busy)}")
        return 1
    with Upstreams(live=ui):
        defs = build_definitions(sources_file)
        instance = get_instance()
        failures = pull_all(defs, instance, sources_file)
        build_marts(defs, instance, sources_file)
        print()
        print(kpi_summary(settings.lake_root(), settings.duckdb_path()))
        print()
        if not ui:
            _say("DEMO_UI=0: done.")
            return 1 if failures else 0
        _say(
            "serving the Dagster UI on http://127.0.0.1:3000 with schedules and sensors on; new spans, drops and "
            "audit events keep arriving. Ctrl-C stops everything."
        )
        proc = subprocess.Popen(
            [sys.executable, "-m", "dagster", "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", "3000"]
        )
        try:
            return proc.wait()
        except KeyboardInterrupt:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
            return 0
