"""Group commit: concurrent requests share one durable write, and each is acknowledged only after it.

Request handlers (on the event loop) hand over ``(source_id, payload)`` and await a future. One writer thread
takes everything queued, writes one landing file per source (atomic and fsynced through ``LakeStore``), then
resolves the futures of exactly the requests that file covers. While a write is in progress, new requests
queue up and form the next group, so the number of fsyncs adapts to the load without a fixed delay.

The queue is capped (``max_queue_bytes``, payloads handed over and not yet settled): past it ``land`` raises
``LandingError`` at once, which the app answers with 503 and ``Retry-After``, so a slow disk or a burst makes
exporters back off instead of growing the process.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import defaultdict, deque
from datetime import UTC, datetime

from governance_pipeline.lake.store import LakeStore
from governance_pipeline.receiver import landing

log = logging.getLogger("governance_pipeline.receiver")


class LandingError(Exception):
    """The payload could not be stored durably; the client should retry."""


class GroupCommitter:
    def __init__(
        self, store: LakeStore, max_group_bytes: int = 64 << 20, linger_s: float = 0.0, max_queue_bytes: int = 256 << 20
    ):
        self.store = store
        self.max_group_bytes = max_group_bytes
        self.max_queue_bytes = max_queue_bytes
        self.queued_bytes = 0
        self.linger_s = linger_s
        self.writer = landing.new_writer_token()
        self._seq = 0
        self._pending: deque[tuple[str, bytes, asyncio.Future, asyncio.AbstractEventLoop]] = deque()
        self._cond = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.files_written = 0

    def start(self) -> None:
        if self._thread is None:
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="otlp-landing", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Write what is queued, then stop the writer thread."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    async def land(self, source_id: str, payload: bytes) -> None:
        """Return once ``payload`` is durable; raise ``LandingError`` if it could not be written."""
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        with self._cond:
            if self._stopping or self._thread is None:
                raise LandingError("the receiver is shutting down")
            if self.queued_bytes and self.queued_bytes + len(payload) > self.max_queue_bytes:
                raise LandingError(f"busy: {self.queued_bytes} bytes already wait for the landing write")
            self.queued_bytes += len(payload)
            self._pending.append((source_id, payload, fut, loop))
            self._cond.notify()
        await fut

    def _take(self) -> list:
        with self._cond:
            while not self._pending and not self._stopping:
                self._cond.wait()
            if not self._pending:
                return []
        if self.linger_s:
            time.sleep(self.linger_s)
        with self._cond:
            group: list[tuple[str, bytes, asyncio.Future, asyncio.AbstractEventLoop]] = []
            size = 0
            while self._pending and (not group or size + len(self._pending[0][1]) <= self.max_group_bytes):
                item = self._pending.popleft()
                group.append(item)
                size += len(item[1])
            return group

    def _run(self) -> None:
        while True:
            group = self._take()
            if not group:
                return
            by_source: dict[str, list] = defaultdict(list)
            for item in group:
                by_source[item[0]].append(item)
            for source_id, items in by_source.items():
                error: Exception | None = None
                try:
                    self._seq += 1
                    name = landing.file_name(datetime.now(UTC), self.writer, self._seq)
                    self.store.write_bytes(landing.file_path(source_id, name), b"".join(i[1] for i in items))
                    self.files_written += 1
                except Exception as exc:  # any storage failure must fail these requests, not the thread
                    log.error("landing %d request(s) for source %s failed: %s", len(items), source_id, exc)
                    error = LandingError(str(exc))
                with self._cond:
                    self.queued_bytes -= sum(len(i[1]) for i in items)
                for _, _, fut, loop in items:
                    loop.call_soon_threadsafe(_settle, fut, error)


def _settle(fut: asyncio.Future, error: Exception | None) -> None:
    if fut.done():
        return
    if error is None:
        fut.set_result(None)
    else:
        fut.set_exception(error)
