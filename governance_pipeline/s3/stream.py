"""Bytes of an object, streamed in bounded memory: gzip sniffed from the magic bytes, lines split across chunks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from isal import isal_zlib

GZIP_MAGIC = b"\x1f\x8b"
READ_CHUNK = 1 << 20  # compressed bytes per read from the StreamingBody
OUT_CHUNK = 8 << 20  # decompressed bytes per step, whatever the compression ratio
MAX_LINE = 64 << 20  # a longer line (or JSON element) is an error, not a reason to grow without bound


class StreamError(ValueError):
    """The object's bytes cannot be read to the end (truncated gzip, oversized line)."""


def _sniffed(chunks: Iterable[bytes]) -> tuple[bytes, Iterator[bytes]]:
    it = iter(chunks)
    head = b""
    for chunk in it:
        head += chunk
        if len(head) >= len(GZIP_MAGIC):
            break
    return head, it


def decoded(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The object's content, gunzipped when it starts with ``1f 8b`` (multi-member gzip included)."""
    head, rest = _sniffed(chunks)
    if not head.startswith(GZIP_MAGIC):
        if head:
            yield head
        yield from rest
        return
    inflater = isal_zlib.decompressobj(31)

    def feed(data: bytes) -> Iterator[bytes]:
        nonlocal inflater
        while data:
            try:
                out = inflater.decompress(data, OUT_CHUNK)
            except isal_zlib.error as exc:  # type: ignore[misc]  # isal's stubs type `error` loosely
                raise StreamError(f"corrupt gzip data: {exc}") from None
            if out:
                yield out
            if inflater.eof:
                data = inflater.unused_data
                if not data.strip(b"\x00"):
                    return
                inflater = isal_zlib.decompressobj(31)  # next gzip member
            else:
                data = inflater.unconsumed_tail

    yield from feed(head)
    for chunk in rest:
        yield from feed(chunk)
    if not inflater.eof:
        tail = inflater.flush()
        if tail:
            yield tail
        raise StreamError("truncated gzip stream (the object ends before the gzip trailer)")


def line_aligned(chunks: Iterable[bytes], size: int) -> Iterator[bytes]:
    """The content regrouped into blocks of about ``size`` bytes, each ending with a newline. When the stream
    breaks (``StreamError``), the complete lines read so far are yielded before the error is raised."""
    parts: list[bytes] = []
    held = 0
    try:
        for chunk in chunks:
            parts.append(chunk)
            held += len(chunk)
            if held < size:
                continue
            cut = chunk.rfind(b"\n") + 1
            if cut:  # one copy makes the block: the chunks held before, then this one up to its last line end
                yield (
                    chunk if len(parts) == 1 and cut == len(chunk) else b"".join([*parts[:-1], memoryview(chunk)[:cut]])
                )
                rest = chunk[cut:]
            else:
                buf = b"".join(parts)
                cut = buf.rfind(b"\n") + 1
                if cut == 0:
                    if len(buf) > MAX_LINE:
                        raise StreamError(f"a line is longer than {MAX_LINE} bytes")
                    parts, held = [buf], len(buf)
                    continue
                yield buf[:cut]
                rest = buf[cut:]
            parts, held = ([rest] if rest else []), len(rest)
    except StreamError:
        buf = b"".join(parts)
        cut = buf.rfind(b"\n") + 1
        if cut:
            yield buf[:cut]
        raise
    if held:
        buf = b"".join(parts)
        yield buf if buf.endswith(b"\n") else buf + b"\n"
