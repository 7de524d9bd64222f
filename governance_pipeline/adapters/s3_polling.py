"""``s3_polling``: NDJSON, CSV or JSON-array files dropped in an S3-compatible bucket (AWS, MinIO, GCS XML API).

Config as in the README's "The sources file" and docs/s3.md, plus optional ``roleArn``/``externalId``/``stsEndpointUrl`` (role assumed with
STS on every run), ``pollEverySec`` (sensor interval) and ``lateFileOverlap`` (see ``s3.cursor``). The sensor
lists new keys; the pull job reads them (``governance_pipeline.s3.drops``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator

from governance_pipeline.adapters.base import Adapter, Batch, SensorPoll, Window
from governance_pipeline.adapters.common import EventMappingConfig
from governance_pipeline.config.models import StrictModel
from governance_pipeline.s3.client import S3Location
from governance_pipeline.s3.cursor import DEFAULT_OVERLAP
from governance_pipeline.s3.drops import S3Drops

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.\-_]{1,254}$")
_ROLE_ARN = re.compile(r"^arn:[a-z0-9\-]+:iam::\d{12}:role/[\w+=,.@/\-]+$")
CREDENTIAL_KEYS = ("accessKeyId", "secretAccessKey")


def check_bucket(v: str) -> str:
    if not _BUCKET.match(v):
        raise ValueError(f"invalid bucket name '{v}'")
    return v


def check_url(v: str | None) -> str | None:
    if v is not None and not re.match(r"^https?://[^/\s]+", v):
        raise ValueError(f"must be an http(s) URL, got '{v}'")
    return v


def check_role(v: str | None) -> str | None:
    if v is not None and not _ROLE_ARN.match(v):
        raise ValueError(f"invalid role ARN '{v}' (expected arn:aws:iam::<12-digit account>:role/<name>)")
    return v


class S3AccessConfig(StrictModel):
    """Where the files are and how to reach them (shared by the S3 drop sources)."""

    bucket: str
    region: str | None = None
    endpointUrl: str | None = None
    credentialRef: str | None = None
    roleArn: str | None = None
    externalId: str | None = None
    stsEndpointUrl: str | None = None

    _bucket = field_validator("bucket")(check_bucket)
    _urls = field_validator("endpointUrl", "stsEndpointUrl")(check_url)
    _role = field_validator("roleArn")(check_role)

    def location(self, prefix: str) -> S3Location:
        return S3Location(
            bucket=self.bucket,
            prefix=prefix,
            region=self.region,
            endpoint_url=self.endpointUrl,
            role_arn=self.roleArn,
            external_id=self.externalId,
            sts_endpoint_url=self.stsEndpointUrl,
        )


class S3PollingConfig(S3AccessConfig):
    adapter: Literal["s3_polling"] | None = None
    prefix: str = ""
    parser: Literal["ndjson", "csv", "json-array"] = "ndjson"
    schedule: str | None = None  # accepted for the seed's shape; new files are found by the sensor
    pollEverySec: int | None = Field(default=None, ge=5, le=86_400)
    lateFileOverlap: int = Field(default=DEFAULT_OVERLAP, ge=0, le=10_000)
    eventMapping: EventMappingConfig


def check_credential_set(config: S3AccessConfig, credentials: dict) -> Iterable[tuple[str, str]]:
    ref = config.credentialRef
    if ref is None or ref not in credentials:
        return
    missing = [k for k in CREDENTIAL_KEYS if k not in credentials[ref]]
    if missing:
        yield (
            "credentialRef",
            f"credential set '{ref}' lacks {', '.join(missing)} (needs accessKeyId, secretAccessKey, optional sessionToken)",
        )


class S3DropAdapter(Adapter):
    """Base of the adapters that read an S3 drop through ``S3Drops``; subclasses give its ``drop_options``."""

    trigger = "sensor"

    @classmethod
    def check_config(cls, config, entry, credentials) -> Iterable[tuple[str, str]]:
        return check_credential_set(config, credentials)

    def drops(self) -> S3Drops:
        """The drop engine for this run: the bucket and prefix, the run's credentials, and ``drop_options``."""
        c = self.config
        return S3Drops(
            location=c.location(c.prefix),
            credentials=self._credentials,
            session_name=f"govpipe-{self.source.id}",
            log=self.log,
            **self.drop_options(),
        )

    def drop_options(self) -> dict:
        """What tells one kind of drop from another: ``parser`` and ``mapping`` at least (see ``S3Drops``)."""
        raise NotImplementedError

    def _credentials(self) -> dict[str, str] | None:
        return self.credentials() or None

    def stream(self, cursor: str | None, window: Window | None) -> Iterator[Batch]:
        self._drops = self.drops()
        return self._drops.stream(cursor, window)

    def complete_before(self, cursor: str | None, started_at: datetime) -> datetime | None:
        """A drop's objects are written in time order after the events they hold: once an object written at T
        is read (and every object listed before it, which the key cursor guarantees), events before T are in."""
        drops = getattr(self, "_drops", None)
        return drops.newest_written if drops is not None else None

    def sensor_poll(self, cursor: str | None) -> SensorPoll:
        return self.drops().sensor_poll(cursor)


class S3PollingAdapter(S3DropAdapter):
    type_name = "s3_polling"
    Config = S3PollingConfig

    def drop_options(self) -> dict:
        c = self.config
        return {"parser": c.parser, "mapping": c.eventMapping.compiled, "overlap": c.lateFileOverlap}
