"""``govpipe validate``: check the sources file; exit 0, or 2 with one line per problem."""

from __future__ import annotations

from governance_pipeline.config import load_sources


def register(sub) -> None:
    p = sub.add_parser("validate", help="check the sources file")
    p.add_argument("--file", help="sources file (default: GOVERNANCE_SOURCES or sources.yaml)")
    p.set_defaults(func=run)


def run(args) -> int:
    sources_file = load_sources(args.file)
    n = len(sources_file.sources)
    print(f"{sources_file.path}: ok ({n} source{'s' if n != 1 else ''})")
    return 0
