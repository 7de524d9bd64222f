"""The pipeline as a Dagster component, for ``dg`` projects.

A project adds it with a ``defs.yaml`` in its defs folder::

    type: governance_pipeline.component.GovernancePipeline
    attributes:
      sources_file: sources.yaml      # relative to the folder of this defs.yaml (or absolute)

and gets the same definitions as ``workspace.yaml`` loads (``governance_pipeline.definitions``): per source the
asset, the pull job and its trigger, the marts, the report, the exports, the automation sensor. The lake, the
DuckDB file and the reports folder come from the usual settings (README "Settings").
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from governance_pipeline.config.models import SourcesFile
from governance_pipeline.sources_file import load_sources


class GovernancePipeline(dg.Component, dg.Model, dg.Resolvable):
    """One audit trail of AI-platform activity: every source of a sources file, the lake, the marts, OCSF."""

    sources_file: str

    def load_sources(self, base: Path) -> SourcesFile:
        path = Path(self.sources_file)
        return load_sources(path if path.is_absolute() else base / path)

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        from governance_pipeline.defs.build import build_definitions

        return build_definitions(self.load_sources(context.path))
