"""The Dagster instance the CLI works against: ``DAGSTER_HOME`` (default ``.dagster_home``)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from sqlalchemy.exc import IntegrityError, ProgrammingError

from dagster import DagsterInstance

# Two commands started at once against a new PostgreSQL database both create Dagster's tables; the one that loses
# the race gets "already exists" (DuplicateObject, DuplicateTable, a unique violation on pg_type). Its next try
# finds the tables made.
CREATE_RACE_TRIES = 5
CREATE_RACE_PAUSE_SECONDS = 0.5


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
    tries = 0
    while True:
        try:
            return DagsterInstance.get()
        except (ProgrammingError, IntegrityError) as exc:
            tries += 1
            if "already exists" not in str(exc) or tries >= CREATE_RACE_TRIES:
                raise
            time.sleep(CREATE_RACE_PAUSE_SECONDS * tries)
