"""Paths and settings from the environment (README, "Settings"). Read on every call, never cached."""

from __future__ import annotations

import os
from pathlib import Path


def sources_path() -> Path:
    return Path(os.environ.get("GOVERNANCE_SOURCES", "sources.yaml"))


def lake_root() -> str:
    """The lake root: a local folder (absolute path) or an ``s3://bucket/prefix`` URI."""
    root = os.environ.get("GOVERNANCE_LAKE", "data/lake")
    if root.startswith("s3://"):
        return root.rstrip("/")
    return str(Path(root).resolve())


def duckdb_path() -> Path:
    return Path(os.environ.get("GOVERNANCE_DUCKDB", "data/governance.duckdb")).resolve()


def reports_dir() -> Path:
    return Path(os.environ.get("GOVERNANCE_REPORTS", "data/reports")).resolve()


def pull_workers() -> int:
    """Processes that decode landing files in a pull: ``GOVERNANCE_PULL_WORKERS``, default one per core this
    process may use (at most 4); 1 decodes in the pull's own process."""
    configured = os.environ.get("GOVERNANCE_PULL_WORKERS", "").strip()
    if configured:
        try:
            return max(1, int(configured))
        except ValueError:
            raise ValueError(f"GOVERNANCE_PULL_WORKERS must be a whole number, got {configured!r}") from None
    return min(4, usable_cores())


def usable_cores(cpu_max: Path = Path("/sys/fs/cgroup/cpu.max")) -> int:
    """The cores this process may run on: its CPU affinity, capped by a cgroup v2 CPU quota (a container's CPU
    limit), which ``os.cpu_count()`` ignores: it counts the host's cores."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        quota, period = cpu_max.read_text().split()[:2]
        if quota != "max":
            cores = min(cores, max(1, int(quota) // int(period)))
    except (OSError, ValueError):  # no cgroup v2 CPU controller here
        pass
    return max(1, cores)
