"""How the marts' DuckDB file is written so that analysts can always open it read-only.

DuckDB lets one process hold a database file read-write, and while it does, no other process may open
the file at all (not even read-only). A build that held the file for minutes would lock analysts out, so
writers never open the published file read-write:

1. take an exclusive ``flock`` on ``<file>.lock`` (serialises writers across processes, in addition to the
   Dagster pool ``duckdb_writer``);
2. copy the published file to a hidden sibling and open *that* read-write;
3. build, ``CHECKPOINT``, close, fsync;
4. ``os.replace`` the sibling over the published name (atomic on POSIX).

A reader that opens the file during a build gets the previous version; a reader already connected keeps
reading the inode it opened. The cost is one file copy per write session (sequential I/O), which is small
next to a build. Every writer of this file (the LangSmith tables too) must go through ``write_session``.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def writer_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _recover_wal(path: Path) -> None:
    """A crashed direct writer may have left a WAL beside the file: replay it before copying."""
    if path.exists() and path.with_name(path.name + ".wal").exists():
        duckdb.connect(str(path)).close()


@contextmanager
def write_session(path: str | Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection to a private copy of ``path``, published atomically when the block succeeds."""
    path = Path(path)
    with writer_lock(path):
        _recover_wal(path)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.building")
        try:
            if path.exists():
                shutil.copyfile(path, tmp)
            con = duckdb.connect(str(tmp))
            try:
                con.execute("SET TimeZone = 'UTC'")
                # mart rows carry no meaningful order; without it DuckDB inserts in parallel
                con.execute("SET preserve_insertion_order = false")
                yield con
                con.execute("CHECKPOINT")
            finally:
                con.close()
            _fsync(tmp)
            os.replace(tmp, path)
            _fsync(path.parent)
        finally:
            for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
                if leftover.exists():
                    leftover.unlink()


def connect_read_only(path: str | Path, attempts: int = 20, delay: float = 0.05) -> duckdb.DuckDBPyConnection:
    """A read-only connection; retries briefly if a foreign writer holds the file (never ours, see above)."""
    for attempt in range(attempts):
        try:
            con = duckdb.connect(str(path), read_only=True)
            con.execute("SET TimeZone = 'UTC'")
            return con
        except duckdb.IOException:
            if attempt == attempts - 1:
                raise
            time.sleep(delay * (attempt + 1))
    raise AssertionError("unreachable")
