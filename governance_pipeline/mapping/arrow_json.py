"""``eventMapping`` applied to a block of NDJSON at once: no per-row Python work.

The mapped values come from DuckDB's JSON functions (``json_leaves``), which extract only those paths, or, for a
block or a run they decline, from Arrow's C++ JSON reader. Either way the result is exactly what
``EventMapping.to_table`` gives for the same lines, or ``None`` when it cannot promise that (a line that is not an
object, mixed types, CR line ends, index or wildcard paths, values whose exact text Arrow does not keep); the
caller then takes the row-by-row path for that block. Two deliberate
normalizations: Arrow infers ISO-8601 strings as timestamps (same instant as ``coerce.to_micros``), and a JSON
object mapped to a text field (e.g. ``flags``) is re-serialized with its keys in the block's order.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pajson

from governance_pipeline.lake.schema import EVENT_SCHEMA, FLOAT_FIELDS, INT_FIELDS, MAPPABLE_FIELDS, TS
from governance_pipeline.mapping.bytescan import positions_of
from governance_pipeline.mapping.coerce import (
    float_column,
    in_range,
    int_column,
    iso_timestamps,
    text_column,
    timestamp_column,
)
from governance_pipeline.mapping.event_mapping import STRICT_FIELDS, EventMapping, stable_id
from governance_pipeline.mapping.json_leaves import JsonText, LeafExtractor, objects_only
from governance_pipeline.mapping.jsonpath import plain_steps

_PARSE = pajson.ParseOptions(newlines_in_values=False)
# Blocks are parsed on worker threads beside fetching and writing; Arrow's own threads would only add overhead.
_READ = pajson.ReadOptions(use_threads=False)
_CONTROL = "[\\x00-\\x1f]"


class _Inexact(Exception):
    """The block route cannot reproduce the row path's value for this block."""


def _keys_only(steps: list[str | int] | None) -> tuple[str, ...] | None:
    """The path's object keys, or None when it has no plain steps or indexes into a list."""
    if steps is None or not all(isinstance(x, str) for x in steps):
        return None
    return tuple(str(x) for x in steps)


class ArrowJsonMapping:
    def __init__(self, mapping: EventMapping, fallbacks: dict[str, str] | None = None):
        """``fallbacks``: field -> JSONPath whose value fills the field where the mapped one is null."""
        paths = dict(mapping.paths)
        if "model" not in paths and "target" in paths:
            paths["model"] = paths["target"]
        steps = {name: plain_steps(path) for name, path in paths.items()}
        extra = {name: plain_steps(path) for name, path in (fallbacks or {}).items()}
        named = {name: _keys_only(s) for name, s in steps.items()}
        named_extra = {name: _keys_only(s) for name, s in extra.items()}
        self.supported = all(s is not None for s in (*named.values(), *named_extra.values())) and set(extra) <= set(
            steps
        )
        self.steps: dict[str, tuple[str, ...]] = {}
        self.fallbacks: dict[str, tuple[str, ...]] = {}
        if self.supported:
            self.steps = {name: s for name in MAPPABLE_FIELDS if (s := named.get(name)) is not None}
            self.fallbacks = {name: s for name, s in named_extra.items() if s is not None}
        self._paths = list(dict.fromkeys((*self.steps.values(), *self.fallbacks.values())))
        self._leaves = LeafExtractor([list(p) for p in self._paths])

    def _leaves_of(
        self, block: bytes, raws: pa.Array
    ) -> Callable[[tuple[str, ...]], pa.Array | JsonText | None] | None:
        """A path's column: from DuckDB's extraction, else (looked up when asked) from Arrow's reader of the
        block; None when neither route can take the block."""
        found = self._leaves.extract(raws) if self._leaves.active else None
        if found is not None:
            return dict(zip(self._paths, found)).__getitem__
        if not objects_only(raws) and not all(line.lstrip(" \t").startswith("{") for line in raws.to_pylist()):
            return None  # the row path quarantines what is not an object (and Arrow's reader can crash on a
            # block whose first line is `null`: pyarrow 2x segfaults, found by tests/fuzz)
        try:
            parsed = pajson.read_json(pa.BufferReader(block), read_options=_READ, parse_options=_PARSE)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            return None
        return partial(_find, parsed) if parsed.num_rows == len(raws) else None

    def map_block(self, block: bytes) -> pa.Table | None:
        """The normalized table of ``block`` (complete ``\\n``-terminated NDJSON lines), or None."""
        if not self.supported or b"\r" in block:
            return None
        raws = _lines(block)
        if raws is None:
            return None
        n = len(raws)
        try:
            leaf = self._leaves_of(block, raws)
            if leaf is None:
                return None
            columns = {name: _coerce(name, leaf(steps), n) for name, steps in self.steps.items()}
            for name, steps in self.fallbacks.items():
                if columns[name].null_count:
                    columns[name] = pc.coalesce(columns[name], _coerce(name, leaf(steps), n))
        except (_Inexact, pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, OverflowError):
            return None
        ids = columns.get("source_event_id")
        if ids is None or ids.null_count:
            given = ids.to_pylist() if ids is not None else [None] * n
            texts = raws.to_pylist()
            columns["source_event_id"] = pa.array(
                [g if g is not None else stable_id(t) for g, t in zip(given, texts)], pa.string()
            )
        columns["raw_payload"] = raws
        fields = [EVENT_SCHEMA.field(k) for k in columns]
        return pa.Table.from_arrays(list(columns.values()), schema=pa.schema(fields))


