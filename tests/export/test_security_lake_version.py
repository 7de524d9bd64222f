"""Security Lake custom sources accept OCSF up to 1.3: ``ocsfVersion`` (default 1.3.0) down-levels each event,
and every exported row validates against that version's API Activity schema (tests/fixtures/ocsf/1.3.0)."""

from __future__ import annotations

import duckdb
import orjson
import pyarrow.parquet as pq
import pytest

from governance_pipeline.config import ConfigError
from governance_pipeline.export.ocsf_schema import schema_for
from governance_pipeline.export.ocsf_version import downlevel
from governance_pipeline.sources_file import parse_sources
from tests.export.helpers import download, sources_yaml
from tests.export.test_export_s3 import _drop_nulls, destination, export_all
from tests.support.ocsf_validator import default_schema, validate

SL = {
    "format": "security_lake",
    "prefix": "",
    "region": "eu-west-1",
    "accountId": "123456789012",
    "sourceName": "govpipe",
}


def _mart_events(db) -> list[dict]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return [orjson.loads(r[0]) for r in con.execute("SELECT ocsf_json FROM governance_ocsf_events").fetchall()]
    finally:
        con.close()


def test_the_marts_events_are_not_valid_ocsf_1_3(lake_and_db):
    """Why down-levelling is needed: the 1.8.0 events carry attributes 1.3.0 does not know."""
    events = _mart_events(lake_and_db[2])
    assert any(validate(e, schema=default_schema("1.3.0")) for e in events)


def test_downlevelled_events_are_valid_ocsf_1_3_with_the_ai_fields_under_unmapped(lake_and_db):
    events = _mart_events(lake_and_db[2])
    with_model = [e for e in events if "ai_model" in e]
    assert with_model, "the test lake has events with a model"
    for event in events:
        old = downlevel(event, "1.3.0")
        assert validate(old, schema=default_schema("1.3.0")) == [], old
        assert old["metadata"]["version"] == "1.3.0"
        assert not {"ai_operation", "trace"} & set(old["metadata"].get("profiles", []))
        if "ai_model" in event:
            assert "ai_model" not in old and old["unmapped"]["ai_model"] == event["ai_model"]
        if "trace" in event:
            assert old["unmapped"]["trace"] == event["trace"]
    assert downlevel(events[0], "1.8.0") == events[0]


@pytest.mark.parametrize(
    "extra, error",
    [
        ({"ocsfVersion": "1.4.0"}, "ocsfVersion: Input should be '1.3.0' or '1.8.0'"),
        (
            {"format": "ocsf", "region": None, "accountId": None, "sourceName": None, "ocsfVersion": "1.3.0"},
            "ocsfVersion only apply to format security_lake",
        ),
    ],
)
def test_ocsf_version_is_checked(tmp_path, extra, error):
    entry = {"id": "sl", "bucket": "b-sl", **SL, **extra}
    entry = {k: v for k, v in entry.items() if v is not None}
    with pytest.raises(ConfigError) as err:
        parse_sources(sources_yaml(tmp_path, [entry]))
    assert error in str(err.value)


def test_a_security_lake_export_defaults_to_ocsf_1_3_and_every_row_validates(
    s3_endpoint, lake_and_db, aws_env, tmp_path
):
    root, lake, db = lake_and_db
    dest = destination(root, s3_endpoint, **SL)
    assert dest.ocsfVersion == "1.3.0"
    export_all(dest, lake, db)
    files = download(s3_endpoint, dest.bucket, tmp_path)
    assert files
    schema = default_schema("1.3.0")
    rows = 0
    for f in files:
        assert pq.read_schema(f).names == schema_for("1.3.0").names
        for event in pq.read_table(f).to_pylist():
            rows += 1
            assert event["metadata"]["version"] == "1.3.0"
            assert validate(_drop_nulls(event), schema=schema) == [], event
    assert rows == 26
