"""Credentials are resolved at every run and written nowhere: not in objects, the lake, the marts or the logs."""

from __future__ import annotations

import json
import logging

from governance_pipeline.cli import main
from tests.export.helpers import build_lake, build_ocsf, download, make_bucket, sources_yaml

KEY_ID = "AKIAEXPORTKEYID00042"
SECRET = "s3cr3t-EXPORT-value-7f3a9c"
TOKEN = "sess-token-EXPORT-81b2e4"


def test_credentials_never_written(env, s3_endpoint, monkeypatch, capsys, caplog):
    caplog.set_level(logging.INFO)
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("EXP_KEY", KEY_ID)
    monkeypatch.setenv("EXP_SECRET", SECRET)
    monkeypatch.setenv("EXP_TOKEN", TOKEN)
    lake = build_lake(env)
    build_ocsf(lake, env / "governance.duckdb")
    make_bucket(s3_endpoint, "exp-secrets")
    common = {"bucket": "exp-secrets", "endpointUrl": s3_endpoint, "credentialRef": "exp"}
    dests = [
        dict(common, id="ev", prefix="ev"),
        dict(common, id="oc", prefix="oc", format="ocsf"),
        dict(
            common,
            id="sl",
            prefix="sl",
            format="security_lake",
            region="eu-west-1",
            accountId="123456789012",
            sourceName="govpipe",
        ),
        dict(common, id="missing", prefix="x", bucket="not-a-bucket-here"),
    ]
    creds = {
        "exp": {
            "accessKeyId": {"env": "EXP_KEY"},
            "secretAccessKey": {"env": "EXP_SECRET"},
            "sessionToken": {"env": "EXP_TOKEN"},
        }
    }
    (env / "sources.yaml").write_text(sources_yaml(env / "inbox", dests, creds))
    monkeypatch.setenv("GOVERNANCE_SOURCES", str(env / "sources.yaml"))

    for dest in ("ev", "oc", "sl"):
        assert main(["export", dest, "--from", "2026-10-01", "--to", "2026-10-03"]) == 0
    assert main(["export", "missing", "--from", "2026-10-01", "--to", "2026-10-01"]) == 1
    assert main(["destinations", "check"]) == 1
    assert main(["destinations", "list", "--json"]) == 0
    captured = capsys.readouterr()
    listed = json.loads(captured.out.strip().splitlines()[-1])
    assert [d["credentialRef"] for d in listed] == ["exp"] * 4

    files = download(s3_endpoint, "exp-secrets", env / "downloaded")
    assert len(files) >= 3 * 3
    scanned = [p for p in env.rglob("*") if p.is_file()]
    assert any("dagster_home" in str(p) for p in scanned) and any(p.suffix == ".parquet" for p in scanned)
    texts = [("stdout+stderr", (captured.out + captured.err).encode()), ("log records", caplog.text.encode())]
    texts += [(str(p), p.read_bytes()) for p in scanned if p.name != "sources.yaml"]
    for secret in (KEY_ID, SECRET, TOKEN):
        leaks = [name for name, data in texts if secret.encode() in data]
        assert leaks == [], f"{secret} found in {leaks}"
