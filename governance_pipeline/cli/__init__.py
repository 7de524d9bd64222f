"""``govpipe``: the command line. Each subcommand module exposes ``register(subparsers)``."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import gc
import importlib
import os
import sys
import threading
import traceback

from governance_pipeline.config.credentials import redact
from governance_pipeline.config.errors import ConfigError

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


# (young objects before a collection, young collections per middle one, middle collections per full one)
GC_THRESHOLDS = (250_000, 20, 10)


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
    """The ``govpipe`` console script. Once the command has returned, the process ends as the interpreter would
    end it (other threads joined, ``atexit`` handlers run, output flushed) but without tearing down each module:
    that teardown's garbage collection walks Dagster's whole object graph again (about 0.9 s) just before the OS
    frees the memory anyway.

    The cyclic garbage collector runs less often than Python's default (every 700 new container objects): importing
    Dagster and building its instance, job and run events create about 250,000 long-lived objects, and with the
    default thresholds a ``govpipe pull`` ran some 700 collections, five of them over every object (about 0.6 s
    in all); now it runs one (under 0.1 s). Every generation is still collected, so a long-lived
    ``govpipe serve`` keeps its memory bounded."""
    gc.set_threshold(*GC_THRESHOLDS)
    code = main()
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (e.g. `| head`): nothing left to deliver
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
