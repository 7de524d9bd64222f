"""The landing pull's fast path for spans: whole columns, not one span at a time.

``read(payloads)`` reads landed ``ExportTraceServiceRequest``s with the compiled reader (``_spanscan.c``) into one
batch of columns: the span fields, each span's ``raw_payload`` text and, for each attribute key the precedence lists
read, the values of the spans that have it. ``normalize_columns`` then applies the precedence lists to those columns
(``otlp.normalize`` does the same span by span, and stays the reference: ``tests/otlp/test_span_columns.py`` checks
that both give the same table for the same spans). A payload the reader leaves to protobuf (see ``_spanscan.c``)
ends the batch, and its spans take the Python path; so does every payload when the extension is not built.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from governance_pipeline.lake.schema import EVENT_SCHEMA
from governance_pipeline.mapping.coerce import present, to_float, to_int, to_text
from governance_pipeline.mapping.providers import normalize_provider
from governance_pipeline.mapping.usage_kind import DECIDING, FALLING_BACK
from governance_pipeline.otlp import normalize as n
from governance_pipeline.otlp.compiled import COMPILED_ERRORS
from governance_pipeline.otlp.spans import STATUS_NAMES

try:
    from governance_pipeline.otlp import _spanscan
except ImportError:  # built by `pip install` where a C compiler is present (setup.py)
    _spanscan = None  # type: ignore[assignment]

# every attribute key the precedence lists read: the reader returns these and no others
WANTED: tuple[str, ...] = tuple(
    dict.fromkeys(
        (
            *n.ACTOR,
            *n.ACTION,
            n.SPAN_KIND_KEY,
            *n.TARGET,
            *n.INPUT_TOKENS,
            *n.OUTPUT_TOKENS,
            *n.CACHE_READ_TOKENS,
            *n.CACHE_WRITE_TOKENS,
            *n.REASONING_TOKENS,
            *n.COST_BEFORE_AMOUNT,
            n.COST_AMOUNT,
            n.COST_CURRENCY,
            *n.COST_AFTER_AMOUNT,
            *n.PROVIDER,
            *n.CONVERSATION,
            *n.ERROR_TYPE,
            *(key for key, _ in (*DECIDING, *FALLING_BACK)),
        )
    )
)


def available() -> bool:
    return _spanscan is not None


ABSENT, NO_VALUE, TEXT, BOOL, INT, DOUBLE, ARRAY, KVLIST = range(8)  # type bytes of a wanted key's column (_spanscan.c)


def _bitmap(mask: np.ndarray) -> pa.Buffer | None:
    return pa.array(mask, pa.bool_()).buffers()[1] if not mask.all() else None


def _strings(data: bytes, offsets: bytes, count: int, valid: np.ndarray | None = None) -> pa.Array:
    bitmap = _bitmap(valid) if valid is not None else None
    return pa.Array.from_buffers(pa.string(), count, [bitmap, pa.py_buffer(offsets), pa.py_buffer(data)])


Strings = tuple[bytes, bytes]  # UTF-8 data, int32 offsets (one more than rows)
Found = tuple[bytes, bytes, bytes, Strings, dict[int, Any]]  # one wanted key's column, as _spanscan.scan gives it


@dataclass
class KeyColumn:
    """One wanted attribute key over a batch of spans: each span's value type, and its value in the column of
    that type (``others`` holds bools, arrays and kvlists, by row)."""

    types: np.ndarray
    ints: pa.Array
    doubles: np.ndarray
    text: pa.Array
    others: dict[int, Any]

    @classmethod
    def of(cls, count: int, found: Found) -> KeyColumn:
        """The column of one key over ``count`` spans, from what the reader found."""
        types_b, ints_b, doubles_b, (data, offsets), others = found
        types = np.frombuffer(types_b, dtype=np.uint8)
        ints = pa.Array.from_buffers(pa.int64(), count, [_bitmap(types == INT), pa.py_buffer(ints_b)])
        doubles = np.frombuffer(doubles_b, dtype=np.float64)
        return cls(types, ints, doubles, _strings(data, offsets, count, types == TEXT), others)

    def value(self, i: int) -> Any:
        """Row ``i``'s value as ``spans.any_value`` gives it."""
        return self.values_at(np.array([i]))[0]

    def values_at(self, rows: np.ndarray) -> list[Any]:
        """The values of ``rows``, each as ``spans.any_value`` gives it (None where absent or without a value)."""
        out: list[Any] = [None] * len(rows)
        types = self.types[rows]
        for t, column in ((TEXT, self.text), (INT, self.ints)):
            where = np.flatnonzero(types == t)
            if len(where):
                for j, v in zip(where.tolist(), column.take(pa.array(rows[where])).to_pylist()):
                    out[j] = v
        for j in np.flatnonzero(types == DOUBLE).tolist():
            out[j] = float(self.doubles[rows[j]])
        for j in np.flatnonzero(np.isin(types, (BOOL, ARRAY, KVLIST))).tolist():
            out[j] = self.others.get(int(rows[j]))
        return out

    def rows(self, *types: int) -> np.ndarray:
        return np.flatnonzero(np.isin(self.types, types))


