"""The long fuzz run: the property-based tests of tests/fuzz/ with many more examples and fresh random seeds.

    .venv/bin/python benchmarks/fuzz.py            # 25x the examples of `make test`, new seeds
    .venv/bin/python benchmarks/fuzz.py --scale 200 --shrink

``make test`` runs the same tests seeded (``derandomize``) and bounded (well under 60 s); this finds what those
examples miss. A failure prints the example (with ``--shrink``, a minimal one) and exits non-zero.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=25.0, help="multiplier of each test's example count")
    parser.add_argument("--shrink", action="store_true", help="shrink a failing example to a minimal one (slow)")
    parser.add_argument("--seeded", action="store_true", help="keep the fixed seeds of `make test`")
    args = parser.parse_args()
    env = dict(os.environ, FUZZ_SCALE=str(args.scale), FUZZ_RANDOM="0" if args.seeded else "1")
    if args.shrink:
        env["FUZZ_SHRINK"] = "1"
    started = time.perf_counter()
    rc = subprocess.call(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/fuzz"], cwd=ROOT, env=env
    )
    print(f"fuzz: scale {args.scale:g}, {time.perf_counter() - started:.0f} s, {'ok' if rc == 0 else 'FAILED'}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
