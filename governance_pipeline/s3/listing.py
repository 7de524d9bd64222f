"""Paged ListObjectsV2 after a start key, bounded by a page count or a deadline (sensor ticks)."""

from __future__ import annotations

import time
from collections.abc import Generator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from governance_pipeline.s3.client import S3Location, access_error

PAGE_SIZE = 1000


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    etag: str
    size: int
    last_modified: datetime | None = None  # when the object was written (LastModified)


@dataclass
class Listing:
    objects: list[ObjectInfo]
    complete: bool  # False when the page or time budget stopped the listing (more may follow)


def clean_etag(etag: str | None) -> str:
    return (etag or "").strip('"')


def iter_pages(
    client: Any, location: S3Location, start_after: str | None, page_size: int = PAGE_SIZE
) -> Generator[list[ObjectInfo], None, None]:
    """Pages of objects under the prefix whose keys sort after ``start_after``, in key order.

    Stops on a page without a continuation token (or with IsTruncated false), on an empty page, or on a
    repeated token (a cycle). Folder markers (keys ending in ``/``) are skipped.
    """
    kwargs: dict[str, Any] = {"Bucket": location.bucket, "Prefix": location.prefix, "MaxKeys": page_size}
    if start_after and start_after >= location.prefix:
        kwargs["StartAfter"] = start_after
    tokens: set[str] = set()
    while True:
        try:
            page = client.list_objects_v2(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise access_error(location, "list", exc) from None
        contents = page.get("Contents") or []
        yield [
            ObjectInfo(item["Key"], clean_etag(item.get("ETag")), int(item.get("Size") or 0), item.get("LastModified"))
            for item in contents
            if not item["Key"].endswith("/")
        ]
        token = page.get("NextContinuationToken")
        if not contents or not page.get("IsTruncated") or not token or token in tokens:
            return
        tokens.add(token)
        kwargs.pop("StartAfter", None)
        kwargs["ContinuationToken"] = token


def list_after(
    client: Any,
    location: S3Location,
    start_after: str | None,
    max_pages: int | None = None,
    deadline: float | None = None,
    page_size: int = PAGE_SIZE,
) -> Listing:
    """Like ``iter_pages``, collected, stopping early after ``max_pages`` or at ``deadline`` (monotonic time)."""
    out: list[ObjectInfo] = []
    pages = iter_pages(client, location, start_after, page_size)
    for count, page in enumerate(pages, start=1):
        out.extend(page)
        if (max_pages is not None and count >= max_pages) or (deadline is not None and time.monotonic() >= deadline):
            pages.close()
            return Listing(out, False)
    return Listing(out, True)
