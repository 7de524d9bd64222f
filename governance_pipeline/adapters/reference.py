"""What the reference sources (copilot_studio, claude_compliance, openai_compliance_api) share: a config with
only credentials, ``baseUrl`` and ``schedule`` editable (plus an optional ``eventMapping`` override and retry
knobs), and a default mapping whose fields may be a JSONPath, a list of JSONPaths (first non-null wins) or a
function of the record. Fields given in the override replace the defaults one by one."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

import orjson
import pyarrow as pa
from pydantic import Field

from governance_pipeline.adapters.base import Adapter
from governance_pipeline.adapters.common import EventMappingConfig
from governance_pipeline.config.cron import Cron
from governance_pipeline.config.models import StrictModel
from governance_pipeline.http.retry import RetryConfig
from governance_pipeline.mapping.event_mapping import build_table
from governance_pipeline.mapping.jsonpath import compile_path

FieldSpec = str | Sequence[str] | Callable[[Any], Any]


class ReferenceConfig(StrictModel):
    credentialRef: str = Field(min_length=1)
    baseUrl: str = Field(min_length=1)
    schedule: Cron | None = None
    eventMapping: EventMappingConfig | None = None
    retry: RetryConfig = Field(default_factory=RetryConfig)

    @property
    def base(self) -> str:
        return self.baseUrl.rstrip("/")


RefConfigT = TypeVar("RefConfigT", bound=ReferenceConfig)


class ReferenceAdapter(Adapter[RefConfigT]):
    """A vendor source on a schedule that filters by time at the source and reads ``credential_keys``."""

    trigger = "schedule"
    credential_keys: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def check_config(cls, config: ReferenceConfig, entry, credentials: dict) -> Iterator[tuple[str, str]]:
        """The credential set has every key the source reads."""
        have = credentials.get(config.credentialRef)
        if have is None:
            return
        for key in cls.credential_keys:
            if key not in have:
                yield "credentialRef", f"credential set '{config.credentialRef}' has no key '{key}'"


class ReferenceMapping:
    """A default mapping plus the user's override, compiled once."""

    def __init__(self, defaults: Mapping[str, FieldSpec], override: EventMappingConfig | None = None):
        specs: dict[str, FieldSpec] = dict(defaults)
        if override is not None:
            specs.update(override.compiled.paths)
        self.getters: dict[str, Callable[[Any], Any]] = {}
        for name, spec in specs.items():
            if callable(spec):
                self.getters[name] = spec
            elif isinstance(spec, str):
                self.getters[name] = compile_path(spec)
            else:
                self.getters[name] = _first_of([compile_path(p) for p in spec])

    def to_table(
        self,
        records: Sequence[Any],
        raw_texts: Sequence[str] | None = None,
        rejects: list[tuple[int, str]] | None = None,
    ) -> pa.Table:
        values = {name: [get(r) for r in records] for name, get in self.getters.items()}
        return build_table(values, records, raw_texts, rejects)


def _first_of(getters: list[Callable[[Any], Any]]) -> Callable[[Any], Any]:
    def get(record: Any) -> Any:
        for g in getters:
            v = g(record)
            if v is not None and v != "":
                return v
        return None

    return get


def parse_time(ts: Any) -> datetime | None:
    """An ISO 8601 time (``Z`` or offset; no zone means UTC) as an aware datetime, or None."""
    try:
        dt = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    except (TypeError, ValueError, AttributeError):
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def raw_texts(records: Sequence[Any]) -> list[str]:
    dumps = orjson.dumps
    return [dumps(r).decode() for r in records]
