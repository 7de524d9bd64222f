"""The quality checks fail when the marts drift from the lake; the report is one offline HTML page."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime, timedelta

import pytest

from governance_pipeline.lake.store import LakeStore
from governance_pipeline.marts import checks
from governance_pipeline.marts.build import build_marts
from governance_pipeline.marts.dbfile import connect_read_only, write_session
from governance_pipeline.marts.report import build_report
from governance_pipeline.marts.usage import register_counted_lake
from tests.marts.lakes import ndjson_records, pull_ndjson, span_rows, write_rows


@pytest.fixture
def built(tmp_path):
    lake = str(tmp_path / "lake")
    pull_ndjson(lake, tmp_path / "inbox", ndjson_records())
    write_rows(lake, span_rows())
    db = tmp_path / "g.duckdb"
    build_marts(db, lake)
    return lake, db


def _run(db, lake, fn):
    con = connect_read_only(db)
    try:
        register_counted_lake(con, lake)
        return fn(con)
    finally:
        con.close()


ALL = [
    checks.kpis_match_lake,
    checks.ocsf_match_lake,
    checks.ocsf_sample_valid,
    lambda c: checks.unique_keys(c, "governance_kpis", ("date", "source_id", "actor", "target")),
    lambda c: checks.unique_keys(c, "governance_ocsf_events", ("source_id", "source_event_id")),
]


def test_checks_pass_on_a_fresh_build(built):
    lake, db = built
    for fn in ALL:
        outcome = _run(db, lake, fn)
        assert outcome.passed, outcome


def test_checks_fail_when_the_lake_moves_on_or_rows_are_duplicated(built, tmp_path):
    lake, db = built
    late = [dict(r, id=f"late_{i}") for i, r in enumerate(ndjson_records(1, 2))]
    pull_ndjson(lake, tmp_path / "inbox", late)
    outcome = _run(db, lake, checks.kpis_match_lake)
    assert not outcome.passed and outcome.metadata["first_mismatches"][0].startswith("2026-10-01")
    assert not _run(db, lake, checks.ocsf_match_lake).passed
    with write_session(db) as con:
        con.execute("INSERT INTO governance_ocsf_events SELECT * FROM governance_ocsf_events LIMIT 1")
        con.execute("INSERT INTO governance_kpis SELECT * FROM governance_kpis LIMIT 1")
        con.execute(
            "UPDATE governance_ocsf_events SET ocsf_json = replace(ocsf_json, '\"src_endpoint\"', '\"src\"') "
            "WHERE source_event_id = 'evt_0005'"
        )
    assert not _run(db, lake, ALL[3]).passed
    assert not _run(db, lake, ALL[4]).passed
    sample = _run(db, lake, lambda c: checks.ocsf_sample_valid(c, 1000))
    assert not sample.passed and "src_endpoint" in sample.metadata["examples"][0]


def test_freshness_per_source():
    now = datetime(2026, 10, 5, tzinfo=UTC)
    last = {"a": now - timedelta(hours=1), "b": now - timedelta(days=3)}
    outcome = checks.sources_fresh(last, ["a", "b", "c"], now, timedelta(hours=48))
    assert not outcome.passed and "b (last event" in outcome.summary and "c (no events)" in outcome.summary
    assert checks.sources_fresh(last, ["a"], now, timedelta(hours=48)).passed


def test_report_is_self_contained_with_health_and_spend(built, tmp_path):
    lake, db = built
    store = LakeStore(lake)
    store.write_bytes("quarantine/source_id=acme_ndjson/date=2026-10-03/x.ndjson", b'{"line": 1}\n')
    now = datetime(2026, 10, 3, 12, tzinfo=UTC)
    report = build_report(
        db,
        lake,
        {"acme_ndjson": "local_ndjson", "otel_app": "otel_generic", "quiet": "http_polling", "broken": "s3_polling"},
        tmp_path / "reports",
        statuses={"broken": {"status": "error", "error": "403 from bucket"}},
        now=now,
    )
    html = report.path.read_text()
    assert report.path.name == "governance_report.html"
    health = {h.source_id: h for h in report.health}
    assert health["acme_ndjson"].status == "error" and health["acme_ndjson"].quarantine_files == 1
    assert health["otel_app"].status == "active" and health["otel_app"].errors == 1
    assert health["quiet"].status == "awaiting_first_event"
    assert health["broken"].status == "error" and "403 from bucket" in html
    assert report.data.totals["events"] == 26
    assert "<svg" in html and html.count("<rect") >= 3 and "dana.lee@example.com" in html and "gpt-4o" in html
    # offline: no scripts, stylesheets, fonts or images from anywhere
    assert not re.search(r"<script|<link|<img|@import|url\(|https?://(?!www\.w3\.org/2000/svg)", html)


def test_report_before_any_build(tmp_path):
    report = build_report(tmp_path / "missing.duckdb", str(tmp_path / "lake"), {"a": "local_ndjson"}, tmp_path)
    assert "awaiting_first_event" in report.path.read_text()
    shutil.rmtree(tmp_path / "lake", ignore_errors=True)


def test_govpipe_marts_build_and_report(env, tmp_path):
    import subprocess
    import sys

    from governance_pipeline import settings
    from tests.conftest import REPO

    lake = settings.lake_root()
    pull_ndjson(lake, tmp_path / "inbox", ndjson_records())
    (env / "sources.yaml").write_text(
        f"sources:\n  - id: acme_ndjson\n    type: local_ndjson\n    config:\n"
        f"      path: {tmp_path / 'inbox'}\n      eventMapping: {{source_event_id: $.id}}\n"
    )
    govpipe = [str(__import__("pathlib").Path(sys.executable).parent / "govpipe")]
    env_vars = dict(__import__("os").environ, GOVERNANCE_SOURCES=str(env / "sources.yaml"))
    out = subprocess.run(
        govpipe + ["marts", "build", "--from", "2026-10-01", "--to", "2026-10-02"],
        cwd=REPO,
        env=env_vars,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "lake_events=12" in out.stdout and "governance_ocsf_events=12" in out.stdout
    out = subprocess.run(
        govpipe + ["marts", "report"], cwd=REPO, env=env_vars, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("governance_report.html")
    bad = subprocess.run(
        govpipe + ["marts", "build", "--date", "yesterday"],
        cwd=REPO,
        env=env_vars,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
