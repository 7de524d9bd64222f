"""``${{...}}`` templates, parsed once at config load and rendered per request.

Names: ``credentials.<key>``, ``ingestionSource.<field>`` (id, name, type, organizationId), ``cursor``,
``window.start`` and ``window.end`` (ISO 8601 UTC). A string that is exactly one template renders to
``None`` when its value is unknown (no cursor yet, no window in an incremental run), so the caller can drop
that query parameter, header or body key instead of sending an empty value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from governance_pipeline.errors import PermanentError

_MARK = re.compile(r"\$\{\{(.*?)\}\}")
_NAME = re.compile(r"^(credentials\.[A-Za-z0-9_\-]+|ingestionSource\.[A-Za-z0-9_]+|cursor|window\.start|window\.end)$")
SOURCE_FIELDS = ("id", "name", "type", "organizationId")


class TemplateError(ValueError):
    pass


class MissingCredential(PermanentError, KeyError):
    """A ``${{credentials.<key>}}`` names a key the resolved credential set lacks (the message has no value)."""


@dataclass(frozen=True)
class Context:
    """What templates may read during one run; credentials are resolved for this run only."""

    credentials: Mapping[str, str] = field(default_factory=dict)
    source: Mapping[str, str] = field(default_factory=dict)
    cursor: str | None = None
    window_start: str | None = None
    window_end: str | None = None

    def lookup(self, name: str) -> str | None:
        if name == "cursor":
            return self.cursor
        if name == "window.start":
            return self.window_start
        if name == "window.end":
            return self.window_end
        kind, _, key = name.partition(".")
        if kind == "credentials":
            if key not in self.credentials:
                raise MissingCredential(f"credential key '{key}' is not in the resolved credential set")
            return self.credentials[key]
        return self.source.get(key) or None


@dataclass(frozen=True)
class Template:
    """A parsed string: literal pieces and template names, alternating."""

    text: str
    pieces: tuple[str, ...]  # even index: literal, odd index: name

    @property
    def names(self) -> tuple[str, ...]:
        return self.pieces[1::2]

    @property
    def is_literal(self) -> bool:
        return len(self.pieces) == 1

    def render(self, ctx: Context) -> str | None:
        if len(self.pieces) == 1:
            return self.pieces[0]
        if len(self.pieces) == 3 and not self.pieces[0] and not self.pieces[2]:
            return ctx.lookup(self.pieces[1])
        out = []
        for i, piece in enumerate(self.pieces):
            if i % 2:
                value = ctx.lookup(piece)
                out.append("" if value is None else value)
            else:
                out.append(piece)
        return "".join(out)


def parse(text: str) -> Template:
    """Parse ``text``; raises ``TemplateError("unknown template '${{x}}'")`` for a name outside the list."""
    pieces: list[str] = []
    pos = 0
    for m in _MARK.finditer(text):
        name = m.group(1).strip()
        if not _NAME.match(name) or (
            name.startswith("ingestionSource.") and name.split(".", 1)[1] not in SOURCE_FIELDS
        ):
            raise TemplateError(f"unknown template '{m.group(0)}'")
        pieces.extend([text[pos : m.start()], name])
        pos = m.end()
    rest = text[pos:]
    if "${{" in rest:
        raise TemplateError(f"unterminated template in '{text}'")
    pieces.append(rest)
    return Template(text, tuple(pieces))


def check(text: str) -> str:
    """Pydantic validator: the string parses."""
    parse(text)
    return text


def walk_json(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string inside a JSON value with its key path (``body.filter.since``)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from walk_json(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk_json(v, f"{path}[{i}]")


@dataclass(frozen=True)
class JsonTemplate:
    """A JSON body whose strings may hold templates; keys whose exact-template value is unknown are dropped."""

    value: Any

    @classmethod
    def compile(cls, value: Any) -> JsonTemplate:
        def conv(v: Any) -> Any:
            if isinstance(v, str):
                t = parse(v)
                return v if t.is_literal else t
            if isinstance(v, dict):
                return {k: conv(x) for k, x in v.items()}
            if isinstance(v, list):
                return [conv(x) for x in v]
            return v

        return cls(conv(value))

    def names(self) -> set[str]:
        out: set[str] = set()

        def visit(v: Any) -> None:
            if isinstance(v, Template):
                out.update(v.names)
            elif isinstance(v, dict):
                for x in v.values():
                    visit(x)
            elif isinstance(v, list):
                for x in v:
                    visit(x)

        visit(self.value)
        return out

    def render(self, ctx: Context) -> Any:
        def r(v: Any) -> Any:
            if isinstance(v, Template):
                return v.render(ctx)
            if isinstance(v, dict):
                out = {}
                for k, x in v.items():
                    rendered = r(x)
                    if rendered is None and isinstance(x, Template):
                        continue
                    out[k] = rendered
                return out
            if isinstance(v, list):
                return [r(x) for x in v]
            return v

        return r(self.value)