# A line with this many '{' or '[' may nest deeper than orjson reads (1024 levels): the row path decides on it
# (DuckDB and Arrow would take it, the row path quarantines it).
MAX_OPENERS_PER_LINE = 1000


def _deeply_nested(data: np.ndarray, ends: np.ndarray, lengths: np.ndarray) -> bool:
    if lengths.max() < MAX_OPENERS_PER_LINE:  # the usual case: no line is long enough to hold that many
        return False
    opens = positions_of(data, ord("{"), fold=0x20)  # '{' (0x7b) and '[' (0x5b)
    if len(opens) < MAX_OPENERS_PER_LINE:
        return False
    return bool(np.bincount(np.searchsorted(ends, opens)).max() >= MAX_OPENERS_PER_LINE)


def _lines(block: bytes) -> pa.Array | None:
    """The lines of ``block`` as a string array. Arrow string views point into ``block`` (built with numpy,
    no per-line Python), then one cast packs them. None when the block has blank lines (the row path keeps
    the line bookkeeping exact), a line that may nest deeper than orjson reads, is not UTF-8, or is too big for
    32-bit offsets."""
    if not block.endswith(b"\n") or len(block) >= 2**31:
        return None
    data = np.frombuffer(block, np.uint8)
    ends = positions_of(data, ord("\n"))
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    lengths = ends - starts
    if not lengths.all() or _deeply_nested(data, ends, lengths):
        return None
    # A view is 16 bytes: length, then either the value itself (12 bytes or fewer) or its first 4 bytes,
    # the buffer index (0) and the offset.
    head = data[np.minimum(starts[:, None] + np.arange(12), len(data) - 1)]
    short = lengths <= 12
    head[short] *= np.arange(12) < lengths[short, None]  # inline values are zero-padded
    views = np.zeros((len(ends), 4), np.int32)
    views[:, 0] = lengths
    views[:, 1:] = head.view(np.int32)
    views[~short, 2] = 0
    views[~short, 3] = starts[~short]
    lines = pa.Array.from_buffers(pa.string_view(), len(ends), [None, pa.py_buffer(views), pa.py_buffer(block)])
    out = lines.cast(pa.string())
    try:
        out.validate(full=True)
    except pa.ArrowInvalid:
        return None
    return out


def _find(table: pa.Table, steps: tuple[str, ...]) -> pa.Array | None:
    if not steps or steps[0] not in table.column_names:
        return None
    col = table.column(steps[0]).combine_chunks()
    for step in steps[1:]:
        if not pa.types.is_struct(col.type) or col.type.get_field_index(step) < 0:
            if pa.types.is_null(col.type) or pa.types.is_struct(col.type):
                return None
            raise _Inexact()  # e.g. a string where the path expects an object: the row path returns null too
        col = pc.struct_field(col, step)
    return col


