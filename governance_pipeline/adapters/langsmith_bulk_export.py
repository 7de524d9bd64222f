"""``langsmith_bulk_export``: a LangSmith bulk export's Parquet tree on S3-compatible storage.

A sensor lists the tree and requests a pull when run files appear or change; a pull reads the files it has
not ingested (cursor: run-file key -> ETag), feeds the same ``langsmith_run`` table and governance events as
the REST source, and dedups run ids across overlapping exports, preferring a row that has an end time.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Literal

import boto3
from botocore.config import Config as BotoConfig
from pydantic import Field

from governance_pipeline.adapters.base import Adapter, Batch, SensorPoll, Window
from governance_pipeline.config.models import StrictModel
from governance_pipeline.lake.schema import EVENT_SCHEMA
from governance_pipeline.lake.store import LakeStore
from governance_pipeline.langsmith.events import events_table
from governance_pipeline.langsmith.export_tree import BATCH_ROWS as READ_BATCH_ROWS
from governance_pipeline.langsmith.export_tree import ExportFile, parse_key, read_runs
from governance_pipeline.langsmith.runs import split_poisoned
from governance_pipeline.langsmith.table_store import TableWriter
from governance_pipeline.langsmith.tables import has_end_time, run_table
from governance_pipeline.mapping.event_mapping import dump_json

RunType = Literal["llm", "tool", "chain", "retriever", "embedding", "prompt", "parser"]


class BulkExportConfig(StrictModel):
    bucket: str = Field(min_length=1)
    prefix: str = ""
    region: str | None = None
    endpointUrl: str | None = None
    credentialRef: str | None = None
    pollEverySec: int = Field(default=300, ge=5)
    eventRunTypes: list[RunType] = Field(default_factory=lambda: list[RunType](["llm"]), min_length=1)


class LangSmithBulkExportAdapter(Adapter):
    type_name = "langsmith_bulk_export"
    Config = BulkExportConfig
    trigger = "sensor"
    upsert = True

    def _client(self):
        creds = self.credentials()
        kwargs: dict = {"region_name": self.config.region or "us-east-1"}
        if self.config.endpointUrl:
            kwargs["endpoint_url"] = self.config.endpointUrl
            kwargs["config"] = BotoConfig(s3={"addressing_style": "path"})
        if creds:
            kwargs.update(
                aws_access_key_id=creds.get("accessKeyId"),
                aws_secret_access_key=creds.get("secretAccessKey"),
                aws_session_token=creds.get("sessionToken"),
            )
        return boto3.client("s3", **kwargs)

    def _prefix(self) -> str:
        p = self.config.prefix.strip("/")
        return p + "/" if p else ""

    def list_run_files(self, client) -> list[tuple[ExportFile, str, datetime]]:
        """Run files under the prefix: (file, ETag, LastModified), oldest first."""
        out = []
        prefix = self._prefix()
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=self.config.bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                f = parse_key(obj["Key"], prefix)
                if f is not None:
                    out.append((f, obj["ETag"].strip('"'), obj["LastModified"]))
        return sorted(out, key=lambda x: (x[2], x[0].key))

    def stream(self, cursor: str | None, window: Window | None) -> Iterator[Batch]:
        seen: dict[str, str] = json.loads(cursor).get("files", {}) if cursor else {}
        client = self._client()
        listing = self.list_run_files(client)
        writer = TableWriter(LakeStore(self.runtime.lake_root), self.source.id)
        run_types = frozenset(self.config.eventRunTypes)
        synced_at = datetime.now(UTC)
        ended_by_id: dict[str, bool] = {}
        for f, etag, _ in listing:
            if seen.get(f.key) == etag:
                continue
            body = client.get_object(Bucket=self.config.bucket, Key=f.key)["Body"].read()
            for n, batch_rows in enumerate(read_runs(body, f)):
                rows, bad = split_poisoned(batch_rows, f.key)
                for b in bad:
                    b["line"] += n * READ_BATCH_ROWS  # the row's position in the file
                keep = []
                for r in rows:
                    rid, ended = r.get("id"), has_end_time(r)
                    if rid is None or (ended_by_id.get(str(rid)) and not ended):
                        continue  # an earlier file of this pull had the finished version
                    ended_by_id[str(rid)] = ended
                    keep.append(r)
                raws = [dump_json(r) for r in keep]
                writer.add_runs(
                    run_table(keep, raws, {}, self.source.id, synced_at, origin=f"bulk_export:{f.export_id}")
                )
                yield Batch(
                    events_table(keep, raws, run_types), raw_count=len(batch_rows), errors=len(bad), quarantine=bad
                )
        writer.flush()
        self.newest_written = max((written for _, _, written in listing), default=None)
        files = {f.key: etag for f, etag, _ in listing}  # keys gone from the bucket leave the cursor
        yield Batch(
            EVENT_SCHEMA.empty_table(), raw_count=0, cursor=json.dumps({"v": 1, "files": files}, sort_keys=True)
        )

    def complete_before(self, cursor: str | None, started_at: datetime) -> datetime | None:
        """Every export file listed has been read: runs that started before the newest file was written are in."""
        return getattr(self, "newest_written", None)

    def sensor_poll(self, cursor: str | None) -> SensorPoll:
        listing = self.list_run_files(self._client())
        if not listing:
            return SensorPoll([], cursor, skip_reason="no export run files under the prefix")
        digest = hashlib.sha256(
            "\n".join(f"{f.key}:{etag}" for f, etag, _ in sorted(listing, key=lambda x: x[0].key)).encode()
        ).hexdigest()
        if digest == cursor:
            return SensorPoll([], cursor, skip_reason="no new or changed export files")
        exports = sorted({f.export_id for f, _, _ in listing})
        return SensorPoll([f"exports={len(exports)}:files={len(listing)}:{digest[:16]}"], digest)
