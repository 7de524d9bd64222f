"""``govpipe validate``: check the sources file; exit 0, or 2 with one line per problem.

Besides the file itself, every ``{env: NAME}`` credential must be set (and free of control characters) in
this environment, so a deploy finds out at the pre-flight rather than at the first run; ``--no-env`` skips
that check where a file is validated away from its secrets (CI, a laptop).
"""

from __future__ import annotations

import sys

from governance_pipeline.config.credentials import env_problems
from governance_pipeline.sources_file import load_sources


def register(sub) -> None:
    p = sub.add_parser("validate", help="check the sources file")
    p.add_argument("--file", help="sources file (default: GOVERNANCE_SOURCES or sources.yaml)")
    p.add_argument("--no-env", action="store_true", help="do not check that credential environment variables are set")
    p.set_defaults(func=run)


def run(args) -> int:
    sources_file = load_sources(args.file)
    if not getattr(args, "no_env", False):
        problems = env_problems(sources_file.credentials)
        for where, message in problems:
            print(f"{sources_file.path}: {where}: {message}", file=sys.stderr)
        if problems:
            return 2
    n = len(sources_file.sources)
    print(f"{sources_file.path}: ok ({n} source{'s' if n != 1 else ''})")
    return 0
