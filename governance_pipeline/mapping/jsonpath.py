"""JSONPath compiled once into a callable.

Plain paths (``$.a.b``, ``$.a[0]``, ``$['a-b']``) become direct dict/list accessors; anything else
(filters, wildcards, recursive descent) is parsed once by jsonpath-ng and evaluated per call.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError
from jsonpath_ng.ext import parse as _jsonpath_parse

Accessor = Callable[[Any], Any]

_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_\-]*)|\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")


def plain_steps(expr: str) -> list[str | int] | None:
    if not expr.startswith("$"):
        return None
    steps: list[str | int] = []
    pos = 1
    while pos < len(expr):
        m = _STEP.match(expr, pos)
        if not m:
            return None
        name, index, sq, dq = m.groups()
        steps.append(int(index) if index is not None else (name or sq or dq or ""))
        pos = m.end()
    return steps


def _accessor(steps: list[str | int]) -> Accessor:
    if not steps:
        return lambda obj: obj
    if len(steps) == 1:
        (a,) = steps

        def get1(obj: Any) -> Any:
            try:
                return obj[a]
            except (KeyError, IndexError, TypeError):
                return None

        return get1
    if len(steps) == 2:
        a, b = steps

        def get2(obj: Any) -> Any:
            try:
                return obj[a][b]
            except (KeyError, IndexError, TypeError):
                return None

        return get2

    def getn(obj: Any) -> Any:
        try:
            for s in steps:
                obj = obj[s]
            return obj
        except (KeyError, IndexError, TypeError):
            return None

    return getn


def _parse(expr: str) -> Any:
    try:
        return _jsonpath_parse(expr)
    except (JsonPathLexerError, JsonPathParserError, Exception) as exc:  # jsonpath-ng raises bare Exception too
        raise ValueError(f"invalid JSONPath '{expr}': {exc}") from None


def validate_path(expr: str) -> str:
    if not isinstance(expr, str) or not expr.startswith("$"):
        raise ValueError(f"invalid JSONPath '{expr}': must start with '$'")
    if plain_steps(expr) is None:
        _parse(expr)
    return expr


def compile_path(expr: str) -> Accessor:
    """Callable returning the first value the path finds in a document, or None."""
    validate_path(expr)
    steps = plain_steps(expr)
    if steps is not None:
        return _accessor(steps)
    parsed = _parse(expr)

    def find_first(obj: Any) -> Any:
        matches = parsed.find(obj)
        return matches[0].value if matches else None

    return find_first


def compile_path_all(expr: str) -> Callable[[Any], list[Any]]:
    """Callable returning every value the path finds; a plain path that finds a list returns its items."""
    validate_path(expr)
    steps = plain_steps(expr)
    if steps is not None:
        get = _accessor(steps)

        def find_plain(obj: Any) -> list[Any]:
            value = get(obj)
            if value is None:
                return []
            return value if isinstance(value, list) else [value]

        return find_plain
    parsed = _parse(expr)

    def find_all(obj: Any) -> list[Any]:
        values = [m.value for m in parsed.find(obj)]
        if len(values) == 1 and isinstance(values[0], list):
            return values[0]
        return values

    return find_all


def compile_extractor(paths: dict[str, str]) -> Callable[[Sequence[Any]], dict[str, list[Any]]]:
    """One function that reads every mapped field of every record: ``records -> {field: [values]}``.

    Plain paths are generated as inline subscripts in a single loop over the records (one Python call per
    page instead of one per field and record; about 3x faster); other paths call their compiled accessor.
    Values are the same as ``compile_path(path)(record)`` gives: None where the path finds nothing.
    """
    names = list(paths)
    getters = {name: compile_path(p) for name, p in paths.items()}
    lines = ["def extract(records):", f"    out = {{{', '.join(f'{n!r}: []' for n in names)}}}"]
    lines += [f"    add_{i} = out[{n!r}].append" for i, n in enumerate(names)]
    lines.append("    for r in records:")
    if not names:
        lines.append("        pass")
    for i, name in enumerate(names):
        steps = plain_steps(paths[name])
        if steps is None:
            lines.append(f"        add_{i}(get_{i}(r))")
            continue
        access = "r" + "".join(f"[{s!r}]" for s in steps)
        lines += [
            "        try:",
            f"            add_{i}({access})",
            "        except (KeyError, IndexError, TypeError):",
            f"            add_{i}(None)",
        ]
    lines.append("    return out")
    namespace: dict[str, Any] = {f"get_{i}": getters[n] for i, n in enumerate(names)}
    exec(compile("\n".join(lines), "<eventMapping>", "exec"), namespace)
    extract: Callable[[Sequence[Any]], dict[str, list[Any]]] = namespace["extract"]
    return extract