@dataclass
class SpanColumns:
    """Spans of one or more landing files as columns (see ``read``); ``files`` names each span's file."""

    n: int
    trace_id: pa.Array
    span_id: pa.Array
    parent_span_id: pa.Array
    name: pa.Array
    raw: pa.Array
    start_ns: np.ndarray
    end_ns: np.ndarray
    status_code: np.ndarray
    values: dict[str, KeyColumn]
    exceptions: list[list[Any] | None]
    files: list[str] = field(default_factory=list)


def read(payloads: Sequence[bytes], files: Sequence[str]) -> tuple[int, SpanColumns | None]:
    """The spans of the landed trace payloads ``payloads`` (of landing files ``files``) as one batch of columns,
    up to the first payload the compiled reader leaves to the Python path: (how many it read, their spans; None
    when it read none)."""
    if _spanscan is None or not payloads:
        return 0, None
    try:
        taken, counts, count, *strings, start, end, code, values, exceptions = _spanscan.scan(payloads, WANTED)
    except COMPILED_ERRORS:  # a limit the reader has (a text column over 2 GiB)
        # the payloads together may be past it where the first alone is not; the first alone past it: Python path
        return read(payloads[:1], files[:1]) if len(payloads) > 1 else (0, None)
    if not taken:
        return 0, None
    trace_id, span_id, parent, name, raw = (_strings(data, offsets, count) for data, offsets in strings)
    return taken, SpanColumns(
        count,
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent,
        name=name,
        raw=raw,
        start_ns=np.frombuffer(start, dtype=np.uint64),
        end_ns=np.frombuffer(end, dtype=np.uint64),
        status_code=np.frombuffer(code, dtype=np.int32),
        values={WANTED[i]: KeyColumn.of(count, found) for i, found in values.items()},
        exceptions=exceptions,
        files=[f for f, spans in zip(files, counts) for _ in range(spans)],
    )


def _with_rows(arr: pa.Array, rows: np.ndarray, values: list[Any]) -> pa.Array:
    """``arr`` with ``values`` at ``rows`` where ``arr`` is null (``rows`` are rows ``arr`` leaves null)."""
    if not len(rows):
        return arr
    extra: list[Any] = [None] * len(arr)
    for i, v in zip(rows.tolist(), values):
        extra[i] = v
    return pc.coalesce(arr, pa.array(extra, arr.type))


def _nonempty(text: pa.Array) -> pa.Array:
    return pc.if_else(pc.not_equal(text, ""), text, pa.scalar(None, pa.string()))


