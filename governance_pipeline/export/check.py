"""``govpipe destinations check``: prove a destination is usable by writing, listing and deleting a test object.

An export needs all three: PutObject for the files, ListBucket to find a day's previous objects and
DeleteObject to remove them. The test object lives under ``<prefix>/_govpipe_check/`` and holds no data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from governance_pipeline.export import layout
from governance_pipeline.export.config import Destination
from governance_pipeline.export.errors import DestinationProblem, describe
from governance_pipeline.export.s3 import s3_client


@dataclass(frozen=True)
class CheckResult:
    destination: str
    ok: bool
    url: str
    problem: DestinationProblem | None = None

    def line(self) -> str:
        if self.ok:
            return f"{self.destination}: ok (wrote, listed and deleted {self.url})"
        return f"{self.destination}: {self.problem}"


def check_destination(
    dest: Destination, credentials: Mapping, *, attempts: int = 2, connect_timeout: float = 5.0
) -> CheckResult:
    key = layout.check_key(dest)
    url = f"s3://{dest.bucket}/{key}"
    step = "write to"
    try:
        client = s3_client(dest, credentials, attempts=attempts, connect_timeout=connect_timeout)
        client.put_object(Bucket=dest.bucket, Key=key, Body=b"governance_pipeline destination check\n")
        step = "list"
        listed = client.list_objects_v2(Bucket=dest.bucket, Prefix=key, MaxKeys=1).get("KeyCount", 0)
        step = "delete from"
        client.delete_object(Bucket=dest.bucket, Key=key)
    except Exception as exc:
        return CheckResult(dest.id, False, url, describe(exc, dest, step))
    if not listed:
        return CheckResult(dest.id, False, url, DestinationProblem("error", f"wrote {key} but could not list it back"))
    return CheckResult(dest.id, True, url)
