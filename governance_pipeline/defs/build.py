"""Assemble the code location from the builders listed in ``defs.BUILDERS``."""

from __future__ import annotations

import importlib
import warnings

import dagster as dg
from governance_pipeline.config.models import SourcesFile
from governance_pipeline.defs import BUILDERS
from governance_pipeline.defs.resources import default_resources
from governance_pipeline.sources_file import load_sources


def quiet_dagster_warnings() -> None:
    """backfill_policy and pools are marked beta/preview in Dagster 1.13; we rely on them deliberately."""
    warnings.filterwarnings("ignore", category=dg.BetaWarning)
    warnings.filterwarnings("ignore", category=dg.PreviewWarning)


quiet_dagster_warnings()


def build_definitions(
    sources_file: SourcesFile | None = None, resources: dict[str, dg.ConfigurableResource] | None = None
) -> dg.Definitions:
    """Every builder's definitions, with the ``lake`` and ``marts`` resources: ``default_resources()``, where
    ``resources`` (tests pass their own) replaces them key by key."""
    sources_file = sources_file or load_sources()
    parts = []
    for target in BUILDERS:
        module_name, _, attr = target.partition(":")
        parts.append(getattr(importlib.import_module(module_name), attr)(sources_file))
    bound = {**default_resources(), **(resources or {})}
    return dg.Definitions.merge(*parts, dg.Definitions(resources=bound))
