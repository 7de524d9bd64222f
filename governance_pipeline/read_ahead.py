"""Run an iterator on a worker thread, a bounded number of items ahead of its consumer.

Fetching and inflating the next object (network reads and gzip release the GIL) then overlaps with mapping
and writing the current one on the second core. Items arrive in order; an exception raised by the source
reaches the consumer at the same place in the sequence; a consumer that stops early stops the worker.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

_DONE = object()
_POLL_SECONDS = 0.1


def read_ahead(source: Iterator[T], depth: int = 2, name: str = "read-ahead") -> Iterator[T]:
    """The items of ``source``, produced on a worker thread at most ``depth`` items ahead."""
    items: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(entry: tuple) -> bool:
        while not stop.is_set():
            try:
                items.put(entry, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in source:
                if not put((item, None)):
                    return
            put((_DONE, None))
        except BaseException as exc:  # handed to the consumer, raised there
            put((_DONE, exc))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=work, name=name, daemon=True)
    worker.start()
    try:
        while True:
            item, exc = items.get()
            if exc is not None:
                raise exc
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        worker.join()


def ordered_map(fn: Callable[[T], R], items: Iterator[T], workers: int = 2, ahead: int = 3) -> Iterator[R]:
    """``fn`` of each item, computed by ``workers`` threads up to ``ahead`` items ahead, yielded in order."""
    pending: deque[Future] = deque()
    pool = ThreadPoolExecutor(workers, thread_name_prefix="ordered-map")
    try:
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) > ahead:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
