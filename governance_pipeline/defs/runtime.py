"""The adapter runtime for a Dagster run: credentials resolved on demand, lake root from the environment."""

from __future__ import annotations

import logging

from governance_pipeline import settings
from governance_pipeline.adapters.base import Runtime
from governance_pipeline.config.credentials import resolve_credentials
from governance_pipeline.config.models import SourcesFile


def make_runtime(sources_file: SourcesFile, log: logging.Logger | None = None, run_id: str = "local") -> Runtime:
    return Runtime(
        credentials=lambda ref: resolve_credentials(sources_file.credentials, ref),
        lake_root=settings.lake_root(),
        log=log or logging.getLogger("governance_pipeline"),
        run_id=run_id,
    )
