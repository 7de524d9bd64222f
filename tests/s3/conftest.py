"""A moto S3/STS/IAM server on loopback with IAM authentication enforced, shared by the S3 tests.

Enforced auth makes credential tests meaningful: an unknown access key is rejected, a user without S3 rights is
denied, and only the role it may assume can read the bucket.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import boto3
import duckdb
import pytest

from governance_pipeline.config.credentials import resolve_credentials
from governance_pipeline.pull_types import Runtime
from governance_pipeline.sources_file import parse_sources
from tests.support.moto import moto_server

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
ASSUME_ONLY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}
TRUST_ANY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
}


@dataclass
class Moto:
    url: str
    admin: tuple[str, str]
    role_arn: str

    def client(self, service: str = "s3", key: tuple[str, str] | None = None):
        k, s = key or self.admin
        return boto3.client(
            service, endpoint_url=self.url, region_name="us-east-1", aws_access_key_id=k, aws_secret_access_key=s
        )

    def new_user(self, name: str, policy: dict) -> tuple[str, str]:
        iam = self.client("iam")
        iam.create_user(UserName=name)
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return key["AccessKeyId"], key["SecretAccessKey"]

    def bucket(self) -> str:
        name = f"drops-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def put(self, bucket: str, key: str, body: bytes) -> str:
        return self.client().put_object(Bucket=bucket, Key=key, Body=body)["ETag"].strip('"')


@pytest.fixture(scope="session")
def moto() -> Moto:
    # Only the child server sees the variable: other tests' moto servers must keep accepting any key.
    previous = os.environ.get("INITIAL_NO_AUTH_ACTION_COUNT")
    os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = "3"  # create the admin user, its policy and key; then enforce
    server = moto_server()
    try:
        url = server.__enter__()
    finally:
        if previous is None:
            os.environ.pop("INITIAL_NO_AUTH_ACTION_COUNT", None)
        else:
            os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = previous
    try:
        iam = boto3.client(
            "iam", endpoint_url=url, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
        )
        iam.create_user(UserName="admin")
        iam.put_user_policy(UserName="admin", PolicyName="all", PolicyDocument=json.dumps(ALLOW_ALL))
        key = iam.create_access_key(UserName="admin")["AccessKey"]
        m = Moto(url, (key["AccessKeyId"], key["SecretAccessKey"]), "")
        role = m.client("iam").create_role(RoleName="drops-reader", AssumeRolePolicyDocument=json.dumps(TRUST_ANY))
        m.client("iam").put_role_policy(
            RoleName="drops-reader", PolicyName="read", PolicyDocument=json.dumps(ALLOW_ALL)
        )
        m.role_arn = role["Role"]["Arn"]
        yield m
    finally:
        server.__exit__(None, None, None)


@pytest.fixture
def aws_env(monkeypatch, moto):
    """The credential set's environment variables, holding the admin key."""
    monkeypatch.setenv("TEST_S3_KEY_ID", moto.admin[0])
    monkeypatch.setenv("TEST_S3_SECRET", moto.admin[1])
    return monkeypatch


def load_source(yaml_text: str, source_id: str = "drops"):
    sources = parse_sources(yaml_text, "sources.yaml")
    return sources, sources.source(source_id)


def runtime_for(sources, lake: Path) -> Runtime:
    return Runtime(credentials=lambda ref: resolve_credentials(sources.credentials, ref), lake_root=str(lake))


def lake_rows(lake: Path, columns: str = "*", order: str = "source_event_id") -> list[dict]:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    rel = con.execute(
        f"SELECT {columns} FROM read_parquet('{lake}/events/**/*.parquet', hive_partitioning=true) ORDER BY {order}"
    )
    names = [d[0] for d in rel.description]
    return [dict(zip(names, row)) for row in rel.fetchall()]


def quarantine_rows(lake: Path) -> list[dict]:
    out = []
    for path in sorted(lake.glob("quarantine/**/*.ndjson")):
        out.extend(json.loads(line) for line in path.read_text().splitlines() if line.strip())
    return out
