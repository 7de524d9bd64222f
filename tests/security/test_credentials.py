"""Credentials with control characters are refused at load, naming the set and key but never the value; a
secret is masked in its escaped, percent-encoded and base64 forms too; ``govpipe validate`` reports unset
credential environment variables."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml

from governance_pipeline.config.credentials import CredentialError, redact, resolve_credentials
from governance_pipeline.config.errors import ConfigError
from governance_pipeline.http.redact import redact_text
from governance_pipeline.sources_file import parse_sources

GOVPIPE = str(Path(sys.executable).parent / "govpipe")
TOKEN = "tok-Zq81vL0pW2xY7nB3"


@pytest.mark.parametrize("bad", ["\n", "\r\n", "\x1b", "mid\ndle"])  # setenv cannot hold NUL: see below
def test_an_env_credential_with_a_control_character_is_refused_without_its_value(monkeypatch, bad):
    value = TOKEN + bad if bad != "mid\ndle" else TOKEN[:6] + bad + TOKEN[6:]
    monkeypatch.setenv("ACME_TOKEN", value)
    with pytest.raises(CredentialError) as err:
        resolve_credentials({"acme": {"token": _env("ACME_TOKEN")}}, "acme")
    msg = str(err.value)
    assert "'acme'" in msg and "'token'" in msg and "ACME_TOKEN" in msg and "control character" in msg
    assert TOKEN[:6] not in msg and TOKEN[-6:] not in msg


@pytest.mark.parametrize("bad", ["\r\n", "\x00", "\n"])
def test_a_literal_credential_with_a_control_character_is_a_config_problem(bad):
    doc = {"credentials": {"acme": {"token": TOKEN + bad}}, "sources": []}
    with pytest.raises(ConfigError) as err:
        parse_sources(yaml.safe_dump(doc))
    msg = str(err.value)
    assert "credentials.acme.token" in msg and "control character" in msg and TOKEN not in msg


def test_a_pull_with_a_newline_token_fails_cleanly_without_the_token(tmp_path):
    """The fault seen in the field: CLI stderr carried the token from requests' InvalidHeader."""
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        yaml.safe_dump(
            {
                "credentials": {"acme": {"token": {"env": "ACME_TOKEN"}}},
                "sources": [
                    {
                        "id": "acme_audit",
                        "type": "http_polling",
                        "config": {
                            "url": "http://127.0.0.1:9/audit",
                            "authMode": "bearer",
                            "credentialRef": "acme",
                            "eventsJsonPath": "$.events",
                            "eventMapping": {"source_event_id": "$.id"},
                            "retry": {"maxAttempts": 1},
                        },
                    }
                ],
            }
        )
    )
    env = {
        **os.environ,
        "GOVERNANCE_SOURCES": str(sources),
        "GOVERNANCE_LAKE": str(tmp_path / "lake"),
        "DAGSTER_HOME": str(tmp_path / "dh"),
        "ACME_TOKEN": TOKEN + "\n",
    }
    out = subprocess.run([GOVPIPE, "pull", "acme_audit"], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode != 0
    assert "control character" in out.stderr
    assert TOKEN[:8] not in out.stdout + out.stderr


@pytest.mark.parametrize(
    "form",
    [
        lambda s: json.dumps(s),
        lambda s: repr(s),
        lambda s: quote(s, safe=""),
        lambda s: base64.b64encode(s.encode()).decode(),
        lambda s: base64.urlsafe_b64encode(s.encode()).decode().rstrip("="),
        lambda s: base64.b64encode(f"user:{s}".encode()).decode(),
    ],
    ids=["json", "repr", "percent", "base64", "base64url", "basic"],
)
def test_redaction_catches_encoded_forms_of_a_secret(monkeypatch, form):
    secret = 'p@ss/wörd"+\\=AbC9'
    monkeypatch.setenv("ODD_SECRET", secret)
    resolve_credentials({"odd": {"password": _env("ODD_SECRET")}}, "odd")
    text = f"upstream said: {form(secret)} (end)"
    masked = redact(text)
    assert "***" in masked and form(secret) not in masked
    assert redact_text(text) == masked


def test_validate_reports_unset_credential_env_vars_and_no_env_skips_them(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "credentials": {"acme": {"token": {"env": "GP_TEST_UNSET_TOKEN"}, "user": "svc"}},
                "sources": [
                    {
                        "id": "acme_audit",
                        "type": "http_polling",
                        "config": {
                            "url": "https://audit.example.com/v1",
                            "authMode": "bearer",
                            "credentialRef": "acme",
                            "eventsJsonPath": "$.events",
                            "eventMapping": {"source_event_id": "$.id"},
                        },
                    }
                ],
            }
        )
    )
    env = {k: v for k, v in os.environ.items() if k != "GP_TEST_UNSET_TOKEN"}
    out = subprocess.run([GOVPIPE, "validate", "--file", str(path)], env=env, capture_output=True, text=True)
    assert out.returncode == 2, out.stdout + out.stderr
    line = next(x for x in (out.stdout + out.stderr).splitlines() if "GP_TEST_UNSET_TOKEN" in x)
    assert str(path) in line and "acme" in line and "token" in line
    skipped = subprocess.run(
        [GOVPIPE, "validate", "--file", str(path), "--no-env"], env=env, capture_output=True, text=True
    )
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    env["GP_TEST_UNSET_TOKEN"] = "bad\nvalue-123456"
    bad = subprocess.run([GOVPIPE, "validate", "--file", str(path)], env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "control character" in bad.stdout + bad.stderr
    assert "value-123456" not in bad.stdout + bad.stderr


def _env(name: str):
    from governance_pipeline.config.models import EnvRef

    return EnvRef(env=name)
