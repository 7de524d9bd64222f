"""Split one top-level JSON array into its elements' text, incrementally.

Memory stays bounded by the largest element plus one chunk: the scanner only tracks nesting depth and string
boundaries (a regex jumps over each string) and cuts the text at top-level commas; each element is then parsed
on its own with orjson, so one malformed element is quarantined and the others land.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from governance_pipeline.s3.stream import MAX_LINE, StreamError

_SCAN = re.compile(rb'[\[\]{},"]')
_STRING_REST = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*"')  # from just after an opening quote to its closing quote
_WS = b" \t\r\n"


def _error(message: str, line: int) -> StreamError:
    exc = StreamError(message)
    exc.line = line  # type: ignore[attr-defined]
    return exc


def iter_elements(chunks: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
    """``(line number where the element starts, element text)`` for each element of the array."""
    buf = b""
    pos = 0  # where scanning resumes
    start = 0  # where the current element's text begins
    depth = 0
    state = "pre"  # pre: before '['; in: inside the array; post: after the closing ']'
    line_pos, line_no = 0, 1  # line number at offset line_pos of buf

    def line_at(offset: int) -> int:
        nonlocal line_pos, line_no
        line_no += buf.count(b"\n", line_pos, offset)
        line_pos = offset
        return line_no

    for chunk in chunks:
        buf += chunk
        while True:
            if state == "pre":
                while pos < len(buf) and buf[pos] in _WS:
                    pos += 1
                if pos == len(buf):
                    break
                if buf[pos] != ord("["):
                    raise _error("expected a JSON array at the top level", line_at(pos))
                pos += 1
                start, depth, state = pos, 1, "in"
                continue
            if state == "post":
                if buf[pos:].strip(_WS):
                    raise _error("unexpected data after the JSON array", line_at(pos))
                pos = len(buf)
                break
            m = _SCAN.search(buf, pos)
            if m is None:
                pos = len(buf)
                break
            i = m.start()
            c = buf[i]
            if c == 0x22:  # '"'
                end = _STRING_REST.match(buf, i + 1)
                if end is None:
                    pos = i  # the string goes on in the next chunk
                    break
                pos = end.end()
                continue
            if c in b"[{":
                depth += 1
            elif c in b"]}":
                depth -= 1
            if (c == 0x2C and depth == 1) or depth == 0:
                text = buf[start:i]
                stripped = text.lstrip(_WS)
                if stripped or c == 0x2C:
                    yield line_at(start + len(text) - len(stripped)), stripped.rstrip(_WS)
                start = i + 1
                if depth == 0:
                    state = "post"
            pos = i + 1
        keep = start if state == "in" else pos
        keep = min(keep, pos)
        if keep:
            line_at(keep)
            buf = buf[keep:]
            pos -= keep
            start -= keep
            line_pos = 0
        if len(buf) > MAX_LINE:
            raise _error(f"a JSON array element is longer than {MAX_LINE} bytes", line_at(0))
    if state == "in":
        raise _error("unterminated JSON array (the file ends inside it)", line_at(min(start, len(buf))))
    if state == "pre" and buf.strip(_WS):
        raise _error("expected a JSON array at the top level", line_at(0))
