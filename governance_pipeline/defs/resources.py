"""Dagster resources: where the lake and the marts live (the model: dagster-open-platform's
``defs/claude/resources.py``, ``ConfigurableResource`` with ``EnvVar``).

Assets, ops and sensors take them as parameters instead of reading the environment in their bodies, and tests
pass their own. ``default_resources()`` binds each setting of the README's "Settings" to its environment
variable when it is set (``EnvVar``, so the UI shows where the value comes from and the run worker resolves
it), else to the documented default. Relative paths resolve against the run's working directory.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dagster as dg


class LakeResource(dg.ConfigurableResource):
    """The Parquet lake: a local folder or ``s3://bucket/prefix`` (S3 endpoint from the ``AWS_*`` variables)."""

    root: str = "data/lake"

    def resolved_root(self) -> str:
        if self.root.startswith("s3://"):
            return self.root.rstrip("/")
        return str(Path(self.root).resolve())


class MartsResource(dg.ConfigurableResource):
    """The DuckDB file holding the marts, and the folder the HTML report is written to."""

    duckdb_path: str = "data/governance.duckdb"
    reports_dir: str = "data/reports"

    def db_path(self) -> Path:
        return Path(self.duckdb_path).resolve()

    def reports_path(self) -> Path:
        return Path(self.reports_dir).resolve()


def default_resources() -> dict[str, dg.ConfigurableResource]:
    """``lake`` and ``marts`` from ``GOVERNANCE_LAKE``, ``GOVERNANCE_DUCKDB`` and ``GOVERNANCE_REPORTS``."""
    lake: dict[str, Any] = {}
    marts: dict[str, Any] = {}
    if os.environ.get("GOVERNANCE_LAKE"):
        lake["root"] = dg.EnvVar("GOVERNANCE_LAKE")
    if os.environ.get("GOVERNANCE_DUCKDB"):
        marts["duckdb_path"] = dg.EnvVar("GOVERNANCE_DUCKDB")
    if os.environ.get("GOVERNANCE_REPORTS"):
        marts["reports_dir"] = dg.EnvVar("GOVERNANCE_REPORTS")
    return {"lake": LakeResource(**lake), "marts": MartsResource(**marts)}
