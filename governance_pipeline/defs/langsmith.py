"""Dagster pieces of the LangSmith sources: the ``langsmith_dataset``, ``langsmith_example`` and
``langsmith_run`` assets (DuckDB marts tables built from the lake's ``langsmith/`` Parquet), their key checks,
the job that refreshes them; the automation sensor rebuilds them after each pull that lands data.
"""

import duckdb

import dagster as dg
from governance_pipeline import settings
from governance_pipeline.config.models import SourcesFile
from governance_pipeline.defs.automation import after_new_data
from governance_pipeline.langsmith.marts import materialize
from governance_pipeline.langsmith.tables import KEYS

LANGSMITH_TYPES = ("langsmith", "langsmith_bulk_export")
TABLES = ("langsmith_dataset", "langsmith_example", "langsmith_run")
JOB_NAME = "langsmith_tables"
DESCRIPTIONS = {
    "langsmith_dataset": "LangSmith datasets, one row per dataset_id (newest full snapshot of each source).",
    "langsmith_example": "LangSmith dataset examples, one row per example_id (newest full snapshot of each source).",
    "langsmith_run": "LangSmith runs (REST and bulk export), one row per run_id: the finished, newest version.",
}


def _key_check(table: str) -> dg.AssetCheckResult:
    key = KEYS[table]
    with duckdb.connect(str(settings.duckdb_path()), read_only=True) as con:
        rows, keys, nulls = con.execute(
            f'SELECT count(*), count(DISTINCT "{key}"), count(*) FILTER (WHERE "{key}" IS NULL) FROM "{table}"'
        ).fetchone() or (0, 0, 0)
    return dg.AssetCheckResult(
        check_name=f"{key}_unique",
        passed=rows == keys and nulls == 0,
        metadata={"rows": rows, "distinct_keys": keys, "null_keys": nulls},
    )


def _table_asset(table: str, deps: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        name=table,
        deps=deps,
        pool="duckdb_writer",
        group_name="langsmith",
        kinds={"duckdb", "parquet"},
        description=DESCRIPTIONS[table],
        automation_condition=after_new_data(),
        check_specs=[
            dg.AssetCheckSpec(
                f"{KEYS[table]}_unique", asset=table, description=f"{KEYS[table]} is unique and never null"
            )
        ],
    )
    def _asset(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        result = materialize(settings.lake_root(), settings.duckdb_path(), table)
        context.log.info(f"{table}: {result.rows} rows from {result.versions} stored versions")
        return dg.MaterializeResult(
            metadata={"rows": result.rows, "stored_versions": result.versions, "duckdb": str(settings.duckdb_path())},
            check_results=[_key_check(table)],
        )

    return _asset


def build(sources_file: SourcesFile) -> dg.Definitions:
    sources = [s for s in sources_file.sources if s.type in LANGSMITH_TYPES]
    if not sources:
        return dg.Definitions()
    deps = [dg.AssetKey(s.asset_key) for s in sources]
    assets = [_table_asset(t, deps) for t in TABLES]
    job = dg.define_asset_job(
        JOB_NAME,
        selection=dg.AssetSelection.assets(*TABLES),
        description="Rebuild the LangSmith tables in the DuckDB marts from the lake.",
    )
    return dg.Definitions(assets=assets, jobs=[job])
