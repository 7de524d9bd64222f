"""The ``destinations:`` key of the sources file: one typed ``Destination`` per entry.

Called by ``config.loader`` with the file's credential sets; every problem is appended to ``problems`` as
``sources.yaml: destination '<id>': <key>: <message>`` (``destinations[<i>]`` when the id is missing).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal
from urllib.parse import urlparse

from pydantic import Field, ValidationError, field_validator, model_validator

from governance_pipeline.config.errors import ConfigProblem, format_loc
from governance_pipeline.config.models import SOURCE_ID_PATTERN, StrictModel
from governance_pipeline.export.ocsf_version import SECURITY_LAKE_DEFAULT, OcsfVersion

FORMATS = ("events", "ocsf", "security_lake")
COMPRESSIONS = ("zstd", "gzip", "snappy", "none")
# S3 bucket names (also valid for GCS XML and MinIO): 3-63 chars, lowercase, digits, dots, hyphens.
BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")


class Destination(StrictModel):
    """One export destination: an S3-compatible bucket and prefix, a format and a compression."""

    id: str = Field(pattern=SOURCE_ID_PATTERN)
    name: str | None = None
    bucket: str
    prefix: str = ""
    region: str | None = None
    endpointUrl: str | None = None
    credentialRef: str | None = None
    addressingStyle: Literal["auto", "path", "virtual"] | None = None
    format: Literal["events", "ocsf", "security_lake"] = "events"
    compression: Literal["zstd", "gzip", "snappy", "none"] = "zstd"
    startDate: date | None = None
    maxRowsPerFile: int = Field(default=500_000, gt=0)
    schedule: str | None = None  # optional cron (UTC): export the previous complete day on this schedule
    # Security Lake custom-source layout: ext/<sourceName>[/<sourceVersion>]/region=/accountId=/eventDay=
    accountId: str | None = Field(default=None, pattern=r"^[0-9]{12}$")
    sourceName: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_\-]{1,20}$")
    sourceVersion: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.\-]{1,32}$")
    # OCSF version of the events written (security_lake only; Security Lake accepts up to 1.3)
    ocsfVersion: OcsfVersion | None = None

    @model_validator(mode="before")
    @classmethod
    def _ocsf_version_default(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("format") == "security_lake" and data.get("ocsfVersion") is None:
            return {**data, "ocsfVersion": SECURITY_LAKE_DEFAULT}
        return data

    @field_validator("bucket")
    @classmethod
    def _bucket(cls, v: str) -> str:
        if not BUCKET_RE.match(v) or ".." in v:
            raise ValueError("not a valid bucket name (3-63 lowercase letters, digits, '.', '-')")
        return v

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, v: str) -> str:
        v = v.strip("/")
        if any(part in ("", ".", "..") for part in v.split("/")) and v:
            raise ValueError("must not contain empty, '.' or '..' path segments")
        return v

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, v: str | None) -> str | None:
        from governance_pipeline.adapters.http_polling.cron import validate_cron

        return None if v is None else validate_cron(v)

    @field_validator("endpointUrl")
    @classmethod
    def _endpoint(cls, v: str | None) -> str | None:
        if v is None:
            return v
        parsed = urlparse(v)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"invalid endpoint '{v}': expected http(s)://host[:port]")
        try:
            _ = parsed.port  # raises on a bad port
        except ValueError:
            raise ValueError(f"invalid endpoint '{v}': bad port") from None
        return v.rstrip("/")

    @model_validator(mode="after")
    def _security_lake(self) -> Destination:
        if self.format == "security_lake":
            missing = [k for k in ("accountId", "sourceName", "region") if getattr(self, k) is None]
            if missing:
                raise ValueError(f"format security_lake needs {', '.join(missing)}")
        else:
            extra = [
                k for k in ("accountId", "sourceName", "sourceVersion", "ocsfVersion") if getattr(self, k) is not None
            ]
            if extra:
                raise ValueError(f"{', '.join(extra)} only apply to format security_lake")
        return self

    @property
    def asset_key(self) -> list[str]:
        return ["exports", self.id]

    @property
    def display_name(self) -> str:
        return self.name or self.id


def parse_destinations(
    file: str, raw: Any, credentials: dict, problems: list[ConfigProblem]
) -> tuple[Destination, ...]:
    """Validate the ``destinations:`` list; append a problem per error, return the valid destinations."""
    if not isinstance(raw, list):
        problems.append(ConfigProblem(file, None, "destinations", "must be a list"))
        return ()
    out: list[Destination] = []
    seen: set[str] = set()
    for index, entry in enumerate(raw):
        raw_id = entry.get("id") if isinstance(entry, dict) else None
        label = f"destination '{raw_id}': " if isinstance(raw_id, str) else f"destinations[{index}]."
        if not isinstance(entry, dict):
            problems.append(ConfigProblem(file, None, f"destinations[{index}]", "must be a mapping"))
            continue
        try:
            dest = Destination.model_validate(entry)
        except ValidationError as exc:
            for err in exc.errors():
                loc = format_loc(tuple(err["loc"]))
                msg = err["msg"].removeprefix("Value error, ")
                if err["type"] == "extra_forbidden":
                    msg = "unknown key"
                problems.append(ConfigProblem(file, None, f"{label}{loc}" if loc else label.rstrip(". :"), msg))
            continue
        if dest.id in seen:
            problems.append(ConfigProblem(file, None, f"{label}id", "duplicate destination id"))
            continue
        seen.add(dest.id)
        if dest.credentialRef is not None and dest.credentialRef not in credentials:
            problems.append(
                ConfigProblem(file, None, f"{label}credentialRef", f"unknown credential set '{dest.credentialRef}'")
            )
            continue
        out.append(dest)
    return tuple(out)
