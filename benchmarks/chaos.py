"""The chaos run: ``govpipe pull`` SIGKILLed at random points, again and again, against a flaky audit API.

    .venv/bin/python benchmarks/chaos.py [--kills 20] [--seed 1] [--events 1200] [--page 50] [--fault-rate 0.15]

The fake API (tests/reliability/fake_audit.py) answers 429 with Retry-After, 500/503 and slow pages; each round
adds events, starts a real ``govpipe pull`` and kills it with SIGKILL after a random number of its requests or at
a random time. The next pull heals the dead run (defs/dead_runs.py). At the end one pull runs to completion and
the run checks: every event exactly once in the lake, no run left STARTED, the slot free, the source active.
Prints ``kills_survived=<n> ...`` and exits 1 if a check fails. Works in a temporary folder; nothing is kept.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.reliability.chaos import run_chaos


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kills", type=int, default=20)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--events", type=int, default=1200)
    p.add_argument("--page", type=int, default=50)
    p.add_argument("--fault-rate", type=float, default=0.15)
    p.add_argument("--slow-seconds", type=float, default=0.3)
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="govpipe-chaos-") as tmp:
        r = run_chaos(
            Path(tmp),
            kills=args.kills,
            seed=args.seed,
            events=args.events,
            page=args.page,
            fault_rate=args.fault_rate,
            slow_seconds=args.slow_seconds,
            log=lambda line: print(line, flush=True),
        )
    print(
        f"kills_survived={r.kills} completed_pulls={r.completed_pulls} failed_pulls={r.failed_pulls} "
        f"healed_runs={r.healed} events={r.events} lake_rows={r.lake_rows} lake_distinct={r.lake_distinct} "
        f"stuck_runs={r.stuck_runs} claimed_slots={r.claimed_slots} requests={r.requests} faults={r.faults} "
        f"resume_after_kill_max_s={max(r.resume_seconds, default=0):.1f} "
        f"resume_after_kill_median_s={sorted(r.resume_seconds)[len(r.resume_seconds) // 2] if r.resume_seconds else 0:.1f} "
        f"source_status={r.source.get('status')} last_run={r.source.get('last_run')} seconds={r.seconds:.1f} "
        f"ok={r.ok}"
    )
    return 0 if r.ok else 1


if __name__ == "__main__":
    sys.exit(main())