class _Attrs:
    """The wanted attribute columns of a batch, coerced as ``mapping.coerce`` does, each key once per coercion."""

    def __init__(self, cols: SpanColumns) -> None:
        self.cols = cols
        self._cache: dict[tuple[str, str], pa.Array] = {}

    def has(self, key: str) -> np.ndarray:
        """Whether each span has ``key`` (its own or its resource's), whatever the value."""
        col = self.cols.values.get(key)
        return col.types != ABSENT if col is not None else np.zeros(self.cols.n, dtype=bool)

    def present(self, key: str) -> np.ndarray:
        """Whether each span's value of ``key`` says something (``coerce.present``)."""
        col = self.cols.values.get(key)
        if col is None:
            return np.zeros(self.cols.n, dtype=bool)
        out = col.types > TEXT
        texts = col.rows(TEXT)
        if len(texts):
            out[texts] = [present(v) for v in col.values_at(texts)]
        return out

    def column(self, key: str, how: str) -> pa.Array:
        if (key, how) not in self._cache:
            col = self.cols.values.get(key)
            self._cache[key, how] = pa.nulls(self.cols.n, _TYPES[how]) if col is None else _COERCE[how](col)
        return self._cache[key, how]

    def mapped(self, key: str, fn: Callable[[Any], str | None]) -> pa.Array:
        """``fn`` of each span's value of ``key`` (None where absent or without a value)."""
        col = self.cols.values.get(key)
        if col is None:
            return pa.nulls(self.cols.n, pa.string())
        out = pa.nulls(self.cols.n, pa.string())
        if (col.types == TEXT).any():
            out = self.mapped_text(col.text, fn, pa.string())
        rows = col.rows(BOOL, INT, DOUBLE, ARRAY, KVLIST)
        return _with_rows(out, rows, [fn(v) for v in col.values_at(rows)])

    @staticmethod
    def mapped_text(text: pa.Array, fn: Callable[[Any], Any], type_: pa.DataType) -> pa.Array:
        """``fn`` of each value of a text column, called once per distinct value (nulls stay null)."""
        encoded = pc.dictionary_encode(text)
        return pa.array([fn(v) for v in encoded.dictionary.to_pylist()], type_).take(encoded.indices)

    def first(self, keys: Sequence[str], how: str) -> pa.Array:
        """``precedence.first_text`` / ``first_int`` / ``first_float`` over the columns."""
        cols = [self.column(k, how) for k in keys if k in self.cols.values]
        if not cols:
            return pa.nulls(self.cols.n, _TYPES[how])
        return cols[0] if len(cols) == 1 else pc.coalesce(*cols)

    def any_present(self, keys: Sequence[str]) -> np.ndarray:
        out = np.zeros(self.cols.n, dtype=bool)
        for k in keys:
            if k in self.cols.values:
                out |= self.present(k)
        return out


def _text(col: KeyColumn) -> pa.Array:
    out = _nonempty(col.text)
    if (col.types == INT).any():
        out = pc.coalesce(out, pc.cast(col.ints, pa.string()))
    rows = col.rows(BOOL, DOUBLE, ARRAY, KVLIST)
    return _with_rows(out, rows, [to_text(v) for v in col.values_at(rows)])


def _int(col: KeyColumn) -> pa.Array:
    rows = col.rows(TEXT, DOUBLE)
    return _with_rows(col.ints, rows, [to_int(v) for v in col.values_at(rows)])


def _float(col: KeyColumn) -> pa.Array:
    usable = (col.types == DOUBLE) & np.isfinite(col.doubles)
    out = pa.array(col.doubles, pa.float64(), mask=~usable)
    if (col.types == INT).any():
        out = pc.coalesce(out, pc.cast(col.ints, pa.float64(), safe=False))
    rows = col.rows(TEXT)
    return _with_rows(out, rows, [to_float(v) for v in col.values_at(rows)])


_TYPES = {"text": pa.string(), "int": pa.int64(), "float": pa.float64()}
_COERCE: dict[str, Callable[[KeyColumn], pa.Array]] = {"text": _text, "int": _int, "float": _float}


def _mask(arr: pa.Array) -> np.ndarray:
    return np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)


