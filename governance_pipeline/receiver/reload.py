"""Re-read the sources file while the receiver runs: a new ``otel_generic`` source is accepted within
seconds and a removed one gets 404, without a restart.

The file's (mtime, size, inode) is polled every ``interval`` seconds; on a change it is loaded and validated
in full, and only a file that loads replaces the routes (one attribute swap, so a request sees the old or
the new table, never a mix). A broken edit is logged and the last good routes stay in force.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger("governance_pipeline.receiver")


class SourcesWatcher:
    def __init__(self, app: Any, path: str | Path, interval: float = 1.0):
        self.app = app
        self.path = Path(path)
        self.interval = interval
        self.reloads = 0
        self._stamp = self._stat()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size, st.st_ino

    def check(self) -> bool:
        """Reload if the file changed since the last look; True when new routes are in force."""
        from governance_pipeline.config.errors import ConfigError
        from governance_pipeline.receiver.app import routes_from
        from governance_pipeline.sources_file import load_sources

        stamp = self._stat()
        if stamp == self._stamp or stamp is None:
            return False
        self._stamp = stamp
        try:
            routes = routes_from(load_sources(self.path))
        except ConfigError as exc:
            log.error("sources file changed but does not load; keeping the previous sources:\n%s", exc)
            return False
        before = set(self.app.routes)
        self.app.routes = routes
        self.reloads += 1
        added, removed = sorted(set(routes) - before), sorted(before - set(routes))
        log.warning("sources file reloaded: added %s, removed %s", added or "none", removed or "none")
        return True

    def start(self) -> SourcesWatcher:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="sources-watcher", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.check()
            except Exception:  # never let a surprise end the watching; the receiver keeps serving
                log.exception("checking the sources file failed")
