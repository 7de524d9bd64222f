"""Map a function over items in worker processes, a bounded number ahead, results in order.

For CPU-bound work that Python threads cannot share out (decoding and normalizing OTLP landing files): each
worker is a fresh interpreter (``spawn``, so nothing of the parent's threads or locks is inherited). Results
arrive in the items' order and at most ``ahead`` are computed and held beyond the one being consumed, so
memory stays bounded. An exception raised by ``fn`` reaches the consumer as it would in-process. A worker
that dies (killed, out of memory) breaks the pool: the item it held and every later one are then computed
in this process, with a warning, so the caller's results are the same either way. Workers exit on their own
when the process that started them dies.
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
    gets the warning when a worker dies."""
    ahead = workers + 1 if ahead is None else ahead
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context(START_METHOD),
        initializer=_exit_with_parent,
        initargs=(os.getpid(),),
    )
    pending: deque[tuple[T, Future]] = deque()
    queue = iter(items)
    broken = False
    try:
        for item in queue:
            pending.append((item, pool.submit(fn, item)))
            if len(pending) > ahead:
                result, broken = _result(fn, *pending.popleft(), log)
                yield result
                if broken:
                    break
        while pending:
            item, future = pending.popleft()
            if broken:
                yield fn(item)
                continue
            result, broken = _result(fn, item, future, log)
            yield result
        for item in queue:  # what was never submitted, once the pool broke
            yield fn(item)
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


def _result(fn: Callable[[T], R], item: T, future: Future, log: Any) -> tuple[R, bool]:
    """The future's result, or ``fn(item)`` computed here if the pool broke (then True)."""
    try:
        return future.result(), False
    except BrokenProcessPool as exc:
        log.warning("a worker process died (%s); finishing in this process", exc)
        return fn(item), True
