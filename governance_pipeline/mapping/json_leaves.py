"""The values at a few plain JSON paths in every line of an NDJSON block, pulled out by DuckDB's JSON functions.

DuckDB parses each line once (yyjson, in C++, without the GIL) and returns, per path, the value's JSON text; only
the mapped values are materialized, where Arrow's JSON reader builds a column for every field of every line. The
texts become Arrow columns typed the way Arrow's JSON reader types them (string, int64, double, bool), so
``arrow_json`` coerces them with the same code; an object or array becomes its compact JSON text
(:class:`JsonText`), which is what the row path writes for one mapped to a text field.

``LeafExtractor.extract`` returns None for a block it cannot reproduce exactly; ``arrow_json`` then parses that
block with Arrow's reader, which declines in turn where the row path must decide (and quarantine). Two kinds of
decline:

- the block's *text*: a line DuckDB rejects, a line that does not start with ``{``, or a closing bracket after a
  comma or a blank (DuckDB accepts trailing commas; the row path does not). Only that block goes elsewhere.
- the *values*: mixed kinds under one path, strings with escapes inside objects, floats inside objects (yyjson and
  orjson may print them differently), ``NaN``, integers beyond 64 bits. The extractor then stands down for the
  rest of the run (``active``), so a source whose values it cannot take pays for it once.

One leniency remains: where a line repeats a key, DuckDB takes the first value; the row path takes the last and
Arrow's reader rejects the block.
"""

from __future__ import annotations

import functools
import threading

import duckdb
import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from governance_pipeline.mapping.bytescan import positions_of

_QUOTE, _BACKSLASH, _MINUS, _T, _F = ord('"'), ord("\\"), ord("-"), ord("t"), ord("f")
_OPEN_BRACE, _OPEN_BRACKET = ord("{"), ord("[")
_FLOAT_MARKS = (ord("."), ord("e"), ord("E"))
_local = threading.local()


class JsonText:
    """The compact JSON text of objects or arrays found under one path (a string array, null where absent)."""

    __slots__ = ("text",)

    def __init__(self, text: pa.Array):
        self.text = text


class _Unusable(Exception):
    """These values are not ones the extractor can type exactly: stand down for the run."""


@functools.cache
def _database() -> duckdb.DuckDBPyConnection:
    return duckdb.connect(config={"threads": 1})  # blocks are mapped on several threads already


def _cursor() -> duckdb.DuckDBPyConnection:
    """This thread's cursor on one in-memory DuckDB (a cursor serves one thread at a time)."""
    cur = getattr(_local, "cursor", None)
    if cur is None:
        cur = _local.cursor = _database().cursor()
    return cur


def json_path(steps: list[str]) -> str | None:
    """The DuckDB JSON path of plain keys (each quoted), or None for keys it cannot quote."""
    if any('"' in key or "\\" in key for key in steps):
        return None
    return "$" + "".join(f'."{key}"' for key in steps)


class LeafExtractor:
    def __init__(self, paths: list[list[str]]):
        quoted = [json_path(steps) for steps in paths]
        plain = [q for q in quoted if q is not None]
        self.active = bool(paths) and len(plain) == len(quoted)
        listed = ", ".join("'" + q.replace("'", "''") + "'" for q in plain) if self.active else ""
        columns = ", ".join(f"v[{i + 1}] AS c{i}" for i in range(len(paths)))
        self.sql = f"SELECT {columns} FROM (SELECT json_extract(line, [{listed}]) AS v FROM lines)"

    def extract(self, lines: pa.Array) -> list[pa.Array | JsonText | None] | None:
        """Per path: the typed column (None where no line has the path), or None to decline the block."""
        if not self.active or not _plain_text(lines):
            return None
        try:
            rel = _cursor().from_arrow(pa.table({"line": lines})).query("lines", self.sql)
            if rel is None:
                return None
            table = rel.to_arrow_table()
        except duckdb.Error:
            return None  # a malformed line: Arrow's reader and then the row path find it
        try:
            return [_typed(table.column(i).combine_chunks()) for i in range(table.num_columns)]
        except (_Unusable, pa.ArrowInvalid, pa.ArrowNotImplementedError):
            self.active = False
            return None


def objects_only(lines: pa.Array) -> bool:
    """Every line starts with ``{``."""
    data = np.frombuffer(lines.buffers()[2], np.uint8)
    starts = np.frombuffer(lines.buffers()[1], np.int32, len(lines), lines.offset * 4)
    return bool((data[starts] == _OPEN_BRACE).all())


def _plain_text(lines: pa.Array) -> bool:
    """Every line starts with ``{`` and no ``}`` or ``]`` follows a comma or a blank, so DuckDB's leniencies
    (trailing commas, a top-level value that is not an object) cannot hide a line the row path rejects."""
    if not objects_only(lines):
        return False
    data = np.frombuffer(lines.buffers()[2], np.uint8)
    closers = positions_of(data, ord("}"), fold=0x20)  # '}' (0x7d) and ']' (0x5d)
    before = data[closers[closers > 0] - 1]
    return not ((before == ord(",")) | (before == ord(" ")) | (before == ord("\t"))).any()


def _typed(texts: pa.Array) -> pa.Array | JsonText | None:
    """A column of JSON texts (null where the path is absent) as Arrow's JSON reader would type it."""
    n = len(texts)
    if texts.null_count == n:
        return None
    values = texts.drop_null() if texts.null_count else texts  # only present values' bytes are looked at
    offsets = np.frombuffer(values.buffers()[1], np.int32, len(values) + 1, values.offset * 4)
    data = np.frombuffer(values.buffers()[2], np.uint8)
    firsts = data[offsets[:-1]]
    if (firsts == ord("n")).any():  # JSON null: the same as absent
        return _typed(pc.if_else(pc.equal(texts, "null"), pa.scalar(None, pa.string()), texts))
    used = data[offsets[0] : offsets[-1]]  # byte checks are whole-array compares: no per-value Python
    if (firsts == _QUOTE).all():
        if (used == _BACKSLASH).any():  # escapes: decode those strings exactly
            return pa.array([None if t is None else orjson.loads(t) for t in texts.to_pylist()], pa.string())
        return pc.utf8_slice_codeunits(texts, 1, -1)
    if ((firsts == _MINUS) | _digits(firsts)).all():
        if not any((used == mark).any() for mark in _FLOAT_MARKS):
            return texts.cast(pa.int64())  # "-Infinity" fails here; beyond 64 bits too
        floats = texts.cast(pa.float64())
        if not pc.all(pc.is_finite(floats)).as_py():
            raise _Unusable()
        return floats
    if ((firsts == _T) | (firsts == _F)).all():
        return pc.equal(texts, "true")
    if ((firsts == _OPEN_BRACE) | (firsts == _OPEN_BRACKET)).all():
        if (used == _BACKSLASH).any():
            raise _Unusable()  # yyjson's escapes (e.g. \u001F) are not orjson's
        digits = _digits(used)
        if digits.any():
            after = np.flatnonzero(digits[:-1]) + 1
            if any((used[after] == mark).any() for mark in _FLOAT_MARKS):
                raise _Unusable()  # a float inside: its printed form may differ
        return JsonText(texts)
    raise _Unusable()  # mixed kinds, NaN, Infinity


def _digits(data: np.ndarray) -> np.ndarray:
    digits: np.ndarray = np.subtract(data, ord("0"), dtype=np.uint8) < 10
    return digits
