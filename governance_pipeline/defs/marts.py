"""Dagster wiring of the marts: ``governance_kpis``, ``governance_ocsf_events``, their checks, the report.

Both marts are daily-partitioned by event date from the earliest source ``startDate`` and depend on every
``events/<id>``; a run rebuilds exactly its partition(s) (delete those dates, insert from the lake), in the pool
``duckdb_writer``. The DuckDB file is written through ``marts.dbfile.write_session`` (private copy, atomic swap),
so analysts can keep it open read-only during a run.
"""

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
from governance_pipeline.config.models import SourcesFile
from governance_pipeline.defs import state
from governance_pipeline.defs.automation import after_new_data
from governance_pipeline.defs.metadata import preview_md
from governance_pipeline.defs.partitions import daily_partitions
from governance_pipeline.defs.resources import LakeResource, MartsResource
from governance_pipeline.marts import checks
from governance_pipeline.marts.build import build_marts
from governance_pipeline.marts.dbfile import connect_read_only
from governance_pipeline.marts.query import scalar
from governance_pipeline.marts.report import build_report
from governance_pipeline.marts.usage import register_counted_lake

POOL = "duckdb_writer"
GROUP = "governance_marts"
FRESHNESS_HOURS = float(os.environ.get("GOVERNANCE_FRESHNESS_HOURS", "48"))


def _meta(value):
    if isinstance(value, (dict, list)):
        return dg.MetadataValue.json(value)
    return value


def _check_result(outcome: checks.CheckOutcome, severity=dg.AssetCheckSeverity.ERROR) -> dg.AssetCheckResult:
    metadata = {k: _meta(v) for k, v in outcome.metadata.items()}
    metadata["summary"] = outcome.summary
    return dg.AssetCheckResult(passed=outcome.passed, severity=severity, metadata=metadata)


def _with_lake(fn, lake: LakeResource, marts: MartsResource):
    """Run ``fn(con)`` on a read-only connection to the marts with the whole lake registered."""
    db = marts.db_path()
    con = connect_read_only(db) if db.exists() else None
    if con is None:
        return checks.CheckOutcome(False, f"{db} does not exist yet")
    try:
        register_counted_lake(con, lake.resolved_root())
        return fn(con)
    finally:
        con.close()


def _preview(db: Path, table: str, dates: list[str], order: str) -> tuple[int, str]:
    """Total rows of ``table`` and a markdown preview of the rows just built."""
    cols = (
        "source_id, source_event_id, severity_id, left(ocsf_json, 160) AS ocsf_json"
        if table == "governance_ocsf_events"
        else "* EXCLUDE (built_at)"
    )
    con = connect_read_only(db)
    try:
        total = scalar(con, f"SELECT count(*) FROM {table}")
        cur = con.execute(
            f"SELECT {cols} FROM {table} WHERE date IN (SELECT unnest(?::DATE[])) ORDER BY {order} LIMIT 8", [dates]
        )
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r)) for r in cur.fetchall()]
    finally:
        con.close()
    return total, preview_md(rows)


DAILY_CHECKS = {"kpis": "kpis_sums_match_lake_daily", "ocsf": "ocsf_rows_match_lake_daily"}
_DAILY_FNS = {"kpis": checks.kpis_match_lake_days, "ocsf": checks.ocsf_match_lake_days}


def _daily_evaluations(
    key: dg.AssetKey, mart: str, dates: list[str], lake: LakeResource, marts: MartsResource
) -> list[dg.AssetCheckEvaluation]:
    """The mart's per-day check (its sums against the lake), one evaluation per partition built."""
    con = connect_read_only(marts.db_path())
    try:
        register_counted_lake(con, lake.resolved_root(), dates)
        outcomes = _DAILY_FNS[mart](con, dates)
    finally:
        con.close()
    return [
        dg.AssetCheckEvaluation(
            asset_key=key,
            check_name=DAILY_CHECKS[mart],
            passed=o.passed,
            partition=day,
            metadata={**{k: _meta(v) for k, v in o.metadata.items()}, "summary": o.summary},
        )
        for day, o in outcomes.items()
    ]


def _build_asset(name: str, mart: str, deps: list, partitions, description: str, order: str, automation=None):
    key = dg.AssetKey(name)
    check = dg.AssetCheckSpec(
        DAILY_CHECKS[mart],
        asset=key,
        partitions_def=partitions,
        description="per day (partition): the mart's totals equal the lake's",
    )

    # a multi_asset (of one) so the per-day check results are optional outputs: one evaluation per partition
    @dg.multi_asset(
        specs=[
            dg.AssetSpec(
                key,
                deps=deps,
                group_name=GROUP,
                kinds={"duckdb"},
                description=description,
                automation_condition=automation,
            )
        ],
        name=name,
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=POOL,
        can_subset=True,
        check_specs=[check],
    )
    def mart_asset(context: dg.AssetExecutionContext, lake: LakeResource, marts: MartsResource):
        dates = list(context.partition_keys)
        stats = build_marts(marts.db_path(), lake.resolved_root(), dates, marts=(mart,))
        total, preview = _preview(marts.db_path(), name, dates, order)
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={
                "dagster/row_count": dg.MetadataValue.int(total),
                "dates": f"{dates[0]} .. {dates[-1]}" if dates else "",
                "lake_events": dg.MetadataValue.int(stats.lake_events),
                "rows_written": dg.MetadataValue.json(stats.rows),
                "build_seconds": dg.MetadataValue.float(round(stats.seconds.get(mart, 0.0), 3)),
                "duckdb_path": dg.MetadataValue.path(str(marts.db_path())),
                "preview": dg.MetadataValue.md(preview),
            },
        )
        if check.key in context.selected_asset_check_keys:
            yield from _daily_evaluations(key, mart, dates, lake, marts)

    return mart_asset


