"""Map a function over items in worker processes, a bounded number ahead, results in order.

For CPU-bound work that Python threads cannot share out (decoding and normalizing OTLP landing files): each
worker is a fresh interpreter (``spawn``, so nothing of the parent's threads or locks is inherited). Results
arrive in the items' order and at most ``ahead`` are computed and held beyond the one being consumed, so
memory stays bounded. An exception raised by ``fn`` reaches the consumer as it would in-process. When the pool
fails (a worker killed or out of memory, or no worker can be started), the item being waited for and every
later one are computed in this process, with a warning, so the caller's results are the same either way.
Workers exit on their own when the process that started them dies.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_LOG = logging.getLogger(__name__)
START_METHOD = "spawn"
PARENT_CHECK_SECONDS = 0.5


def process_map(
    fn: Callable[[T], R], items: list[T], workers: int, ahead: int | None = None, log: Any = _LOG
) -> Iterator[R]:
    """``fn(item)`` for each of ``items``, in order, computed by ``workers`` processes (``fn`` and the items must
    pickle: a module-level function and plain data). ``log`` (a ``logging.Logger`` or Dagster's ``context.log``)
    gets the warning when the workers cannot start or one dies."""
    ahead = workers + 1 if ahead is None else ahead
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context(START_METHOD),
        initializer=_exit_with_parent,
        initargs=(os.getpid(),),
    )
    pending: deque[Future] = deque()
    submitted = 0
    in_process = False  # the pool failed: every item not yet yielded is computed here, in order
    try:
        for done in range(len(items)):
            while not in_process and submitted < len(items) and len(pending) <= ahead:
                try:
                    pending.append(pool.submit(fn, items[submitted]))
                    submitted += 1
                except (OSError, BrokenProcessPool) as exc:  # a worker could not be started (no memory, no pids)
                    log.warning("the worker processes could not start (%s); finishing in this process", exc)
                    in_process = True
            if in_process:
                yield fn(items[done])
                continue
            try:
                result = pending.popleft().result()
            except BrokenProcessPool as exc:  # a worker died: the pool fails every task it holds
                log.warning("a worker process died (%s); finishing in this process", exc)
                in_process = True
                result = fn(items[done])
            yield result
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _exit_with_parent(parent: int) -> None:
    """In each worker: exit as soon as the process that started it is gone. A killed run (SIGKILL, out of
    memory) cannot shut its pool down, and a worker waiting for its next task would otherwise wait for ever."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
