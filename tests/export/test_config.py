"""The ``destinations:`` key: typed entries, every problem named with the destination and key path."""

from __future__ import annotations

import json

import pytest

from governance_pipeline.config.errors import ConfigError
from governance_pipeline.export import layout
from governance_pipeline.export.config import Destination
from governance_pipeline.sources_file import parse_sources

BASE = {"id": "lake_copy", "bucket": "gov-exports", "prefix": "/governance/", "region": "eu-west-1"}


def parse(destinations, credentials=None):
    doc = {"sources": [], "destinations": destinations}
    if credentials is not None:
        doc["credentials"] = credentials
    return parse_sources(json.dumps(doc), "sources.yaml")


def problems(destinations, credentials=None) -> list[str]:
    with pytest.raises(ConfigError) as err:
        parse(destinations, credentials)
    return str(err.value).splitlines()


def test_a_valid_destination_gets_its_defaults():
    sf = parse([dict(BASE, credentialRef="aws")], {"aws": {"accessKeyId": {"env": "K"}, "secretAccessKey": "s"}})
    (dest,) = sf.destinations
    assert isinstance(dest, Destination)
    assert (dest.format, dest.compression, dest.prefix, dest.endpointUrl) == ("events", "zstd", "governance", None)
    assert dest.asset_key == ["exports", "lake_copy"]


def test_unknown_keys_and_bad_values_are_named_with_the_destination():
    lines = problems([dict(BASE, colour="blue", compression="lz4", format="csv", bucket="Bad_Bucket")])
    assert "sources.yaml: destination 'lake_copy': colour: unknown key" in lines
    assert any(line.startswith("sources.yaml: destination 'lake_copy': compression: ") for line in lines)
    assert any(line.startswith("sources.yaml: destination 'lake_copy': format: ") for line in lines)
    assert any("destination 'lake_copy': bucket: not a valid bucket name" in line for line in lines)


def test_an_entry_without_id_is_named_by_index():
    lines = problems([{"bucket": "gov-exports"}])
    assert lines == ["sources.yaml: destinations[0].id: Field required"]


def test_endpoint_must_be_an_http_url():
    lines = problems([dict(BASE, endpointUrl="storage.googleapis.com")])
    assert lines == [
        (
            "sources.yaml: destination 'lake_copy': endpointUrl: invalid endpoint "
            "'storage.googleapis.com': expected http(s)://host[:port]"
        )
    ]
    dest = parse([dict(BASE, endpointUrl="https://storage.googleapis.com/")]).destinations[0]
    assert dest.endpointUrl == "https://storage.googleapis.com"


def test_unknown_credential_set_and_duplicate_ids():
    lines = problems([dict(BASE, credentialRef="nope"), BASE])
    assert "sources.yaml: destination 'lake_copy': credentialRef: unknown credential set 'nope'" in lines
    assert "sources.yaml: destination 'lake_copy': id: duplicate destination id" in lines


def test_security_lake_needs_its_layout_keys():
    lines = problems([dict(BASE, format="security_lake", region=None)])
    assert lines == ["sources.yaml: destination 'lake_copy': format security_lake needs accountId, sourceName, region"]
    lines = problems([dict(BASE, accountId="123456789012")])
    assert lines == ["sources.yaml: destination 'lake_copy': accountId only apply to format security_lake"]
    lines = problems([dict(BASE, format="security_lake", accountId="12", sourceName="govpipe")])
    assert lines[0].startswith("sources.yaml: destination 'lake_copy': accountId: String should match pattern")


def test_layouts():
    from datetime import date

    day = date(2026, 10, 3)
    events = parse([BASE]).destinations[0]
    assert layout.day_dir(events, day, "acme") == (
        "governance/export_id=lake_copy/source_id=acme/year=2026/month=10/day=03/"
    )
    sl = parse(
        [
            dict(
                BASE,
                prefix="",
                format="security_lake",
                accountId="123456789012",
                sourceName="govpipe",
                sourceVersion="1.0",
            )
        ]
    ).destinations[0]
    assert layout.day_dir(sl, day) == "ext/govpipe/1.0/region=eu-west-1/accountId=123456789012/eventDay=20261003/"
    assert layout.object_name(events, 7) == "part-0007.zstd.parquet"


def test_schedule_is_a_cron_expression():
    assert parse([dict(BASE, schedule="30 2 * * *")]).destinations[0].schedule == "30 2 * * *"
    (line,) = problems([dict(BASE, schedule="every day")])
    assert line.startswith("sources.yaml: destination 'lake_copy': schedule: invalid cron expression 'every day'")
