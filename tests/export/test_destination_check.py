"""``govpipe destinations check``: each failure reported in plain words, against real S3 APIs (moto)."""

from __future__ import annotations

import json

import pytest

from governance_pipeline.cli import main
from tests.export.helpers import make_bucket, s3
from tests.support.moto import free_port, moto_server

BUCKET = "gov-exports"
POLICIES = {  # user -> allowed S3 actions
    "writer": ["s3:PutObject", "s3:ListBucket", "s3:DeleteObject", "s3:GetObject"],
    "reader": ["s3:ListBucket", "s3:GetObject"],
    "nodelete": ["s3:PutObject", "s3:ListBucket"],
}


@pytest.fixture(scope="module")
def iam_endpoint():
    """A moto server that enforces IAM after the set-up calls below (users, keys, policies, bucket)."""
    setup_calls = 3 * len(POLICIES) + 1
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("INITIAL_NO_AUTH_ACTION_COUNT", str(setup_calls))
        with moto_server() as url:
            import boto3

            iam = boto3.client(
                "iam",
                endpoint_url=url,
                region_name="us-east-1",
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
            users = {}
            for user, actions in POLICIES.items():
                iam.create_user(UserName=user)
                users[user] = iam.create_access_key(UserName=user)["AccessKey"]
                policy = {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}],
                }
                iam.put_user_policy(UserName=user, PolicyName="export", PolicyDocument=json.dumps(policy))
            make_bucket(url, BUCKET)
            yield url, users


def run_check(monkeypatch, tmp_path, capsys, dest: dict, key_id="testing", secret="testing"):
    monkeypatch.setenv("EXPORT_KEY_ID", key_id)
    monkeypatch.setenv("EXPORT_SECRET", secret)
    creds = {"accessKeyId": {"env": "EXPORT_KEY_ID"}, "secretAccessKey": {"env": "EXPORT_SECRET"}}
    doc = {
        "credentials": {"exp": creds},
        "sources": [],
        "destinations": [{"id": "dst", "credentialRef": "exp", "prefix": "gov", **dest}],
    }
    path = tmp_path / "sources.yaml"
    path.write_text(json.dumps(doc))
    monkeypatch.setenv("GOVERNANCE_SOURCES", str(path))
    code = main(["destinations", "check", "dst"])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_a_writable_destination_passes_and_leaves_nothing_behind(iam_endpoint, monkeypatch, tmp_path, capsys):
    url, users = iam_endpoint
    w = users["writer"]
    code, out = run_check(
        monkeypatch, tmp_path, capsys, {"bucket": BUCKET, "endpointUrl": url}, w["AccessKeyId"], w["SecretAccessKey"]
    )
    assert code == 0, out
    assert out.startswith("dst: ok (wrote, listed and deleted s3://gov-exports/gov/_govpipe_check/")
    assert not s3(url, w["AccessKeyId"], w["SecretAccessKey"]).list_objects_v2(Bucket=BUCKET).get("Contents")


def test_access_denied(iam_endpoint, monkeypatch, tmp_path, capsys):
    url, users = iam_endpoint
    r = users["reader"]
    code, out = run_check(
        monkeypatch, tmp_path, capsys, {"bucket": BUCKET, "endpointUrl": url}, r["AccessKeyId"], r["SecretAccessKey"]
    )
    assert code == 1
    assert out.strip() == (
        "govpipe: destination dst: access denied: the credentials may not write to "
        "s3://gov-exports/gov (check the bucket policy and the key's permissions)"
    )


def test_write_without_delete_permission_is_reported(iam_endpoint, monkeypatch, tmp_path, capsys):
    url, users = iam_endpoint
    n = users["nodelete"]
    code, out = run_check(
        monkeypatch, tmp_path, capsys, {"bucket": BUCKET, "endpointUrl": url}, n["AccessKeyId"], n["SecretAccessKey"]
    )
    assert code == 1 and "access denied: the credentials may not delete from s3://gov-exports/gov" in out


