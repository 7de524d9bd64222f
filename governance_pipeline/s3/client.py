"""boto3 clients built fresh for every run: credentials from a credential set or the default chain, optional
role assumed with STS each time. Nothing is cached across runs, so rotated keys are picked up at once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from governance_pipeline.config.credentials import redact
from governance_pipeline.errors import GovernanceError

BOTO_CONFIG = BotoConfig(
    retries={"max_attempts": 5, "mode": "standard"},
    connect_timeout=10,
    read_timeout=60,
)


# S3/STS error codes that no retry will fix
PERMANENT_AWS_CODES = frozenset(
    {
        "AccessDenied",
        "NoSuchBucket",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "InvalidClientTokenId",
        "AuthorizationHeaderMalformed",
        "AllAccessDisabled",
        "InvalidBucketName",
    }
)


class S3AccessError(GovernanceError, RuntimeError):
    """Listing or reading a bucket failed; the message names the source, bucket and prefix (never a secret).

    Permanent when the service's error code says no retry will fix it (``PERMANENT_AWS_CODES``)."""

    def __init__(self, message: str, aws_code: str | None = None):
        super().__init__(message, permanent=aws_code in PERMANENT_AWS_CODES)
        self.aws_code = aws_code  # the S3 or STS error code (e.g. ``AccessDenied``), when the service gave one


@dataclass(frozen=True)
class S3Location:
    """Where a source's files are and how to reach them."""

    bucket: str
    prefix: str = ""
    region: str | None = None
    endpoint_url: str | None = None
    role_arn: str | None = None
    external_id: str | None = None
    sts_endpoint_url: str | None = None

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


def _region(location: S3Location, session: boto3.session.Session) -> str:
    return location.region or session.region_name or "us-east-1"


def _sts_endpoint(location: S3Location) -> str | None:
    # MinIO, moto and LocalStack serve STS on the S3 endpoint; AWS users with a custom S3 endpoint set
    # stsEndpointUrl (or AWS_ENDPOINT_URL_STS) explicitly.
    return location.sts_endpoint_url or os.environ.get("AWS_ENDPOINT_URL_STS") or location.endpoint_url


def make_client(location: S3Location, credentials: Mapping[str, str] | None, session_name: str) -> Any:
    """A new S3 client for this run. ``credentials`` (keys ``accessKeyId``, ``secretAccessKey``, optional
    ``sessionToken``) or, when None/empty, the default AWS chain (environment, profile, instance role)."""
    creds = dict(credentials or {})
    session = boto3.session.Session(
        aws_access_key_id=creds.get("accessKeyId") or None,
        aws_secret_access_key=creds.get("secretAccessKey") or None,
        aws_session_token=creds.get("sessionToken") or None,
        region_name=location.region,
    )
    region = _region(location, session)
    try:
        if location.role_arn:
            sts = session.client("sts", endpoint_url=_sts_endpoint(location), region_name=region, config=BOTO_CONFIG)
            kwargs: dict[str, Any] = {"RoleArn": location.role_arn, "RoleSessionName": session_name[:64]}
            if location.external_id:
                kwargs["ExternalId"] = location.external_id
            assumed = sts.assume_role(**kwargs)["Credentials"]
            session = boto3.session.Session(
                aws_access_key_id=assumed["AccessKeyId"],
                aws_secret_access_key=assumed["SecretAccessKey"],
                aws_session_token=assumed["SessionToken"],
                region_name=region,
            )
        s3_config = (
            BOTO_CONFIG.merge(BotoConfig(s3={"addressing_style": "path"})) if location.endpoint_url else BOTO_CONFIG
        )
        return session.client("s3", endpoint_url=location.endpoint_url, region_name=region, config=s3_config)
    except (ClientError, BotoCoreError) as exc:
        raise access_error(location, "assume role" if location.role_arn else "connect", exc) from None


def access_error(location: S3Location, action: str, exc: Exception) -> S3AccessError:
    code = None
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = err.get("Code")
        detail = f"{code or 'error'}: {err.get('Message', '')}".strip()
    else:
        detail = f"{type(exc).__name__}: {exc}"
    target = location.role_arn if action == "assume role" else location.describe()
    return S3AccessError(redact(f"{action} {target}: {detail}"), code)
