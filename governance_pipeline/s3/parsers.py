"""Per-file parsers (``csv``, ``json-array``) over decoded byte chunks, yielding bounded batches (``ndjson`` is
read in line-aligned blocks and mapped by ``mapping.records.RecordMapper``).

Each batch carries the parsed records, their original text (``raw_payload``), and the malformed input with
the object key, line number and error; a malformed record never stops the rest of the file.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from governance_pipeline.mapping import records
from governance_pipeline.mapping.event_mapping import dump_json
from governance_pipeline.s3.jsonarray import iter_elements
from governance_pipeline.s3.stream import StreamError

PARSERS = ("ndjson", "csv", "json-array")
BATCH_ROWS = 20_000
RAW_LIMIT = 2_000  # characters of a malformed record kept in quarantine


@dataclass
class Parsed:
    records: list[dict] = field(default_factory=list)
    raws: list[str] = field(default_factory=list)
    bad: list[dict] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # where each record starts in its file

    @property
    def raw_count(self) -> int:
        return len(self.records) + len(self.bad)


def bad_record(key: str, line: int, error: str, raw: str = "") -> dict:
    return {"file": key, "line": line, "error": error, "raw": raw[:RAW_LIMIT]}


def decode_object(text: bytes, key: str, line: int, bad: list[dict]) -> dict | None:
    """The JSON object in ``text``; or None, with the reason (invalid JSON, not an object) added to ``bad``."""
    obj = records.decode_object(text)
    if isinstance(obj, str):
        bad.append(bad_record(key, line, obj, text.decode("utf-8", "replace")))
        return None
    return obj


def parse(kind: str, chunks: Iterable[bytes], key: str, batch_rows: int = BATCH_ROWS) -> Iterator[Parsed]:
    """CSV or a JSON array, decoded into records (NDJSON is mapped by blocks: ``mapping.records.RecordMapper``)."""
    if kind == "csv":
        return parse_csv(chunks, key, batch_rows)
    if kind == "json-array":
        return parse_json_array(chunks, key, batch_rows)
    raise ValueError(f"no record parser for {kind!r} (known: {', '.join(PARSERS)})")


def _text_lines(chunks: Iterable[bytes]) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
    tail = ""
    for chunk in chunks:
        text = tail + decoder.decode(chunk)
        parts = text.split("\n")
        tail = parts.pop()
        for part in parts:
            yield part + "\n"
    tail += decoder.decode(b"", final=True)
    if tail:
        yield tail


def parse_csv(chunks: Iterable[bytes], key: str, batch_rows: int = BATCH_ROWS) -> Iterator[Parsed]:
    """RFC 4180 CSV with a header row; quoted fields may hold commas, quotes and newlines. Empty cells are null."""
    out = Parsed()
    reader = csv.reader(_text_lines(chunks), strict=True)
    header: list[str] | None = None
    line = 0
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except StreamError as exc:
            out.bad.append(bad_record(key, start, str(exc)))
            break
        except csv.Error as exc:
            out.bad.append(bad_record(key, start, f"invalid CSV: {exc}"))
            continue
        line = start
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if header is None:
            header = [h.strip() for h in row]
            continue
        if len(row) != len(header):
            out.bad.append(bad_record(key, line, f"expected {len(header)} fields, got {len(row)}", ",".join(row)))
            continue
        record = {h: (v if v != "" else None) for h, v in zip(header, row)}
        out.records.append(record)
        out.raws.append(dump_json(record))
        out.lines.append(line)
        if len(out.records) >= batch_rows:
            yield out
            out = Parsed()
    if out.records or out.bad:
        yield out


def parse_json_array(chunks: Iterable[bytes], key: str, batch_rows: int = BATCH_ROWS) -> Iterator[Parsed]:
    """One top-level JSON array per file, split into elements incrementally (see ``jsonarray``)."""
    out = Parsed()
    try:
        for line, text in iter_elements(chunks):
            obj = decode_object(text, key, line, out.bad)
            if obj is None:
                continue
            out.records.append(obj)
            out.raws.append(dump_json(obj))
            out.lines.append(line)
            if len(out.records) >= batch_rows:
                yield out
                out = Parsed()
    except StreamError as exc:
        out.bad.append(bad_record(key, getattr(exc, "line", 0) or 0, str(exc)))
    if out.records or out.bad:
        yield out
