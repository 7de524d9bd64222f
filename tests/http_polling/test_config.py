"""Config validation: every problem is reported through the loader with its key path and an exact message."""

from __future__ import annotations

import pytest

from governance_pipeline.config.errors import ConfigError
from tests.http_polling.helpers import CREDS, audit_config, sources

PREFIX = "sources.yaml: source 'acme_audit': "


def problems(config: dict, credentials=CREDS, type_="http_polling") -> list[str]:
    with pytest.raises(ConfigError) as err:
        sources(config, type_=type_, credentials=credentials)
    return str(err.value).splitlines()


def test_seed_pull_config_is_accepted_verbatim():
    cfg = audit_config("https://api.acme.com/v1/audit-log")
    del cfg["retry"]
    sf = sources(cfg, credentials=CREDS)
    cfg = sf.sources[0].config
    assert cfg.compiled.names == {"credentials.token", "ingestionSource.organizationId"}
    assert cfg.schedule == "*/5 * * * *"


@pytest.mark.parametrize(
    "override, expected",
    [
        pytest.param(
            {"headers": {"Authorization": "Bearer ${{foo.bar}}"}},
            "config.headers.Authorization: unknown template '${{foo.bar}}'",
            id="unknown-template-header",
        ),
        pytest.param(
            {"path_": "https://x.example/${{ingestionSource.secret}}"},
            "config.url: unknown template '${{ingestionSource.secret}}'",
            id="unknown-source-field",
        ),
        pytest.param(
            {"params": {"since": "${{window.begin}}"}},
            "config.params.since: unknown template '${{window.begin}}'",
            id="unknown-template-param",
        ),
        pytest.param(
            {"method": "POST", "body": {"filter": {"since": "${{cursorx}}"}}},
            "config.body: unknown template '${{cursorx}}' (at body.filter.since)",
            id="unknown-template-body",
        ),
        pytest.param(
            {"cursorJsonPath": "$.next["}, "config.cursorJsonPath: invalid JSONPath '$.next[':", id="bad-jsonpath"
        ),
        pytest.param(
            {"eventsJsonPath": "events"},
            "config.eventsJsonPath: invalid JSONPath 'events': must start with '$'",
            id="jsonpath-no-dollar",
        ),
        pytest.param(
            {"eventMapping": {"actor": "$.user["}},
            "config.eventMapping.actor: invalid JSONPath '$.user[':",
            id="bad-mapping-jsonpath",
        ),
        pytest.param(
            {"schedule": "*/5 * * *"},
            "config.schedule: invalid cron expression '*/5 * * *': expected 5 fields (minute hour day-of-month month day-of-week), got 4",
            id="cron-fields",
        ),
        pytest.param(
            {"schedule": "61 * * * *"},
            "config.schedule: invalid cron expression '61 * * * *': minute value '61' is outside 0-59",
            id="cron-range",
        ),
        pytest.param(
            {"authMode": "digest"},
            "config.authMode: Input should be 'bearer', 'basic', 'api_key', 'oauth2_client_credentials' or 'none'",
            id="unknown-authmode",
        ),
        pytest.param({"pageSize": 10}, "config.pageSize: unknown key", id="unknown-key"),
        pytest.param(
            {"authMode": "oauth2_client_credentials"},
            "config: authMode oauth2_client_credentials needs tokenUrl",
            id="oauth2-no-token-url",
        ),
        pytest.param({"body": {"a": 1}}, "config: body is only sent with method POST", id="body-with-get"),
        pytest.param(
            {"headers": {"Authorization": "Bearer ${{credentials.tokn}}"}},
            "config.headers.Authorization: credential set 'acme_audit_log_creds' has no key 'tokn'",
            id="missing-credential-key",
        ),
        pytest.param(
            {"credentialRef": "nope"},
            "config.credentialRef: unknown credential set 'nope'",
            id="unknown-credential-set",
        ),
    ],
)
def test_invalid_configs_name_the_key_path(override, expected):
    url = override.pop("path_", "https://api.acme.com/v1/audit-log")
    lines = problems(audit_config(url, **override))
    assert any(line.startswith(PREFIX + expected) for line in lines), lines


def test_templates_reading_credentials_need_a_credential_ref():
    cfg = audit_config("https://api.acme.com/v1/audit-log")
    del cfg["credentialRef"]
    assert PREFIX + "config.headers.Authorization: needs credentialRef (it reads credential key 'token')" in problems(
        cfg
    )


def test_auth_modes_check_their_credential_keys():
    cfg = audit_config("https://api.acme.com/v1/audit-log", authMode="basic", headers={})
    lines = problems(cfg)
    assert PREFIX + "config.authMode: credential set 'acme_audit_log_creds' has no key 'username'" in lines
    assert PREFIX + "config.authMode: credential set 'acme_audit_log_creds' has no key 'password'" in lines


@pytest.mark.parametrize(
    "type_, config, expected",
    [
        (
            "claude_compliance",
            {"credentialRef": "acme_audit_log_creds"},
            "config.credentialRef: credential set 'acme_audit_log_creds' has no key 'apiKey'",
        ),
        (
            "copilot_studio",
            {"credentialRef": "acme_audit_log_creds", "schedule": "bad"},
            "config.schedule: invalid cron expression 'bad': expected 5 fields",
        ),
        ("openai_compliance_api", {"credentialRef": "acme_audit_log_creds"}, "config.workspaceId: Field required"),
        ("claude_compliance", {"credentialRef": "acme_audit_log_creds", "url": "https://x"}, "config.url: unknown key"),
    ],
)
def test_reference_sources_validate_their_few_keys(type_, config, expected):
    lines = problems(config, type_=type_)
    assert any(line.startswith(PREFIX + expected) for line in lines), lines


def test_yaml_scalars_in_headers_and_params_are_sent_as_text():
    cfg = audit_config("https://api.acme.com/v1/audit-log", params={"limit": 100, "active": True})
    cfg["headers"] = {"anthropic-version": __import__("datetime").date(2023, 6, 1)}
    config = sources(cfg, credentials=CREDS).sources[0].config
    assert config.params == {"limit": "100", "active": "true"} and config.headers == {"anthropic-version": "2023-06-01"}


def test_cron_rejects_february_30():
    assert any(
        "February has no such day" in line
        for line in problems(audit_config("https://x.example", schedule="0 0 30 2 *"))
    )
