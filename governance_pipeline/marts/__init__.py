"""Governance marts in DuckDB: the lake scan, ``governance_kpis``, ``governance_ocsf_events``, checks, the report.

Pure SQL and Python, no Dagster: ``governance_pipeline/defs/marts.py`` wires these into assets and checks.
"""
