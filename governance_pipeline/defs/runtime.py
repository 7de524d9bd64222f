"""The adapter runtime for a Dagster run: credentials resolved on demand, the lake from the ``lake`` resource."""

from __future__ import annotations

import logging

from governance_pipeline.config.credentials import resolve_credentials
from governance_pipeline.config.models import SourcesFile
from governance_pipeline.defs.resources import LakeResource
from governance_pipeline.pull_types import Runtime


def make_runtime(
    sources_file: SourcesFile, lake: LakeResource, log: logging.Logger | None = None, run_id: str = "local"
) -> Runtime:
    return Runtime(
        credentials=lambda ref: resolve_credentials(sources_file.credentials, ref),
        lake_root=lake.resolved_root(),
        log=log or logging.getLogger("governance_pipeline"),
        run_id=run_id,
    )
