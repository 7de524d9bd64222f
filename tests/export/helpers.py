"""Shared pieces of the export tests: a test lake (real pulls), the OCSF mart, sources files, S3 download."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
from botocore.config import Config

from governance_pipeline.marts.build import build_marts
from tests.marts.lakes import ndjson_records, pull_ndjson, span_rows, write_rows

DAYS = ["2026-10-01", "2026-10-02", "2026-10-03"]
REGION = "us-east-1"


def build_lake(root: Path) -> str:
    """Two sources over three days, through the real ingestion path; returns the lake root."""
    lake = str(root / "lake")
    pull_ndjson(lake, root / "inbox", ndjson_records(days=3, per_day=6))
    write_rows(lake, span_rows(8))  # otel_app, 2026-10-01 only
    return lake


def build_ocsf(lake: str, db: Path) -> None:
    build_marts(db, lake, DAYS)


def s3(endpoint: str, key: str = "testing", secret: str = "testing"):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(s3={"addressing_style": "path"}),
    )


def make_bucket(endpoint: str, bucket: str) -> None:
    s3(endpoint).create_bucket(Bucket=bucket)


def keys(endpoint: str, bucket: str, prefix: str = "") -> list[str]:
    out = []
    for page in s3(endpoint).get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        out.extend(o["Key"] for o in page.get("Contents", ()))
    return sorted(out)


def download(endpoint: str, bucket: str, dest: Path, prefix: str = "") -> list[Path]:
    """Every object under ``prefix`` into ``dest``, keeping the key as the relative path."""
    client = s3(endpoint)
    out = []
    for key in keys(endpoint, bucket, prefix):
        path = dest / key
        path.parent.mkdir(parents=True, exist_ok=True)
        client.download_file(bucket, key, str(path))
        out.append(path)
    return out


def sources_yaml(folder: Path, destinations: list[dict], credentials: dict | None = None) -> str:
    """A sources file whose one source reads ``folder`` (the test lake's NDJSON inbox), plus destinations."""
    from tests.marts.lakes import NDJSON_MAPPING

    doc = {
        "sources": [
            {
                "id": "acme_ndjson",
                "type": "local_ndjson",
                "startDate": "2026-10-01",
                "config": {"path": str(folder), "eventMapping": NDJSON_MAPPING},
            }
        ],
        "destinations": destinations,
    }
    if credentials:
        doc["credentials"] = credentials
    return json.dumps(doc)
