"""A real S3/STS API on loopback for the tests (moto's server mode; the demo uses the same launcher)."""

import boto3

from governance_pipeline.demo.s3_server import free_port, moto_server, reset

__all__ = ["free_port", "moto_server", "reset", "use_for_lake"]


def use_for_lake(monkeypatch, endpoint: str, bucket: str):
    """Point the AWS settings of this process at ``endpoint``, as a user's environment does for a lake on
    S3, and create ``bucket``; returns an S3 client."""
    for name, value in {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=bucket)
    return client
