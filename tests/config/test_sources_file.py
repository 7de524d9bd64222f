"""The sources file: valid configs load; every invalid one fails with file, source id and key path."""

from __future__ import annotations

import pytest

from governance_pipeline.config import ConfigError
from governance_pipeline.config.credentials import CredentialError, resolve_credentials
from governance_pipeline.sources_file import parse_sources

GOOD = """
credentials:
  acme_creds:
    token: {env: ACME_TOKEN}
    literal: abc
sources:
  - id: acme_files
    type: local_ndjson
    name: Acme files
    organizationId: org_1
    startDate: "2026-10-01"
    retentionDays: 400
    config:
      path: /tmp/in
      eventMapping:
        source_event_id: $.id
        event_timestamp: $.created_at
        actor: $.user.email
        target: $.events[?(@.kind == 'model')].name
"""


def _src(config: str, extra: str = "", sid: str = "s1", typ: str = "local_ndjson") -> str:
    return f"sources:\n  - id: {sid}\n    type: {typ}\n{extra}    config:\n{config}"


MAPPING = "      path: /x\n      eventMapping:\n        source_event_id: $.id\n"

INVALID = [
    pytest.param(
        _src('      path: /x\n      eventMapping:\n        actor: "$.user["\n'),
        "sources.yaml: source 's1': config.eventMapping.actor: invalid JSONPath '$.user['",
        id="bad-jsonpath",
    ),
    pytest.param(
        _src("      path: /x\n      eventMapping:\n        actor: user.email\n"),
        "sources.yaml: source 's1': config.eventMapping.actor: invalid JSONPath 'user.email': must start with '$'",
        id="path-without-dollar",
    ),
    pytest.param(
        _src("      path: /x\n      eventMapping:\n        colour: $.c\n"),
        "sources.yaml: source 's1': config.eventMapping.colour: unknown key",
        id="unknown-mapping-field",
    ),
    pytest.param(
        _src(MAPPING + "      pollEvery: 5\n"),
        "sources.yaml: source 's1': config.pollEvery: unknown key",
        id="unknown-config-key",
    ),
    pytest.param(
        _src("      eventMapping: {}\n"), "sources.yaml: source 's1': config.path: Field required", id="missing-key"
    ),
    pytest.param(
        _src(MAPPING, sid="Bad-Id"), "sources.yaml: source 'Bad-Id': id: String should match pattern", id="bad-id"
    ),
    pytest.param(
        _src(MAPPING, typ="nope"), "sources.yaml: source 's1': type: unknown source type 'nope'", id="unknown-type"
    ),
    pytest.param(
        _src(MAPPING, extra="    colour: red\n"),
        "sources.yaml: source 's1': colour: unknown key",
        id="unknown-source-key",
    ),
    pytest.param(
        _src(MAPPING, extra="    startDate: yesterday\n"),
        "sources.yaml: source 's1': startDate: Input should be a valid date",
        id="bad-start-date",
    ),
    pytest.param(
        _src(MAPPING, extra="    retentionDays: 0\n"),
        "sources.yaml: source 's1': retentionDays: Input should be greater than 0",
        id="bad-retention",
    ),
    pytest.param("sauces: []\n", "sources.yaml: sauces: unknown key", id="unknown-top-key"),
    pytest.param(
        "credentials:\n  c:\n    token: {envv: X}\n",
        "sources.yaml: credentials.c.token.env: Field required",
        id="bad-credential",
    ),
    pytest.param("sources: [\n", "sources.yaml: line", id="bad-yaml"),
]


def test_valid_file_loads_typed_sources():
    sf = parse_sources(GOOD)
    (src,) = sf.sources
    assert (src.id, src.type, src.name, src.organization_id, str(src.start_date), src.retention_days) == (
        "acme_files",
        "local_ndjson",
        "Acme files",
        "org_1",
        "2026-10-01",
        400,
    )
    assert src.asset_key == ["events", "acme_files"]
    assert src.config.eventMapping.compiled.paths["actor"] == "$.user.email"


def test_start_date_defaults_to_30_days_before_today():
    from datetime import date

    sf = parse_sources(_src(MAPPING), today=date(2026, 11, 23))
    assert str(sf.sources[0].start_date) == "2026-10-24"


@pytest.mark.parametrize("text, expected", INVALID)
def test_invalid_configs_name_file_source_and_key_path(text, expected):
    with pytest.raises(ConfigError) as err:
        parse_sources(text)
    assert str(err.value).startswith(expected), str(err.value)


def test_every_problem_is_reported_one_line_each():
    text = (
        "sources:\n"
        "  - {id: a, type: local_ndjson, config: {path: /x, eventMapping: {actor: '$.['}}}\n"
        "  - {id: b, type: nope}\n"
        "  - {id: a, type: local_ndjson, config: {path: /x, eventMapping: {}}}\n"
    )
    with pytest.raises(ConfigError) as err:
        parse_sources(text, file="conf/sources.yaml")
    lines = str(err.value).splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("conf/sources.yaml: source 'a': config.eventMapping.actor: invalid JSONPath")
    assert lines[1].startswith("conf/sources.yaml: source 'b': type: unknown source type 'nope'")
    assert lines[2] == "conf/sources.yaml: source 'a': id: duplicate source id"


def test_credentials_resolve_from_env_at_every_call(monkeypatch):
    sf = parse_sources(GOOD)
    monkeypatch.setenv("ACME_TOKEN", "tok-one-1234")
    assert resolve_credentials(sf.credentials, "acme_creds") == {"token": "tok-one-1234", "literal": "abc"}
    monkeypatch.setenv("ACME_TOKEN", "tok-two-5678")  # rotation is honoured: nothing is cached
    assert resolve_credentials(sf.credentials, "acme_creds")["token"] == "tok-two-5678"
    monkeypatch.delenv("ACME_TOKEN")
    with pytest.raises(CredentialError) as err:
        resolve_credentials(sf.credentials, "acme_creds")
    assert "ACME_TOKEN is not set" in str(err.value) and "tok-" not in str(err.value)
