"""The boto3 S3 client for a destination, with its credential set resolved now (never cached or stored)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import boto3
from botocore.config import Config

from governance_pipeline.config.credentials import CredentialError, resolve_credentials
from governance_pipeline.export.config import Destination

DEFAULT_REGION = "us-east-1"


def s3_client(dest: Destination, credentials: Mapping, *, attempts: int = 5, connect_timeout: float = 10.0):
    """A client for ``dest``: its ``credentialRef`` set if any (keys ``accessKeyId``, ``secretAccessKey``,
    optional ``sessionToken``), else the standard AWS chain. Path-style addressing with an endpoint URL."""
    kwargs: dict = {}
    if dest.credentialRef:
        creds = resolve_credentials(credentials, dest.credentialRef)
        missing = [k for k in ("accessKeyId", "secretAccessKey") if not creds.get(k)]
        if missing:
            raise CredentialError(f"credential set '{dest.credentialRef}' has no key {' or '.join(missing)}")
        kwargs.update(
            aws_access_key_id=creds["accessKeyId"],
            aws_secret_access_key=creds["secretAccessKey"],
            aws_session_token=creds.get("sessionToken") or None,
        )
    style = dest.addressingStyle or ("path" if dest.endpointUrl else "auto")
    config = Config(
        region_name=dest.region or DEFAULT_REGION,
        retries={"max_attempts": attempts, "mode": "standard"},
        connect_timeout=connect_timeout,
        read_timeout=60,
        s3={"addressing_style": style},
    )
    return boto3.session.Session().client("s3", endpoint_url=dest.endpointUrl, config=config, **kwargs)


def list_keys(client, bucket: str, prefix: str) -> Iterator[str]:
    """Every object key under ``prefix`` (which should end in ``/``)."""
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", ()):
            yield obj["Key"]


def list_folders(client, bucket: str, prefix: str) -> list[str]:
    """The ``<prefix><name>/`` folders directly under ``prefix``."""
    out: list[str] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
        out.extend(p["Prefix"] for p in page.get("CommonPrefixes", ()))
    return out


def delete_keys(client, bucket: str, keys: list[str]) -> None:
    """Delete ``keys`` (1000 per request); raises if S3 reports any key it could not delete."""
    for i in range(0, len(keys), 1000):
        chunk = keys[i : i + 1000]
        resp = client.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True})
        errors = resp.get("Errors") or []
        if errors:
            first = errors[0]
            raise DeleteError(first.get("Code", "Error"), first.get("Message", ""), first.get("Key", ""), len(errors))


class DeleteError(Exception):
    """A multi-object delete left some objects in place."""

    def __init__(self, code: str, message: str, key: str, count: int):
        self.code = code
        super().__init__(f"{code}: could not delete {count} object(s), e.g. {key}: {message}")
