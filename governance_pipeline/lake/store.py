"""Where lake files live: a local folder or an S3-compatible bucket, behind one small interface.

Paths given to a store are relative to the lake root and use ``/``. Writes are atomic: a local file is
written beside its final name, fsynced and renamed; an S3 object is one PUT (or a completed multipart upload),
so a reader never sees a partial file.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

PARQUET_OPTS = dict(compression="zstd", write_statistics=True)
# Columns unique per row: a dictionary only costs time before Parquet gives up on it.
NO_DICTIONARY = frozenset({"raw_payload", "source_event_id"})


def dictionary_columns(schema: pa.Schema) -> list[str] | bool:
    if not NO_DICTIONARY & set(schema.names):
        return True
    return [f.name for f in schema if f.name not in NO_DICTIONARY and not pa.types.is_nested(f.type)]


class LakeStore:
    def __init__(self, root: str):
        self.root = root.rstrip("/")
        self.is_s3 = root.startswith("s3://")
        if self.is_s3:
            parsed = urlparse(root)
            self.fs: pafs.FileSystem = s3_filesystem()
            self.base = (parsed.netloc + parsed.path).rstrip("/")
        else:
            self.fs = pafs.LocalFileSystem()
            self.base = str(Path(root).resolve())

    def uri(self, rel: str) -> str:
        return f"{self.root}/{rel}"

    def _abs(self, rel: str) -> str:
        return f"{self.base}/{rel}"

    def list_files(self, rel_dir: str, suffix: str = "") -> list[str]:
        """Relative paths of the files under ``rel_dir`` (recursive), sorted."""
        selector = pafs.FileSelector(self._abs(rel_dir), recursive=True, allow_not_found=True)
        out = []
        for info in self.fs.get_file_info(selector):
            if info.type == pafs.FileType.File and info.path.endswith(suffix):
                out.append(info.path[len(self.base) + 1 :])
        return sorted(out)

    def list_dirs(self, rel_dir: str) -> list[str]:
        selector = pafs.FileSelector(self._abs(rel_dir), recursive=False, allow_not_found=True)
        return sorted(i.base_name for i in self.fs.get_file_info(selector) if i.type == pafs.FileType.Directory)

    def exists(self, rel: str) -> bool:
        return bool(self.fs.get_file_info(self._abs(rel)).type != pafs.FileType.NotFound)

    def write_parquet(self, rel: str, table: pa.Table) -> None:
        options = dict(use_dictionary=dictionary_columns(table.schema), **PARQUET_OPTS)
        if self.is_s3:
            buf = pa.BufferOutputStream()  # getvalue() hands the buffer over without a copy
            pq.write_table(table, buf, **options)
            self.write_bytes(rel, buf.getvalue())
            return
        with self._replacing(rel) as out:  # straight to disk: no buffer that grows (and faults in pages) by copies
            pq.write_table(table, out, **options)

    def write_bytes(self, rel: str, data: bytes | pa.Buffer) -> None:
        if self.is_s3:
            with self.fs.open_output_stream(self._abs(rel)) as out:
                out.write(data)
            return
        with self._replacing(rel) as out:
            out.write(data)

    @contextmanager
    def _replacing(self, rel: str) -> Iterator[pa.NativeFile]:
        """A local file written beside its final name, fsynced and renamed into place (removed on failure)."""
        final = Path(self._abs(rel))
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(f".{final.name}.{uuid.uuid4().hex[:8]}.partial")
        try:
            with pa.OSFile(str(tmp), "wb") as out:
                yield out
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        os.replace(tmp, final)
        _fsync_dir(final.parent)

    def read_bytes(self, rel: str) -> bytes:
        with self.fs.open_input_stream(self._abs(rel)) as f:
            return bytes(f.read())

    def read_table(self, rels: Iterable[str], columns: list[str] | None = None) -> pa.Table:
        tables = [pq.read_table(self._abs(r), columns=columns, filesystem=self.fs) for r in rels]
        if not tables:
            raise ValueError("no files to read")
        return pa.concat_tables(tables, promote_options="default") if len(tables) > 1 else tables[0]

    def count_rows(self, rels: Iterable[str]) -> int:
        """Rows in these Parquet files, from their footers (no data is read)."""
        total = 0
        for rel in rels:
            with self.fs.open_input_file(self._abs(rel)) as f:
                total += pq.ParquetFile(f).metadata.num_rows
        return total

    def move(self, src: str, dst: str) -> None:
        if not self.is_s3:
            Path(self._abs(dst)).parent.mkdir(parents=True, exist_ok=True)
            os.replace(self._abs(src), self._abs(dst))
            _fsync_dir(Path(self._abs(dst)).parent)
        else:
            self.fs.move(self._abs(src), self._abs(dst))

    def delete(self, rel: str) -> None:
        with suppress(FileNotFoundError):
            self.fs.delete_file(self._abs(rel))

    def delete_dir(self, rel: str) -> None:
        with suppress(FileNotFoundError, OSError):
            self.fs.delete_dir(self._abs(rel))

    def local_path(self, rel: str) -> str:
        """Absolute local path (local stores only)."""
        return self._abs(rel)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def s3_filesystem(
    endpoint_url: str | None = None,
    region: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    session_token: str | None = None,
) -> pafs.S3FileSystem:
    """An S3 filesystem honouring ``AWS_ENDPOINT_URL`` and the standard ``AWS_*`` variables."""
    endpoint = endpoint_url or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    kwargs: dict[str, Any] = {
        "region": region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    }
    if endpoint:
        parsed = urlparse(endpoint)
        kwargs["endpoint_override"] = parsed.netloc or parsed.path
        kwargs["scheme"] = parsed.scheme or "https"
        kwargs["force_virtual_addressing"] = False
    if access_key:
        kwargs.update(access_key=access_key, secret_key=secret_key, session_token=session_token)
    return pafs.S3FileSystem(**kwargs)
