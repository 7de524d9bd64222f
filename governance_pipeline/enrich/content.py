"""Content stays out of the lake unless a source asks for it (docs/content.md).

Prompt and response text found in ``raw_payload`` is removed before a batch is written, unless the source sets
``captureContent: true``; a source's ``redact:`` list removes more (attribute keys, matched at any depth, or
JSONPaths starting with ``$``). What was removed is listed in the ``redacted`` column (JSON text: the removed
paths, e.g. ``["attributes.gen_ai.input.messages"]``); null when nothing was.

Only rows whose payload text contains one of the keys are parsed (one regular-expression pass over the column first),
so batches without content cost one scan (a source with JSONPath redactions has every row parsed).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from governance_pipeline.mapping.jsonpath import _parse, validate_path

CONTENT_KEYS = frozenset(
    {
        # OpenTelemetry GenAI semantic conventions (current, then the deprecated span-attribute names)
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.system_instructions",
        "gen_ai.prompt",
        "gen_ai.completion",
        "gen_ai.tool.call.arguments",
        "gen_ai.tool.call.result",
        # OpenInference
        "input.value",
        "output.value",
        "llm.input_messages",
        "llm.output_messages",
        "llm.prompts",
        # Vercel AI SDK
        "ai.prompt",
        "ai.prompt.messages",
        "ai.response.text",
        "ai.response.object",
        "ai.response.toolCalls",
    }
)
"""Keys whose value is prompt or response text, at any depth of the payload."""

TEXT_ONLY_KEYS = frozenset({"prompt", "response", "request_text", "response_text"})
"""Coding agents' content keys (Claude Code and Codex ``prompt``/``response``, Gemini CLI ``request_text``/
``response_text``): common words, so removed only where their value is text (an audit record's ``response``
object with a status code stays)."""

CONTENT_PREFIXES = ("gen_ai.prompt.", "gen_ai.completion.", "llm.input_messages.", "llm.output_messages.")
"""Flattened forms (``llm.input_messages.0.message.content``)."""

TOP_LEVEL_CONTENT = frozenset({"inputs", "outputs"})
"""Top-level keys of a LangSmith run that hold its inputs and outputs."""


@dataclass(frozen=True)
class ContentPolicy:
    """What one source removes from ``raw_payload``: content unless ``capture_content``, plus ``redact``."""

    capture_content: bool = False
    redact: tuple[str, ...] = ()

    @cached_property
    def _keys(self) -> frozenset[str]:
        extra = {r for r in self.redact if not r.startswith("$")}
        return frozenset(extra) if self.capture_content else CONTENT_KEYS | TEXT_ONLY_KEYS | extra

    @cached_property
    def _paths(self) -> tuple[tuple[str, Any], ...]:
        return tuple((p, _parse(validate_path(p))) for p in self.redact if p.startswith("$"))

    @property
    def active(self) -> bool:
        return bool(self._keys or self._paths) or not self.capture_content

    @cached_property
    def _pattern(self) -> str | None:
        """One RE2 pattern for every key (one pass over the payload text instead of one per key)."""
        keys = sorted(self._keys | (set() if self.capture_content else TOP_LEVEL_CONTENT))
        parts = [f'"(?:{"|".join(re.escape(k) for k in keys)})"'] if keys else []
        if not self.capture_content:
            parts.append(f'"(?:{"|".join(re.escape(p) for p in CONTENT_PREFIXES)})')
        return "|".join(parts) or None

    def scrub(self, doc: Any) -> list[str]:
        """Remove from ``doc`` (in place) what the policy says; the removed paths."""
        removed: list[str] = []
        keys, prefixes = self._keys, () if self.capture_content else CONTENT_PREFIXES
        text_only = frozenset() if self.capture_content else TEXT_ONLY_KEYS - set(self.redact)
        if isinstance(doc, dict) and not self.capture_content:
            for k in [k for k in doc if k in TOP_LEVEL_CONTENT]:
                del doc[k]
                removed.append(k)

        def drop(key: str, value: Any) -> bool:
            if key in text_only:
                return _is_text(value)
            return key in keys or key.startswith(prefixes)

        _walk(doc, "", drop, removed)
        for text, parsed in self._paths:
            if parsed.find(doc):
                removed.append(text)
                parsed.filter(lambda _: True, doc)
        return removed

    def apply(self, table: pa.Table) -> pa.Table:
        """``table`` with content removed from ``raw_payload`` and the ``redacted`` column set."""
        if table.num_rows == 0 or "raw_payload" not in table.column_names or not self.active:
            return table
        raw = table.column("raw_payload")
        if self._paths:  # a JSONPath may match anywhere: parse every row
            hit: Any = pc.is_valid(raw)
        elif self._pattern is not None:
            hit = pc.fill_null(pc.match_substring_regex(raw, self._pattern), False)
        else:
            return table
        if not pc.any(hit).as_py():
            return table
        payloads = raw.to_pylist()
        redacted: list[str | None] = [None] * table.num_rows
        if "redacted" in table.column_names:
            redacted = table.column("redacted").to_pylist()
        for i in pc.indices_nonzero(hit).to_pylist():
            try:
                doc = orjson.loads(payloads[i])
            except orjson.JSONDecodeError:
                continue
            removed = self.scrub(doc)
            if removed:
                payloads[i] = orjson.dumps(doc).decode()
                before = orjson.loads(redacted[i]) if redacted[i] else []
                redacted[i] = orjson.dumps(sorted({*before, *removed})).decode()
        table = _set(table, "raw_payload", pa.array(payloads, pa.string()))
        return _set(table, "redacted", pa.array(redacted, pa.string()))


def _set(table: pa.Table, name: str, values: pa.Array) -> pa.Table:
    i = table.schema.get_field_index(name)
    return table.set_column(i, name, values) if i >= 0 else table.append_column(name, values)


def _is_text(value: Any) -> bool:
    """A string, or an OTLP ``AnyValue`` holding one (``{"stringValue": ...}``)."""
    if isinstance(value, dict) and len(value) == 1:
        value = value.get("stringValue", value.get("string_value"))
    return isinstance(value, str)


def _walk(node: Any, path: str, drop: Callable[[str, Any], bool], removed: list[str]) -> None:
    if isinstance(node, dict):
        for k in list(node):
            here = f"{path}.{k}" if path else str(k)
            if drop(str(k), node[k]):
                del node[k]
                removed.append(here)
            else:
                _walk(node[k], here, drop, removed)
    elif isinstance(node, list):
        kept = []
        for i, item in enumerate(node):
            # OTLP JSON attribute lists: {"key": "prompt", "value": {"stringValue": ...}}
            is_attr = isinstance(item, dict) and isinstance(item.get("key"), str) and "value" in item
            if is_attr and drop(item["key"], item["value"]):
                removed.append(f"{path}.{item['key']}")
                continue
            _walk(item, f"{path}[{i}]", drop, removed)
            kept.append(item)
        node[:] = kept