def _coerce(name: str, col: pa.Array | JsonText | None, n: int) -> pa.Array:
    if isinstance(col, JsonText):  # objects or arrays as compact JSON: the row path's text for them
        if name == "event_timestamp" or name in FLOAT_FIELDS or name in INT_FIELDS:
            raise _Inexact()
        return col.text
    if name == "event_timestamp":
        target = TS
    elif name in FLOAT_FIELDS:
        target = pa.float64()
    elif name in INT_FIELDS:
        target = pa.int64()
    else:
        target = pa.string()
    if col is None or pa.types.is_null(col.type):
        return pa.nulls(n, target)
    t = col.type
    strict = name in STRICT_FIELDS
    problems: dict[int, str] = {}
    if target == TS:
        if pa.types.is_timestamp(t):
            out = col.cast(pa.timestamp(t.unit, tz=t.tz or "UTC")).cast(TS)
        elif pa.types.is_integer(t):
            out = _epoch_int(col.cast(pa.int64()))
        elif pa.types.is_floating(t):
            out = _epoch_float(col.cast(pa.float64()))
        elif pa.types.is_string(t):
            parsed = iso_timestamps(col) if len(col) and not col.null_count else None
            out = parsed if parsed is not None else timestamp_column(col.to_pylist(), problems, name)
        else:
            raise _Inexact()
        if problems or not in_range(out):
            raise _Inexact()  # the row path quarantines those records
        return out
    if target == pa.float64():
        if pa.types.is_floating(t) or pa.types.is_integer(t):
            out = col.cast(pa.float64())
            if pc.any(pc.invert(pc.is_finite(out))).as_py():
                raise _Inexact()
            return out
        if pa.types.is_string(t):
            out = float_column(col.to_pylist(), problems, name)
        elif pa.types.is_boolean(t) and not strict:
            return pa.nulls(len(col), pa.float64())
        else:
            raise _Inexact()
        if strict and problems:
            raise _Inexact()
        return out
    if target == pa.int64():
        if pa.types.is_integer(t):
            return col.cast(pa.int64())
        if pa.types.is_floating(t):
            if pc.any(pc.greater_equal(pc.abs(col), 2.0**63)).as_py():
                raise _Inexact()  # beyond int64 (or rounded onto its edge): the row path quarantines it
            return pc.trunc(col).cast(pa.int64())
        if pa.types.is_string(t):
            out = int_column(col.to_pylist(), problems, name)
            if problems:
                raise _Inexact()
            return out
        raise _Inexact()  # booleans, objects: the row path decides
    if pa.types.is_string(t):
        return col
    if pa.types.is_integer(t) or pa.types.is_boolean(t):
        return col.cast(pa.string())
    if pa.types.is_floating(t):
        return text_column(col.to_pylist())
    if pa.types.is_struct(t):
        return _struct_json(col)
    raise _Inexact()


def _epoch_int(v: pa.Array) -> pa.Array:
    """``coerce.epoch_to_micros`` for an int64 column: seconds, ms or us told apart by magnitude."""
    a = pc.abs(v)
    if pc.any(pc.greater_equal(a, 10**17)).as_py():
        raise _Inexact()  # nanosecond epochs: leave the exact integer division to the row path
    # The branch chosen for a value never overflows (|v| < 1e11 -> < 1e17 us); the others are discarded.
    micros = pc.if_else(
        pc.less(a, 10**11),
        pc.multiply(v, 1_000_000),
        pc.if_else(pc.less(a, 10**14), pc.multiply(v, 1_000), v),
    )
    return micros.cast(TS)


def _epoch_float(v: pa.Array) -> pa.Array:
    """``coerce.epoch_to_micros`` for a float column (Python's ``round`` is half-to-even, as here)."""
    a = pc.abs(v)
    if pc.any(pc.greater_equal(a, 1e14)).as_py() or pc.any(pc.is_nan(v)).as_py():
        raise _Inexact()
    scaled = pc.if_else(pc.less(a, 1e11), pc.multiply(v, 1_000_000.0), pc.multiply(v, 1_000.0))
    return pc.round(scaled, 0, "half_to_even").cast(pa.int64()).cast(TS)


def _struct_json(col: pa.StructArray) -> pa.Array:
    """JSON text of a struct column whose leaves are strings, integers or booleans. A row without the object
    gives null (as the row path does); a null *inside* an object declines, since absent and null keys look alike
    in Arrow."""
    parts: list[Any] = []
    for i, field in enumerate(col.type):
        child = pc.struct_field(col, i)  # null wherever the struct itself is null
        if child.null_count != col.null_count:
            raise _Inexact()
        if pa.types.is_struct(field.type):
            text = _struct_json(child)
        elif pa.types.is_string(field.type):
            if pc.any(pc.match_substring_regex(child, _CONTROL)).as_py():
                raise _Inexact()
            escaped = pc.replace_substring(pc.replace_substring(child, "\\", "\\\\"), '"', '\\"')
            text = pc.binary_join_element_wise('"', escaped, '"', "")
        elif pa.types.is_integer(field.type) or pa.types.is_boolean(field.type):
            text = child.cast(pa.string())
        else:
            raise _Inexact()
        key = '"' + field.name.replace("\\", "\\\\").replace('"', '\\"') + '":'
        parts.extend([("," if i else "{") + key, text])
    if not parts:
        raise _Inexact()
    parts.append("}")
    return pc.binary_join_element_wise(*parts, "")
