"""Dagster wiring only: everything here is built from the sources file and calls the pure modules.

``BUILDERS`` lists the functions ``build(sources_file) -> dagster.Definitions`` that make up the code
location; a capability with Dagster pieces of its own adds its builder here.
"""

BUILDERS: list[str] = [
    "governance_pipeline.defs.sources:build",
    "governance_pipeline.defs.retention:build",
    "governance_pipeline.defs.marts:build",
    "governance_pipeline.defs.langsmith:build",
    "governance_pipeline.defs.exports:build",
    "governance_pipeline.defs.automation:build",
]