def build(sources_file: SourcesFile) -> dg.Definitions:
    if not sources_file.sources:
        return dg.Definitions()
    partitions = daily_partitions(min(s.start_date for s in sources_file.sources))
    mapping = dg.TimeWindowPartitionMapping(allow_nonexistent_upstream_partitions=True)
    deps = [dg.AssetDep(dg.AssetKey(s.asset_key), partition_mapping=mapping) for s in sources_file.sources]
    kpis = _build_asset(
        "governance_kpis",
        "kpis",
        deps,
        partitions,
        automation=after_new_data(),
        order="cost_usd DESC",
        description="KPIs per date x source x actor x target (events, tokens, cost given/computed, errors, "
        "latency p50/p95, distinct actors), plus governance_source_daily, governance_spend_daily and "
        "the views governance_top_users, governance_top_models, governance_spend_anomalies.",
    )
    ocsf = _build_asset(
        "governance_ocsf_events",
        "ocsf",
        deps + [dg.AssetDep("governance_kpis")],
        partitions,
        automation=after_new_data(),
        order="time",
        description="One OCSF 1.8.0 API Activity (6003) event per lake event, as JSON text in ocsf_json; "
        "severity raised for errors and spend anomalies (from governance_kpis).",
    )

    @dg.asset_check(asset=kpis, description="per date, events/tokens/cost equal the lake's")
    def kpis_match_lake(lake: LakeResource, marts: MartsResource) -> dg.AssetCheckResult:
        return _check_result(_with_lake(checks.kpis_match_lake, lake, marts))

    @dg.asset_check(asset=kpis, description="no duplicate (date, source_id, actor, target)")
    def kpis_unique_keys(lake: LakeResource, marts: MartsResource) -> dg.AssetCheckResult:
        return _check_result(
            _with_lake(
                lambda c: checks.unique_keys(c, "governance_kpis", ("date", "source_id", "actor", "target")),
                lake,
                marts,
            )
        )

    source_ids = [s.id for s in sources_file.sources]

    @dg.asset_check(asset=kpis, description=f"every source has an event in the last {FRESHNESS_HOURS:g} h")
    def sources_fresh(lake: LakeResource, marts: MartsResource) -> dg.AssetCheckResult:
        outcome = _with_lake(
            lambda c: checks.sources_fresh(
                checks.last_events(c), source_ids, datetime.now(UTC), timedelta(hours=FRESHNESS_HOURS)
            ),
            lake,
            marts,
        )
        return _check_result(outcome, dg.AssetCheckSeverity.WARN)

    @dg.asset_check(asset=ocsf, description="one OCSF row per lake event, per date")
    def ocsf_match_lake(lake: LakeResource, marts: MartsResource) -> dg.AssetCheckResult:
        return _check_result(_with_lake(checks.ocsf_match_lake, lake, marts))

    @dg.asset_check(asset=ocsf, description="no duplicate (source_id, source_event_id)")
    def ocsf_unique_keys(lake: LakeResource, marts: MartsResource) -> dg.AssetCheckResult:
        return _check_result(
            _with_lake(
                lambda c: checks.unique_keys(c, "governance_ocsf_events", ("source_id", "source_event_id")), lake, marts
            )
        )

    @dg.asset_check(asset=ocsf, description="a random sample passes a structural OCSF 1.8.0 check")
    def ocsf_sample_valid(lake: LakeResource, marts: MartsResource) -> dg.AssetCheckResult:
        return _check_result(_with_lake(checks.ocsf_sample_valid, lake, marts))

    types = {s.id: s.type for s in sources_file.sources}

    @dg.asset(
        name="governance_report",
        deps=[kpis, ocsf],
        group_name=GROUP,
        kinds={"html"},
        automation_condition=after_new_data(),
    )
    def governance_report(
        context: dg.AssetExecutionContext, lake: LakeResource, marts: MartsResource
    ) -> dg.MaterializeResult:
        """A self-contained HTML report (spend over time, top users and models, per-source health)."""
        statuses = {sid: _state(context.instance, sid) for sid in types}
        report = build_report(marts.db_path(), lake.resolved_root(), types, marts.reports_path(), statuses)
        t = report.data.totals
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(report.path)),
                "url": dg.MetadataValue.url(report.path.as_uri()),
                "events": dg.MetadataValue.int(int(t.get("events", 0))),
                "cost_usd": dg.MetadataValue.float(float(t.get("cost_usd", 0.0))),
                "sources": dg.MetadataValue.json({h.source_id: h.status for h in report.health}),
            }
        )

    marts_job = dg.define_asset_job("governance_marts", selection=[kpis, ocsf], partitions_def=partitions)
    report_job = dg.define_asset_job("governance_report_job", selection=[governance_report])

    return dg.Definitions(
        assets=[kpis, ocsf, governance_report],
        asset_checks=[
            kpis_match_lake,
            kpis_unique_keys,
            sources_fresh,
            ocsf_match_lake,
            ocsf_unique_keys,
            ocsf_sample_valid,
        ],
        jobs=[marts_job, report_job],
    )


def _state(instance, source_id: str) -> dict:
    raw = state.load_state(instance, source_id)
    return {"status": raw.get("status"), "last_event_at": raw.get("last_event_at"), "error": raw.get("last_error")}
