"""Export one day to a destination: pick the reader by format, write, replace. The Dagster asset loops days."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path

from governance_pipeline.export import readers
from governance_pipeline.export.config import Destination
from governance_pipeline.export.errors import DestinationError, DestinationProblem, describe
from governance_pipeline.export.ocsf_version import MARTS_VERSION
from governance_pipeline.export.s3 import s3_client
from governance_pipeline.export.writer import DayResult, StaleObjectsLeft, write_day


def export_day(
    dest: Destination, day: date, *, credentials: Mapping, lake_root: str, duckdb_path: Path, client=None
) -> DayResult:
    """Replace ``day``'s objects at ``dest``; raises ``DestinationError`` for destination problems."""
    try:
        client = client or s3_client(dest, credentials)
        if dest.format == "events":
            groups = readers.lake_events(lake_root, day)
        elif dest.format == "ocsf":
            groups = readers.ocsf_rows(duckdb_path, day)
        else:
            groups = readers.ocsf_structs(duckdb_path, day, dest.ocsfVersion or MARTS_VERSION)
        if dest.format != "events":
            _require_ocsf_day(duckdb_path, lake_root, day)
        return write_day(client, dest, day, groups)
    except readers.OcsfNotBuilt:
        raise
    except StaleObjectsLeft as exc:
        problem = describe(exc.cause, dest, "delete from")
        left = "emptied but not deleted" if exc.emptied else "not deleted (the day is unchanged)"
        problem = DestinationProblem(problem.kind, f"{problem.message}; {exc.count} stale object(s) of {day} {left}")
        raise DestinationError(problem) from None
    except Exception as exc:
        problem = describe(exc, dest)
        if problem.kind == "error":
            raise
        raise DestinationError(problem) from None


def _require_ocsf_day(duckdb_path: Path, lake_root: str, day: date) -> None:
    """Never empty a day at the destination because the OCSF mart has not been built for it yet."""
    if not readers.ocsf_count(duckdb_path, day) and readers.lake_sources(lake_root, day):
        raise readers.OcsfNotBuilt(
            f"{readers.OCSF_TABLE} has no rows for {day} but the lake has events: "
            "materialize that partition of it first"
        )
