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
    """Processes that decode landing files in a pull: ``GOVERNANCE_PULL_WORKERS``, default one per core (at most
    4); 1 decodes in the pull's own process."""
    configured = os.environ.get("GOVERNANCE_PULL_WORKERS", "").strip()
    if configured:
        try:
            return max(1, int(configured))
        except ValueError:
            raise ValueError(f"GOVERNANCE_PULL_WORKERS must be a whole number, got {configured!r}") from None
    return max(1, min(4, os.cpu_count() or 1))