def normalize_columns(cols: SpanColumns, rejects: list[tuple[int, str]] | None = None) -> pa.Table:
    """``otlp.normalize.normalize`` of the spans in ``cols``: the same table, and the same rejects."""
    a = _Attrs(cols)
    count = cols.n
    tin, tout = a.first(n.INPUT_TOKENS, "int"), a.first(n.OUTPUT_TOKENS, "int")

    # cost (normalize.cost_of): the amount counts only in USD (or with no currency)
    usd = np.ones(count, dtype=bool)
    if n.COST_CURRENCY in cols.values:
        currency = a.column(n.COST_CURRENCY, "text")
        usd = np.asarray(
            pc.fill_null(a.mapped_text(currency, n.is_usd, pa.bool_()), True).to_numpy(zero_copy_only=False), bool
        )
    amount = a.column(n.COST_AMOUNT, "float")
    if not usd.all():
        amount = pc.if_else(pa.array(usd), amount, pa.scalar(None, pa.float64()))
    cost = pc.coalesce(a.first(n.COST_BEFORE_AMOUNT, "float"), amount, a.first(n.COST_AFTER_AMOUNT, "float"))

    # poisoned (normalize.usage): the columns find the spans where a usage key is present and no value of its list
    # parsed; for those few, normalize.usage itself decides, and words the reason, from the span's wanted attributes
    amount_present = a.any_present((n.COST_AMOUNT,)) & usd
    cost_present = a.any_present(n.COST_BEFORE_AMOUNT) | amount_present | a.any_present(n.COST_AFTER_AMOUNT)
    candidates = (
        (_mask(tin) & a.any_present(n.INPUT_TOKENS))
        | (_mask(tout) & a.any_present(n.OUTPUT_TOKENS))
        | (_mask(cost) & cost_present)
    )
    poisoned = np.zeros(count, dtype=bool)
    for i in np.flatnonzero(candidates).tolist():
        why = n.usage({k: col.value(i) for k, col in cols.values.items() if col.types[i] != ABSENT})[3]
        if why is not None:
            poisoned[i] = True
            if rejects is not None:
                rejects.append((i, why))

    model, tool = a.first(n.MODEL, "text"), a.first(n.TOOL, "text")
    embedding = a.first((n.EMBEDDING_MODEL,), "text")
    model_or_embedding = pc.coalesce(model, embedding)
    has_model, has_tool = pc.is_valid(model_or_embedding), pc.is_valid(tool)
    event_type = pc.if_else(has_model, "api.call", pc.if_else(has_tool, "tool.invocation", "agent.action"))

    provider = pa.nulls(count, pa.string())
    provider_cols = [a.mapped(k, normalize_provider) for k in n.PROVIDER if k in cols.values]
    if provider_cols:
        provider = provider_cols[0] if len(provider_cols) == 1 else pc.coalesce(*provider_cols)

    span_kind = a.mapped(n.SPAN_KIND_KEY, lambda v: t.lower() if (t := to_text(v)) else None)
    action = pc.coalesce(a.first(n.ACTION, "text"), span_kind, _nonempty(cols.name))

    error_type = a.first(n.ERROR_TYPE, "text")
    if any(e is not None for e in cols.exceptions):
        from_events = [_exception_type(e) for e in cols.exceptions]
        error_type = pc.coalesce(error_type, pa.array(from_events, pa.string()))

    starts, ends = cols.start_ns, cols.end_ns
    timed = starts > 0
    ok = timed & (ends >= starts)
    spans_ns = np.where(ok, ends - starts, 0)
    duration = spans_ns.astype(np.float64) / 1_000_000
    for i in np.flatnonzero(spans_ns >= 2**53).tolist():  # beyond a double's integers: as Python divides them
        duration[i] = int(spans_ns[i]) / 1_000_000
    code = cols.status_code
    arrays: dict[str, pa.Array] = {
        "source_event_id": cols.span_id,
        "event_timestamp": pa.array((starts // 1000).astype(np.int64), mask=~timed).cast(
            EVENT_SCHEMA.field("event_timestamp").type
        ),
        "actor": a.first(n.ACTOR, "text"),
        "action": action,
        "target": pc.coalesce(model, tool, embedding),
        "cost_usd": cost,
        "tokens_input": tin,
        "tokens_output": tout,
        "tokens_cache_read": a.first(n.CACHE_READ_TOKENS, "int"),
        "tokens_cache_write": a.first(n.CACHE_WRITE_TOKENS, "int"),
        "tokens_reasoning": a.first(n.REASONING_TOKENS, "int"),
        "raw_payload": cols.raw,
        "event_type": event_type,
        "model": model_or_embedding,
        "provider": provider,
        "tool_name": tool,
        "status": pc.if_else(
            pa.array(code == 1), STATUS_NAMES[1], pc.if_else(pa.array(code == 2), STATUS_NAMES[2], STATUS_NAMES[0])
        ),
        "error_type": error_type,
        "duration_ms": pa.array(duration, mask=~ok),
        "conversation_id": a.first(n.CONVERSATION, "text"),
        "trace_id": _nonempty(cols.trace_id),
        "span_id": cols.span_id,
        "parent_span_id": _nonempty(cols.parent_span_id),
        "usage_kind": _usage_kind(a),
    }
    schema = pa.schema([EVENT_SCHEMA.field(c) for c in n.SPAN_COLUMNS])
    table = pa.Table.from_arrays([arrays[c].cast(schema.field(c).type) for c in n.SPAN_COLUMNS], schema=schema)
    return table.filter(pa.array(~poisoned)) if poisoned.any() else table


def _exception_type(values: list[Any] | None) -> str | None:
    for v in values or ():
        if err := to_text(v):
            return err
    return None


def _usage_kind(a: _Attrs) -> pa.Array:
    """``usage_kind.usage_kind_of``: the first deciding key a span has decides, even when its value says nothing."""
    out = pc.coalesce(*(a.mapped(key, kind_of) for key, kind_of in FALLING_BACK))
    for key, kind_of in reversed(DECIDING):
        has = a.has(key)
        if has.any():
            out = pc.if_else(pa.array(has), a.mapped(key, kind_of), out)
    return out
