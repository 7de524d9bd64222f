"""Typed models of the sources file (README, "The sources file").

The outer shape (``credentials``, ``sources[]``) is fixed here; each source's ``config`` is validated by the
model its adapter declares, which makes the file a discriminated union on ``type`` that plug-ins can extend.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from governance_pipeline.enrich.content import ContentPolicy

if TYPE_CHECKING:
    from governance_pipeline.adapters.base import Adapter

SOURCE_ID_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"
DEFAULT_MAX_LAG_MINUTES = 24 * 60  # freshness of a source type that declares none


class StrictModel(BaseModel):
    """Base for every config model: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class EnvRef(StrictModel):
    env: str = Field(min_length=1)


CredentialValue = str | EnvRef


class FreshnessEntry(StrictModel):
    """``freshness``: a source is stale when no new data has landed for ``maxLagMinutes`` (warn earlier)."""

    maxLagMinutes: int = Field(gt=0, le=525_600)
    warnLagMinutes: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _warn_before_fail(self) -> FreshnessEntry:
        if self.warnLagMinutes is not None and self.warnLagMinutes >= self.maxLagMinutes:
            raise ValueError("warnLagMinutes must be less than maxLagMinutes")
        return self


@dataclass(frozen=True)
class Freshness:
    max_lag: timedelta
    warn_lag: timedelta | None = None

    @classmethod
    def minutes(cls, max_lag: int, warn_lag: int | None = None) -> Freshness:
        return cls(timedelta(minutes=max_lag), None if warn_lag is None else timedelta(minutes=warn_lag))

    def as_config(self) -> dict[str, int]:
        out = {"maxLagMinutes": int(self.max_lag.total_seconds() // 60)}
        if self.warn_lag is not None:
            out["warnLagMinutes"] = int(self.warn_lag.total_seconds() // 60)
        return out


class SourceEntry(StrictModel):
    id: str = Field(pattern=SOURCE_ID_PATTERN)
    type: str = Field(min_length=1)
    name: str | None = None
    organizationId: str | None = None
    startDate: date | None = None
    retentionDays: int | None = Field(default=None, gt=0)
    freshness: FreshnessEntry | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    captureContent: bool = False
    redact: list[str] = Field(default_factory=list)


class PriceOverride(StrictModel):
    """One entry of the sources file's ``pricing:`` list (docs/costs.md): USD per million tokens for a model.

    It wins over the bundled ``genai-prices`` data for events of ``model`` (and ``provider``, when given) from
    ``from`` (a UTC date) on; of several entries for one model the one that started last is in force. Rates left
    out default as the providers bill them: cache reads and writes at the input rate, 1-hour cache writes at the
    cache-write rate, reasoning at the output rate.
    """

    model: str = Field(min_length=1)
    provider: str | None = Field(default=None, min_length=1)
    from_: date | None = Field(default=None, alias="from")
    inputPerMTok: float = Field(ge=0)
    outputPerMTok: float = Field(ge=0)
    cacheReadPerMTok: float | None = Field(default=None, ge=0)
    cacheWritePerMTok: float | None = Field(default=None, ge=0)
    cacheWrite1hPerMTok: float | None = Field(default=None, ge=0)
    reasoningPerMTok: float | None = Field(default=None, ge=0)


class DestinationEntry(StrictModel):
    """Placeholder for the ``destinations:`` key; its fields are validated by the export module."""

    id: str = Field(pattern=SOURCE_ID_PATTERN)


@dataclass(frozen=True)
class Source:
    """One validated source: the entry's fields plus its adapter class and typed adapter config."""

    id: str
    type: str
    name: str
    organization_id: str | None
    start_date: date
    retention_days: int | None
    config: BaseModel  # the adapter's validated Config model (``adapter_cls.Config``)
    adapter_cls: builtins.type[Adapter[Any]] = field(repr=False)  # `type` is also a field name here
    raw_config: dict[str, Any] = field(repr=False, default_factory=dict)
    pricing: tuple[PriceOverride, ...] = ()  # the file's ``pricing:`` list, the same for every source
    capture_content: bool = False  # keep prompt and response text in raw_payload (docs/content.md)
    redact: tuple[str, ...] = ()  # further attribute keys or JSONPaths removed from raw_payload
    freshness: Freshness = field(default_factory=lambda: Freshness(timedelta(minutes=DEFAULT_MAX_LAG_MINUTES)))

    @property
    def asset_key(self) -> list[str]:
        return ["events", self.id]

    @property
    def content(self) -> ContentPolicy:
        """What this source removes from ``raw_payload`` before it is written (docs/content.md)."""
        return ContentPolicy(self.capture_content, self.redact)

    def template_fields(self) -> dict[str, str]:
        """Values for ``${{ingestionSource.<field>}}``."""
        return {
            "id": self.id,
            "name": self.name,
            "type": self.type,
            "organizationId": self.organization_id or "",
        }


@dataclass(frozen=True)
class SourcesFile:
    path: str
    credentials: dict[str, dict[str, CredentialValue]]
    sources: tuple[Source, ...]
    destinations: tuple[Any, ...] = ()
    pricing: tuple[PriceOverride, ...] = ()

    def source(self, source_id: str) -> Source:
        for s in self.sources:
            if s.id == source_id:
                return s
        known = ", ".join(s.id for s in self.sources) or "none"
        raise KeyError(f"{self.path}: no source '{source_id}' (known: {known})")
