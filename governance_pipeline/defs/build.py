"""Assemble the code location from the builders listed in ``defs.BUILDERS``."""

from __future__ import annotations

import importlib
import warnings

import dagster as dg
from governance_pipeline.config import load_sources
from governance_pipeline.config.models import SourcesFile
from governance_pipeline.defs import BUILDERS


def quiet_dagster_warnings() -> None:
    """backfill_policy and pools are marked beta/preview in Dagster 1.13; we rely on them deliberately."""
    warnings.filterwarnings("ignore", category=dg.BetaWarning)
    warnings.filterwarnings("ignore", category=dg.PreviewWarning)


quiet_dagster_warnings()


def build_definitions(sources_file: SourcesFile | None = None) -> dg.Definitions:
    sources_file = sources_file or load_sources()
    parts = []
    for target in BUILDERS:
        module_name, _, attr = target.partition(":")
        parts.append(getattr(importlib.import_module(module_name), attr)(sources_file))
    return dg.Definitions.merge(*parts)
