"""The marts in Dagster: partitioned runs of one day, checks, the report asset, dependencies and pools."""

from __future__ import annotations

from pathlib import Path

import duckdb
import orjson

import dagster as dg
from governance_pipeline import settings
from governance_pipeline.defs.build import build_definitions
from governance_pipeline.defs.marts import build
from governance_pipeline.defs.resources import default_resources
from governance_pipeline.sources_file import parse_sources
from tests.marts.lakes import NDJSON_MAPPING, ndjson_records, pull_ndjson, span_rows, write_rows
from tests.support.ocsf_validator import validate


def _sources(env):
    text = orjson.dumps(
        {
            "sources": [
                {
                    "id": "acme_ndjson",
                    "type": "local_ndjson",
                    "startDate": "2026-09-20",
                    "config": {"path": str(env / "inbox"), "eventMapping": NDJSON_MAPPING},
                },
                {
                    "id": "otel_app",
                    "type": "local_ndjson",
                    "startDate": "2026-09-25",
                    "config": {"path": str(env / "inbox2"), "eventMapping": NDJSON_MAPPING},
                },
            ]
        }
    ).decode()
    return parse_sources(text, "sources.yaml")


def test_marts_definitions_shape(env):
    sources = _sources(env)
    defs = build_definitions(sources)
    graph = defs.resolve_asset_graph()
    kpis = graph.get(dg.AssetKey("governance_kpis"))
    assert {dg.AssetKey(["events", "acme_ndjson"]), dg.AssetKey(["events", "otel_app"])} <= set(kpis.parent_keys)
    assert kpis.partitions_def.get_first_partition_key() == "2026-09-20"
    assert dg.AssetKey("governance_kpis") in graph.get(dg.AssetKey("governance_ocsf_events")).parent_keys
    for name in ("governance_kpis", "governance_ocsf_events"):
        node = defs.resolve_assets_def(name).node_def
        assert node.pool == "duckdb_writer"
    checks = {k.name for k in graph.asset_check_keys}
    assert {
        "kpis_match_lake",
        "kpis_unique_keys",
        "sources_fresh",
        "ocsf_match_lake",
        "ocsf_unique_keys",
        "ocsf_sample_valid",
    } <= checks


def test_materialize_one_day_then_another_with_checks_and_report(env):
    sources = _sources(env)
    lake = settings.lake_root()
    pull_ndjson(lake, env / "inbox", ndjson_records())
    write_rows(lake, span_rows())
    resources = default_resources()  # from the env fixture's GOVERNANCE_* variables, as the code location binds them
    defs = build(sources)
    by_key = {a.key.to_user_string(): a for a in defs.assets}
    marts = [by_key["governance_kpis"], by_key["governance_ocsf_events"]]
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        marts + list(defs.asset_checks), partition_key="2026-10-01", instance=instance, resources=resources
    )
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    by_name = {e.check_name: e for e in evaluations}
    # only 2026-10-01 is built so far: the per-date comparison with the lake must say so
    assert not by_name["kpis_match_lake"].passed and not by_name["ocsf_match_lake"].passed
    assert by_name["kpis_unique_keys"].passed and by_name["ocsf_sample_valid"].passed
    mats = result.asset_materializations_for_node("governance_kpis")
    assert mats[0].metadata["lake_events"].value == 14
    con = duckdb.connect(str(settings.duckdb_path()), read_only=True)
    assert con.execute("SELECT DISTINCT date::VARCHAR FROM governance_ocsf_events").fetchall() == [("2026-10-01",)]
    con.close()

    result = dg.materialize(
        marts + list(defs.asset_checks),
        instance=instance,
        resources=resources,
        tags={"dagster/asset_partition_range_start": "2026-10-02", "dagster/asset_partition_range_end": "2026-10-03"},
    )
    assert result.success
    by_name = {e.check_name: e for e in result.get_asset_check_evaluations()}
    for name in ("kpis_match_lake", "ocsf_match_lake", "kpis_unique_keys", "ocsf_unique_keys", "ocsf_sample_valid"):
        assert by_name[name].passed, (name, by_name[name].metadata)
    assert not by_name["sources_fresh"].passed  # fixtures are from 2026-10; a warning, not an error
    assert by_name["sources_fresh"].severity == dg.AssetCheckSeverity.WARN
    con = duckdb.connect(str(settings.duckdb_path()), read_only=True)
    for (text,) in con.execute("SELECT ocsf_json FROM governance_ocsf_events").fetchall():
        assert validate(text) == []
    con.close()

    report = dg.materialize([by_key["governance_report"]], instance=instance, resources=resources)
    meta = report.asset_materializations_for_node("governance_report")[0].metadata
    path = meta["path"].value
    assert path.startswith(str(settings.reports_dir())) and Path(path).read_text().startswith("<!doctype html>")
    assert meta["url"].value.startswith("file://")
    assert meta["sources"].value == {"acme_ndjson": "active", "otel_app": "active"}
