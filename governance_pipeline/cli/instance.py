"""The Dagster instance the CLI works against: ``DAGSTER_HOME`` (default ``.dagster_home``)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from dagster import DagsterInstance


def dagster_home() -> Path:
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        home = str(Path(".dagster_home").resolve())
        os.environ["DAGSTER_HOME"] = home
    path = Path(home)
    path.mkdir(parents=True, exist_ok=True)
    if not (path / "dagster.yaml").exists() and Path("dagster.yaml").exists():
        shutil.copy("dagster.yaml", path / "dagster.yaml")
    return path


def get_instance() -> DagsterInstance:
    dagster_home()
    return DagsterInstance.get()
