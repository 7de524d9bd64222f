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
