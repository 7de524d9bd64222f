"""``govpipe``: the command line. Each subcommand module exposes ``register(subparsers)``."""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback

from governance_pipeline.config.credentials import redact
from governance_pipeline.config.errors import ConfigError
from governance_pipeline.process import exit_now, tune_gc

COMMANDS: list[str] = [
    "governance_pipeline.cli.validate",
    "governance_pipeline.cli.sources",
    "governance_pipeline.cli.pull",
    "governance_pipeline.cli.serve",
    "governance_pipeline.cli.ingest_tail",
    "governance_pipeline.cli.export",
    "governance_pipeline.cli.destinations",
    "governance_pipeline.cli.marts",
]


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit code ``code``."""

    def __init__(self, message: str, code: int = 1):
        self.code = code
        super().__init__(message)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="govpipe", description="Governance pipeline command line.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    for name in COMMANDS:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except ConfigError as exc:
        if args.debug:
            traceback.print_exc()
        for line in str(exc).splitlines():
            print(line, file=sys.stderr)
        return 2
    except CommandError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"govpipe: {redact(str(exc))}", file=sys.stderr)
        return exc.code
    except Exception as exc:  # one readable line unless --debug
        if args.debug:
            traceback.print_exc()
        print(f"govpipe: error: {redact(f'{type(exc).__name__}: {exc}')}", file=sys.stderr)
        return 1


def run() -> None:
    """The ``govpipe`` console script: ``main`` with the process tuning of ``governance_pipeline.process``."""
    tune_gc()
    exit_now(main())


if __name__ == "__main__":
    run()
