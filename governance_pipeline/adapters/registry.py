"""Adapters by type name: built-ins, ``register_adapter`` and the ``governance_pipeline.adapters`` entry points."""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

from governance_pipeline.errors import PermanentError

if TYPE_CHECKING:
    from governance_pipeline.adapters.base import Adapter

ENTRY_POINT_GROUP = "governance_pipeline.adapters"

# type name -> "module:Class", imported on first use
BUILTIN: dict[str, str] = {
    "local_ndjson": "governance_pipeline.adapters.local_ndjson:LocalNdjsonAdapter",
    "http_polling": "governance_pipeline.adapters.http_polling:HttpPollingAdapter",
    "claude_compliance": "governance_pipeline.adapters.claude_compliance:ClaudeComplianceAdapter",
    "copilot_studio": "governance_pipeline.adapters.copilot_studio:CopilotStudioAdapter",
    "openai_compliance_api": "governance_pipeline.adapters.openai_compliance_api:OpenAIComplianceApiAdapter",
    "s3_polling": "governance_pipeline.adapters.s3_polling:S3PollingAdapter",
    "openai_compliance": "governance_pipeline.adapters.openai_compliance:OpenAIComplianceAdapter",
    "otel_generic": "governance_pipeline.adapters.otel_generic:OtelGenericAdapter",
    "langsmith": "governance_pipeline.adapters.langsmith:LangSmithAdapter",
    "langsmith_bulk_export": "governance_pipeline.adapters.langsmith_bulk_export:LangSmithBulkExportAdapter",
}

_registered: dict[str, type[Adapter]] = {}


class UnknownAdapterError(PermanentError, LookupError):
    pass


def register_adapter(cls: type[Adapter]) -> type[Adapter]:
    """Class decorator (or plain call) that makes ``cls`` available under ``cls.type_name``."""
    _registered[cls.type_name] = cls
    return cls


def _entry_points() -> dict[str, str]:
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def adapter_types() -> list[str]:
    return sorted(set(BUILTIN) | set(_registered) | set(_entry_points()))


def get_adapter(type_name: str) -> type[Adapter]:
    if type_name in _registered:
        return _registered[type_name]
    target = BUILTIN.get(type_name) or _entry_points().get(type_name)
    if target is None:
        raise UnknownAdapterError(f"unknown source type '{type_name}' (known: {', '.join(adapter_types())})")
    module_name, _, attr = target.partition(":")
    cls = getattr(importlib.import_module(module_name), attr)
    _registered[type_name] = cls
    return cls
