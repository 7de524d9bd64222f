"""One call from events to the lake's rows, whatever path the mapping takes inside.

``RecordMapper.map_lines`` maps NDJSON: the whole block at once by ``ArrowJsonMapping`` (no per-row Python) when
it can promise the row path's result, else line by line, where a line that is not JSON, not an object, or whose
strict fields do not coerce is rejected with its reason and the others land. ``map_records`` maps events that are
already decoded (CSV rows, JSON array elements, pages decoded by orjson). Callers never choose a path.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from governance_pipeline.mapping.arrow_json import ArrowJsonMapping
from governance_pipeline.mapping.coerce import text_column
from governance_pipeline.mapping.event_mapping import EventMapping
from governance_pipeline.mapping.jsonpath import compile_path

ROW_BATCH = 20_000  # lines decoded into Python objects at once where the block mapping declines


class TableMapping(Protocol):
    def to_table(
        self,
        records: Sequence[Any],
        raw_texts: Sequence[str] | None = ...,
        rejects: list[tuple[int, str]] | None = ...,
    ) -> pa.Table: ...


@dataclass(frozen=True)
class Reject:
    line: int  # where the event starts, counted from 1 at the block's first line (blank lines included)
    reason: str
    raw: str  # the event's text as it arrived


@dataclass
class Mapped:
    table: pa.Table
    count: int  # events offered: rows mapped plus rejects (blank lines are not events)
    lines: int  # lines of the block this covers (the next part starts at line ``lines + 1``)
    rejects: list[Reject] = field(default_factory=list)  # in line order


class RecordMapper:
    """An ``eventMapping`` (or any mapping with ``to_table``) plus ``fallbacks``: text field -> JSONPath whose
    value fills the field where the mapped one is null."""

    def __init__(self, mapping: TableMapping, fallbacks: Mapping[str, str] | None = None):
        self.mapping = mapping
        self.fallbacks = dict(fallbacks or {})
        self._fallback_paths = {name: compile_path(path) for name, path in self.fallbacks.items()}
        # a subclass or another mapping may map differently from what the block mapping reproduces
        arrow = ArrowJsonMapping(mapping, self.fallbacks) if type(mapping) is EventMapping else None
        self._arrow = arrow if arrow is not None and arrow.supported else None

    @property
    def takes_blocks(self) -> bool:
        """Whether NDJSON blocks map without per-row Python, so producing them (rather than decoded events)
        and mapping them on worker threads pays."""
        return self._arrow is not None

    def map_lines(self, block: bytes, batch_rows: int = ROW_BATCH) -> Iterator[Mapped]:
        """``block``: complete NDJSON lines. The block mapping runs now (a worker thread may call this); the
        line-by-line path, where it declines, runs as the result is read, ``batch_rows`` events at a time."""
        table = self._arrow.map_block(block) if self._arrow is not None else None
        if table is not None:  # one row per line: the block mapping declines blocks with blank lines
            return iter([Mapped(table, table.num_rows, table.num_rows)])
        return self._line_by_line(block, batch_rows)

    def map_records(self, records: Sequence[Any], raws: Sequence[str]) -> tuple[pa.Table, list[tuple[int, str]]]:
        """Decoded events and their text: the table of those that map, and (index, reason) for those that don't."""
        rejects: list[tuple[int, str]] = []
        table = self.mapping.to_table(records, raws, rejects)
        if rejects and self._fallback_paths:
            dropped = {i for i, _ in rejects}
            records = [r for i, r in enumerate(records) if i not in dropped]
        for name, get in self._fallback_paths.items():
            if name in table.column_names and table.column(name).null_count:
                alt = text_column([get(r) for r in records])
                idx = table.column_names.index(name)
                table = table.set_column(idx, name, pc.coalesce(table.column(name), alt))
        return table, rejects

    def _line_by_line(self, block: bytes, batch_rows: int) -> Iterator[Mapped]:
        records: list[Any] = []
        raws: list[str] = []
        starts: list[int] = []
        bad: list[Reject] = []
        done = 0  # lines handed out in earlier parts
        lines = block.split(b"\n")
        if lines and not lines[-1]:
            lines.pop()  # the terminating newline
        for lineno, line in enumerate(lines, 1):
            if line.endswith(b"\r"):
                line = line[:-1]
            if not line or line.isspace():
                continue
            obj = decode_object(line)
            if type(obj) is str:
                bad.append(Reject(lineno, obj, line.decode("utf-8", "replace")))
                continue
            records.append(obj)
            raws.append(line.decode())
            starts.append(lineno)
            if len(records) >= batch_rows:
                yield self._part(records, raws, starts, bad, lineno - done)
                records, raws, starts, bad, done = [], [], [], [], lineno
        if records or bad or done < len(lines):
            yield self._part(records, raws, starts, bad, len(lines) - done)

    def _part(self, records: list[Any], raws: list[str], starts: list[int], bad: list[Reject], lines: int) -> Mapped:
        table, found = self.map_records(records, raws)
        rejects = bad + [Reject(starts[i], reason, raws[i]) for i, reason in found]
        rejects.sort(key=lambda r: r.line)
        return Mapped(table, len(records) + len(bad), lines, rejects)


def decode_object(text: bytes) -> dict[str, Any] | str:
    """The JSON object in ``text``, or why there is none (invalid JSON, not an object)."""
    try:
        obj = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        return f"invalid JSON: {exc}"
    if type(obj) is not dict:
        return f"expected a JSON object, got {type(obj).__name__}"
    return obj
