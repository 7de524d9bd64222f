"""Process tuning for entry points (the ``govpipe`` console script). Library code and tests never call this.

- ``tune_gc``: the cyclic garbage collector runs less often than Python's default (every 700 new container
  objects). Importing Dagster and building its instance, job and run events create about 250,000 long-lived
  objects; with the default thresholds a ``govpipe pull`` ran some 700 collections, five of them over every object
  (about 0.6 s in all); now it runs one (under 0.1 s). Every generation is still collected, so a long-lived
  ``govpipe serve`` keeps its memory bounded.
- ``exit_now``: ends the process as the interpreter would (other threads joined, ``atexit`` handlers run, output
  flushed) but without tearing down each module: that teardown's garbage collection walks Dagster's whole object
  graph again (about 0.9 s) just before the OS frees the memory anyway.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import sys
import threading
from typing import NoReturn

# (young objects before a collection, young collections per middle one, middle collections per full one)
GC_THRESHOLDS = (250_000, 20, 10)


def tune_gc() -> None:
    gc.set_threshold(*GC_THRESHOLDS)


def exit_now(code: int) -> NoReturn:
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (e.g. `| head`): nothing left to deliver
            stream.flush()
    os._exit(code)
