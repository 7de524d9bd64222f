"""Run the demo end to end through the real adapters and Dagster jobs, then serve the UI."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import warnings

from governance_pipeline import settings


def _say(msg: str) -> None:
    print(f"[demo] {msg}", flush=True)


def pull_all(sources_file) -> dict[str, dict]:
    import dagster as dg

    from governance_pipeline.cli.instance import get_instance
    from governance_pipeline.defs.build import build_definitions
    from governance_pipeline.defs.pull_job import pull_op_name

    warnings.filterwarnings("ignore")
    defs = build_definitions(sources_file)
    instance = get_instance()
    results = {}
    for source in sources_file.sources:
        _say(f"pulling {source.id} ({source.type}) ...")
        started = time.perf_counter()
        result = defs.resolve_job_def(f"pull_{source.id}").execute_in_process(
            instance=instance,
            raise_on_error=False,
            tags={"governance/trigger": "demo"},
            run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}},
        )
        if result.success:
            summary = result.output_for_node(pull_op_name(source.id))
            _say(f"  {source.id}: events={summary['events']} new={summary['new']} errors={summary['errors']} "
                 f"({time.perf_counter() - started:.1f}s)")
            results[source.id] = summary
        else:
            _say(f"  {source.id}: FAILED (see run {result.run_id} in the UI)")
    del dg
    return results


def main() -> int:
    from governance_pipeline.config import load_sources
    from governance_pipeline.demo.summary import kpi_summary

    sources_file = load_sources()
    _say(f"sources file {sources_file.path}: {len(sources_file.sources)} sources")
    pull_all(sources_file)
    print()
    print(kpi_summary(settings.lake_root()))
    print()
    if os.environ.get("DEMO_UI", "1") == "0":
        _say("DEMO_UI=0: done.")
        return 0
    _say("serving the Dagster UI on http://127.0.0.1:3000 (Ctrl-C stops everything)")
    proc = subprocess.Popen([sys.executable, "-m", "dagster", "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", "3000"])
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        proc.wait(timeout=30)
        return 0
