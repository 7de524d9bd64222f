"""The Dagster assets ``langsmith_dataset``/``langsmith_example``/``langsmith_run`` materialise the marts."""

from __future__ import annotations

import duckdb

import dagster as dg
from governance_pipeline.defs.langsmith import JOB_NAME, TABLES, build
from governance_pipeline.defs.resources import LakeResource, MartsResource
from governance_pipeline.ingest import run_pull


def test_assets_materialise_tables_with_passing_key_checks(ls_env, tmp_path):
    db = tmp_path / "governance.duckdb"
    resources = {"lake": LakeResource(root=ls_env.lake), "marts": MartsResource(duckdb_path=str(db))}
    sf = ls_env.sources()
    run_pull(sf.source("ls"), ls_env.runtime(sf), None)
    parts = build(sf)
    defs = dg.Definitions.merge(parts, dg.Definitions(resources=resources))
    dg.Definitions.validate_loadable(defs)
    assert defs.resolve_job_def(JOB_NAME) is not None
    specs = {s.key.to_user_string(): s for s in defs.resolve_all_asset_specs()}
    assert set(TABLES) <= set(specs)
    assert [d.asset_key for d in specs["langsmith_run"].deps] == [dg.AssetKey(["events", "ls"])]
    result = dg.materialize([a for a in parts.assets if a.key.to_user_string() in TABLES], resources=resources)
    assert result.success
    checks = result.get_asset_check_evaluations()
    assert len(checks) == 3 and all(c.passed for c in checks)
    with duckdb.connect(str(db), read_only=True) as con:
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    assert counts == {"langsmith_dataset": 2, "langsmith_example": 6, "langsmith_run": 20}


def test_no_langsmith_source_no_definitions(ls_env):
    from governance_pipeline.sources_file import parse_sources

    sf = parse_sources("sources: []")
    assert not list(build(sf).assets or [])
