"""Load and validate the sources file, collecting every problem with its file, source id and key path."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import BaseModel, ValidationError

from governance_pipeline.config.credentials import control_character_problem, has_control_character
from governance_pipeline.config.errors import ConfigError, ConfigProblem, ConfigValueError, format_loc
from governance_pipeline.config.models import (
    DEFAULT_MAX_LAG_MINUTES,
    EnvRef,
    Freshness,
    PriceOverride,
    Source,
    SourceEntry,
    SourcesFile,
)

if TYPE_CHECKING:
    from governance_pipeline.adapters.base import Adapter

_TOP_KEYS = {"credentials", "sources", "destinations", "pricing"}


def _pydantic_problems(file: str, source_id: str | None, prefix: str, exc: ValidationError) -> list[ConfigProblem]:
    out = []
    for err in exc.errors():
        loc = format_loc(tuple(err["loc"]))
        msg = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        path = ".".join(p for p in (prefix, loc) if p)
        out.append(ConfigProblem(file, source_id, path, msg))
    return out


def _credentials(file: str, raw: Any, problems: list[ConfigProblem]) -> dict[str, dict[str, Any]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append(ConfigProblem(file, None, "credentials", "must be a mapping of credential set names"))
        return {}
    out: dict[str, dict[str, Any]] = {}
    for name, values in raw.items():
        if not isinstance(values, dict):
            problems.append(ConfigProblem(file, None, f"credentials.{name}", "must be a mapping of keys to values"))
            continue
        entry: dict[str, Any] = {}
        for key, value in values.items():
            where = f"credentials.{name}.{key}"
            if isinstance(value, (str, int, float)) and not isinstance(value, bool):
                if has_control_character(str(value)):
                    problems.append(ConfigProblem(file, None, where, control_character_problem("the value")))
                    continue
                entry[str(key)] = str(value)
            elif isinstance(value, dict):
                try:
                    entry[str(key)] = EnvRef.model_validate(value)
                except ValidationError as exc:
                    problems.extend(_pydantic_problems(file, None, where, exc))
            else:
                problems.append(ConfigProblem(file, None, where, "must be a literal or {env: NAME}"))
        out[str(name)] = entry
    return out


@dataclass(frozen=True)
class Resolvers:
    """What the loader needs from the layers above ``config/`` (``governance_pipeline.sources_file`` gives it):
    the adapter class of a source type (raising ``LookupError`` that names the known types), and the parser of
    the ``destinations:`` list. ``config/`` itself imports neither the adapters nor the exports."""

    adapter: Callable[[str], type[Adapter[Any]]]
    destinations: Callable[[str, Any, dict[str, Any], list[ConfigProblem]], tuple[Any, ...]]


def _adapter_config(
    file: str, entry: SourceEntry, credentials: dict[str, Any], problems: list[ConfigProblem], resolvers: Resolvers
) -> tuple[type | None, Any]:
    try:
        adapter_cls = resolvers.adapter(entry.type)
    except LookupError as exc:
        problems.append(ConfigProblem(file, entry.id, "type", str(exc)))
        return None, None
    try:
        config: BaseModel = adapter_cls.Config.model_validate(entry.config)
    except ValidationError as exc:
        problems.extend(_pydantic_problems(file, entry.id, "config", exc))
        return adapter_cls, None
    except ConfigValueError as exc:
        problems.append(ConfigProblem(file, entry.id, f"config.{exc.key_path}", str(exc)))
        return adapter_cls, None
    ref = getattr(config, "credentialRef", None)
    if ref is not None and ref not in credentials:
        problems.append(ConfigProblem(file, entry.id, "config.credentialRef", f"unknown credential set '{ref}'"))
    for key_path, message in adapter_cls.check_config(config, entry, credentials):
        problems.append(ConfigProblem(file, entry.id, f"config.{key_path}" if key_path else "config", message))
    return adapter_cls, config


def parse_document(text: str, file: str, today: date | None, resolvers: Resolvers) -> SourcesFile:
    """Parse and validate sources-file text; raises ``ConfigError`` listing every problem."""
    problems: list[ConfigProblem] = []
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else ""
        raise ConfigError(
            [ConfigProblem(file, None, where, f"not valid YAML: {getattr(exc, 'problem', exc)}")]
        ) from None
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise ConfigError([ConfigProblem(file, None, "", "must be a mapping with a 'sources' list")])
    for key in doc:
        if key not in _TOP_KEYS:
            problems.append(ConfigProblem(file, None, str(key), "unknown key"))
    credentials = _credentials(file, doc.get("credentials"), problems)
    raw_sources = doc.get("sources") or []
    if not isinstance(raw_sources, list):
        problems.append(ConfigProblem(file, None, "sources", "must be a list"))
        raw_sources = []
    pricing = _pricing(file, doc.get("pricing"), problems)
    today = today or datetime.now(UTC).date()
    sources: list[Source] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_sources):
        source_id = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
        label = source_id if source_id is not None else f"#{index}"
        try:
            entry = SourceEntry.model_validate(raw)
        except ValidationError as exc:
            problems.extend(_pydantic_problems(file, label, "", exc))
            continue
        if entry.id in seen:
            problems.append(ConfigProblem(file, entry.id, "id", "duplicate source id"))
            continue
        seen.add(entry.id)
        problems.extend(_redact_problems(file, entry))
        adapter_cls, config = _adapter_config(file, entry, credentials, problems, resolvers)
        if adapter_cls is None or config is None:
            continue
        sources.append(
            Source(
                id=entry.id,
                type=entry.type,
                name=entry.name or entry.id,
                organization_id=entry.organizationId,
                start_date=entry.startDate or (today - timedelta(days=30)),
                retention_days=entry.retentionDays,
                config=config,
                adapter_cls=adapter_cls,
                raw_config=entry.config,
                pricing=pricing,
                capture_content=entry.captureContent,
                redact=tuple(entry.redact),
                freshness=(
                    Freshness.minutes(entry.freshness.maxLagMinutes, entry.freshness.warnLagMinutes)
                    if entry.freshness is not None
                    else Freshness.minutes(
                        int(getattr(adapter_cls, "default_max_lag_minutes", DEFAULT_MAX_LAG_MINUTES))
                    )
                ),
            )
        )
    destinations = _destinations(file, doc.get("destinations"), credentials, problems, resolvers)
    if problems:
        raise ConfigError(problems)
    return SourcesFile(
        path=file, credentials=credentials, sources=tuple(sources), destinations=destinations, pricing=pricing
    )


def _redact_problems(file: str, entry: SourceEntry) -> list[ConfigProblem]:
    """A ``redact`` entry is an attribute key or a JSONPath (``$...``) that parses (docs/content.md)."""
    from governance_pipeline.mapping.jsonpath import validate_path

    out = []
    for i, item in enumerate(entry.redact):
        if not item:
            out.append(ConfigProblem(file, entry.id, f"redact[{i}]", "must not be empty"))
        elif item.startswith("$"):
            try:
                validate_path(item)
            except ValueError as exc:
                out.append(ConfigProblem(file, entry.id, f"redact[{i}]", str(exc)))
    return out


def _pricing(file: str, raw: Any, problems: list[ConfigProblem]) -> tuple[PriceOverride, ...]:
    """The ``pricing:`` list (docs/costs.md); every problem names its ``pricing[i].key`` path."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.append(ConfigProblem(file, None, "pricing", "must be a list of model prices"))
        return ()
    out: list[PriceOverride] = []
    seen: dict[tuple[str, str | None, date | None], int] = {}
    for i, item in enumerate(raw):
        try:
            entry = PriceOverride.model_validate(item)
        except ValidationError as exc:
            problems.extend(_pydantic_problems(file, None, f"pricing[{i}]", exc))
            continue
        key = (entry.model.lower(), entry.provider.lower() if entry.provider else None, entry.from_)
        if key in seen:
            problems.append(
                ConfigProblem(file, None, f"pricing[{i}]", f"same model, provider and from as pricing[{seen[key]}]")
            )
            continue
        seen[key] = i
        out.append(entry)
    return tuple(out)


def _destinations(
    file: str, raw: Any, credentials: dict[str, Any], problems: list[ConfigProblem], resolvers: Resolvers
) -> tuple[Any, ...]:
    """Validated by the destinations parser; an empty tuple when the key is absent."""
    if not raw:
        return ()
    return resolvers.destinations(file, raw, credentials, problems)