def test_key_id_does_not_exist(iam_endpoint, monkeypatch, tmp_path, capsys):
    url, _ = iam_endpoint
    code, out = run_check(
        monkeypatch,
        tmp_path,
        capsys,
        {"bucket": BUCKET, "endpointUrl": url},
        "AKIAIOSFODNN7NOTREAL",
        "not-the-secret-0123456789",
    )
    assert code == 1
    assert out.strip() == (
        "govpipe: destination dst: the access key id you provided does not exist (credential set 'exp')"
    )
    assert "not-the-secret-0123456789" not in out


def test_wrong_secret(iam_endpoint, monkeypatch, tmp_path, capsys):
    url, users = iam_endpoint
    code, out = run_check(
        monkeypatch,
        tmp_path,
        capsys,
        {"bucket": BUCKET, "endpointUrl": url},
        users["writer"]["AccessKeyId"],
        "wrong-secret-0123456789",
    )
    assert code == 1 and "the secret access key does not match the access key id" in out


def test_bucket_does_not_exist(s3_endpoint, monkeypatch, tmp_path, capsys):
    code, out = run_check(monkeypatch, tmp_path, capsys, {"bucket": "no-such-bucket-here", "endpointUrl": s3_endpoint})
    assert code == 1
    assert out.strip() == (
        f"govpipe: destination dst: bucket 'no-such-bucket-here' does not exist or is not "
        f"writable at {s3_endpoint} (check the bucket name and region)"
    )


def test_endpoint_that_refuses_connections(monkeypatch, tmp_path, capsys):
    dead = f"http://127.0.0.1:{free_port()}"
    code, out = run_check(monkeypatch, tmp_path, capsys, {"bucket": BUCKET, "endpointUrl": dead})
    assert code == 1
    assert out.strip() == (
        f"govpipe: destination dst: invalid endpoint: cannot reach an S3-compatible API at "
        f"{dead} (only S3-compatible endpoints are supported; omit endpointUrl for AWS)"
    )


def test_an_endpoint_that_is_not_a_url_is_a_config_error(monkeypatch, tmp_path, capsys):
    code, out = run_check(monkeypatch, tmp_path, capsys, {"bucket": BUCKET, "endpointUrl": "minio:9000"})
    assert code == 2 and "destination 'dst': endpointUrl: invalid endpoint 'minio:9000'" in out


def test_unknown_destination(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("GOVERNANCE_SOURCES", str(tmp_path / "s.yaml"))
    (tmp_path / "s.yaml").write_text("sources: []\n")
    assert main(["destinations", "check", "nope"]) == 2
    assert "no destination 'nope' (known: none)" in capsys.readouterr().err


def test_a_missing_credential_variable_is_named_without_a_value(s3_endpoint, monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("EXPORT_SECRET_UNSET", raising=False)
    doc = {
        "credentials": {"exp": {"accessKeyId": "AKIAEXAMPLE", "secretAccessKey": {"env": "EXPORT_SECRET_UNSET"}}},
        "sources": [],
        "destinations": [{"id": "dst", "credentialRef": "exp", "bucket": BUCKET, "endpointUrl": s3_endpoint}],
    }
    (tmp_path / "s.yaml").write_text(json.dumps(doc))
    monkeypatch.setenv("GOVERNANCE_SOURCES", str(tmp_path / "s.yaml"))
    assert main(["destinations", "check", "dst"]) == 1
    assert capsys.readouterr().err.strip() == (
        "govpipe: destination dst: credential set 'exp' key "
        "'secretAccessKey': environment variable EXPORT_SECRET_UNSET is not set"
    )


def test_an_endpoint_botocore_cannot_use_is_an_invalid_endpoint(monkeypatch, tmp_path, capsys):
    code, out = run_check(monkeypatch, tmp_path, capsys, {"bucket": BUCKET, "endpointUrl": "http://exa mple.com"})
    assert code == 1 and "invalid endpoint: cannot reach an S3-compatible API at http://exa mple.com" in out
