"""The Dagster code location: every definition is built from the sources file (``GOVERNANCE_SOURCES``)."""

from governance_pipeline.defs.build import build_definitions

defs = build_definitions()
