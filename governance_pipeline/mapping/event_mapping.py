"""``eventMapping``: normalized field -> JSONPath, compiled once, applied to a page of records at a time."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from governance_pipeline.lake.schema import EVENT_SCHEMA, FLOAT_FIELDS, INT_FIELDS, MAPPABLE_FIELDS
from governance_pipeline.mapping.coerce import (
    float_column,
    int_column,
    text_column,
    timestamp_column,
)
from governance_pipeline.mapping.jsonpath import compile_extractor, compile_path

_DUMPS_OPTS = orjson.OPT_NON_STR_KEYS
# Fields whose value, when present, must coerce or the record is quarantined: the date partition, spend and usage
# come from them, so a null or 0 in their place would be a silent lie (README, "Poisoned records").
STRICT_FIELDS = frozenset({"event_timestamp", "cost_usd", "tokens_input", "tokens_output"})


class PoisonedRecords(ValueError):
    """Records whose strict fields do not coerce, for a caller that did not ask for the rejects."""

    def __init__(self, rejects: list[tuple[int, str]]):
        self.rejects = rejects
        i, reason = rejects[0]
        super().__init__(f"{len(rejects)} record(s) cannot be mapped; record {i}: {reason}")


def dump_json(record: Any) -> str:
    return orjson.dumps(record, option=_DUMPS_OPTS, default=str).decode()


def stable_id(raw_text: str) -> str:
    """A deterministic id for records that carry none: the same record always gets the same id."""
    return "sha256:" + hashlib.sha256(raw_text.encode()).hexdigest()[:40]


class EventMapping:
    """A compiled ``eventMapping``.

    ``paths`` maps normalized field names (see ``lake.schema.MAPPABLE_FIELDS``) to JSONPath strings.
    A field left out, or whose path finds nothing, takes its default (text: null; numbers: 0).
    When ``model`` is not mapped it follows ``target`` (the seed's mapping puts the model there).
    """

    def __init__(self, paths: Mapping[str, str | None]):
        unknown = set(paths) - set(MAPPABLE_FIELDS)
        if unknown:
            raise ValueError(f"unknown normalized field(s): {', '.join(sorted(unknown))}")
        self.paths = {k: v for k, v in paths.items() if v}
        self._getters: dict[str, Callable[[Any], Any]] = {k: compile_path(v) for k, v in self.paths.items()}
        self._model_follows_target = "model" not in paths and "target" in self._getters
        if self._model_follows_target:
            self._getters["model"] = self._getters["target"]
        self._extract = compile_extractor(self.paths)

    def extract(self, records: Sequence[Any]) -> dict[str, list[Any]]:
        """Raw values per mapped field (one list per field, aligned with ``records``)."""
        values = self._extract(records)
        if self._model_follows_target:
            values["model"] = list(values["target"])
        return values

    def to_table(
        self,
        records: Sequence[Any],
        raw_texts: Sequence[str] | None = None,
        rejects: list[tuple[int, str]] | None = None,
    ) -> pa.Table:
        """Map a page of records to a normalized table (without ``source_type``/``ingested_at``). See
        ``build_table`` for ``rejects``."""
        return build_table(self.extract(records), records, raw_texts, rejects)


def build_table(
    values: dict[str, list[Any]],
    records: Sequence[Any],
    raw_texts: Sequence[str] | None = None,
    rejects: list[tuple[int, str]] | None = None,
) -> pa.Table:
    """Normalized table from raw values per field; coerces types and fills ids and defaults.

    A record whose value in a ``STRICT_FIELDS`` field is present but does not coerce (not a number, beyond int64,
    not finite, not a timestamp in 1970..9999) is left out of the table and ``(its index, the reason)`` is added to
    ``rejects``; without ``rejects`` such records raise ``PoisonedRecords``. Other fields never reject: a text
    field takes any value as text, ``duration_ms`` becomes null."""
    n = len(records)
    if raw_texts is None:
        raw_texts = [dump_json(r) for r in records]
    columns: dict[str, pa.Array] = {}
    problems: dict[int, str] = {}
    for name in MAPPABLE_FIELDS:
        raw = values.get(name)
        if raw is None:
            continue
        strict = problems if name in STRICT_FIELDS else None
        if name == "event_timestamp":
            columns[name] = timestamp_column(raw, strict, name)
        elif name in FLOAT_FIELDS:
            columns[name] = float_column(raw, strict, name)
        elif name in INT_FIELDS:
            columns[name] = int_column(raw, strict, name)
        else:
            columns[name] = text_column(raw)
    if problems:
        found = sorted(problems.items())
        if rejects is None:
            raise PoisonedRecords(found)
        rejects.extend(found)
        keep = pa.array([i not in problems for i in range(n)], pa.bool_())
        columns = {name: pc.filter(col, keep) for name, col in columns.items()}
        raw_texts = [t for i, t in enumerate(raw_texts) if i not in problems]
        n = len(raw_texts)
    ids = columns.get("source_event_id")
    if ids is None or ids.null_count:
        given = ids.to_pylist() if ids is not None else [None] * n
        columns["source_event_id"] = pa.array(
            [g if g is not None else stable_id(t) for g, t in zip(given, raw_texts)], pa.string()
        )
    columns["raw_payload"] = pa.array(raw_texts, pa.string())
    fields = [EVENT_SCHEMA.field(k) for k in columns]
    return pa.Table.from_arrays(list(columns.values()), schema=pa.schema(fields))
