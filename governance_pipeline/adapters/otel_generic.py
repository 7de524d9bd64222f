"""``otel_generic``: spans and log records pushed to the OTLP receiver (``govpipe serve``), turned into lake events.

The receiver lands each accepted request durably under ``<lake>/_landing/otlp/<source_id>/``; a landing file
holds traces and logs apart (``otlp.envelope``). The sensor notices new landing files and the pull
normalizes them (``otlp.normalize`` for spans, ``otlp.logs`` for log records). The cursor
(``receiver.cursor.LandingCursor``) names what was consumed; the lake writer dedups on the span id (or the
log record's derived id) anyway, so a file read twice never yields a row twice. A backfill re-reads every
landed file and keeps its window.

A run with many landing files decodes them in workers, which hand normalized Arrow batches, the source's content
policy applied, with their files' quarantined records, back in order to the run's one writer: threads when the
files hold spans (the compiled reader releases the GIL), worker processes (``process_map``) when they hold log
records, which decode in Python.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import lru_cache, partial
from typing import Any

import orjson
import pyarrow as pa
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from pydantic import field_validator

from governance_pipeline.adapters.base import Adapter, Batch, SensorPoll, Window
from governance_pipeline.config.models import StrictModel
from governance_pipeline.enrich.content import ContentPolicy
from governance_pipeline.lake.store import LakeStore
from governance_pipeline.otlp import envelope, span_columns
from governance_pipeline.otlp.landed import read_request
from governance_pipeline.otlp.logs import LogRow, iter_logs, normalize_logs, read_logs
from governance_pipeline.otlp.normalize import normalize
from governance_pipeline.otlp.spans import iter_spans
from governance_pipeline.process_map import process_map
from governance_pipeline.pull_types import Backlog
from governance_pipeline.read_ahead import ordered_map
from governance_pipeline.receiver import landing
from governance_pipeline.receiver.cursor import LandingCursor, backlog, prune_landing
from governance_pipeline.settings import pull_workers

MAX_FILES_PER_RUN = 5_000
BATCH_SPANS = 50_000
BATCH_BYTES = 4 << 20  # landed trace payloads read as one batch of columns (about 12,000 spans)
READ_THREADS = 4  # landing files fetched ahead of decoding: on an S3 lake each read is a GET
# a pull with at least this many landing files decodes them in ``pull_workers`` workers, this many files per task;
# fewer are not worth starting the workers (about a second each). The workers are threads when the first
# SAMPLE_FILES files hold spans only, else processes (``_holds_log_records``).
PARALLEL_MIN_FILES = 200
FILES_PER_TASK = 32
SAMPLE_FILES = 8
# A span is exported when it ends (batched by the SDK, retried): it lands this long after it starts at most,
# for the days to count as complete. Longer-running spans that land later still land, in a day already recorded.
SPAN_LATENESS = timedelta(minutes=15)


class OtelGenericConfig(StrictModel):
    secretSha256: str
    allowedSourceTypeLabel: str | None = None

    @field_validator("secretSha256")
    @classmethod
    def _hex(cls, v: str) -> str:
        if not re.fullmatch(r"[0-9a-fA-F]{64}", v.strip()):
            raise ValueError("must be the 64 hex characters of a sha256 (run `govpipe sources secret`)")
        return v.strip().lower()


class OtelGenericAdapter(Adapter):
    type_name = "otel_generic"
    Config = OtelGenericConfig
    trigger = "sensor"
    accepts_otlp = True  # the receiver serves this source
    default_max_lag_minutes = 60  # agents in use send spans continuously

    @classmethod
    def has_landed_data(cls, lake_root: str, source_id: str) -> bool:
        return landing.landing_has_data(lake_root, source_id)

    @classmethod
    def prune_consumed(cls, lake_root: str, source_id: str, older_than: datetime, cursor: str | None) -> int:
        return prune_landing(lake_root, source_id, older_than, cursor)

    @classmethod
    def landing_backlog(cls, lake_root: str, source_id: str, cursor: str | None) -> Backlog:
        return backlog(LakeStore(lake_root), source_id, cursor)

    def _store(self) -> LakeStore:
        return LakeStore(self.runtime.lake_root)

    def complete_before(self, cursor: str | None, started_at: datetime) -> datetime | None:
        """Every file landed before the cursor's ``before`` is consumed (the landing time, on the receivers'
        clock); spans in later files started at most ``SPAN_LATENESS`` earlier."""
        before = LandingCursor.parse(cursor).before
        at = landing.landed_at(before) if before else None
        return at - SPAN_LATENESS if at is not None else None

    def stream(self, cursor: str | None, window: Window | None) -> Iterator[Batch]:
        store = self._store()
        state = LandingCursor() if window is not None else LandingCursor.parse(cursor)
        pending = state.pending(landing.list_landed(store, self.source.id, since=state.before))
        todo = pending[:MAX_FILES_PER_RUN] if window is None else pending
        workers = pull_workers()
        if workers > 1 and len(todo) >= PARALLEL_MIN_FILES:
            chunks = [todo[i : i + FILES_PER_TASK] for i in range(0, len(todo), FILES_PER_TASK)]
            task = partial(decode_chunk, self.runtime.lake_root, self.source.id, self.source.content)
            if _holds_log_records(store, self.source.id, todo[:SAMPLE_FILES]):
                self.log.info("decoding %d landing files in %d worker processes", len(todo), workers)
                yield from (b for batches in process_map(task, chunks, workers, log=self.log) for b in batches)
            else:
                self.log.info("decoding %d landing files of spans in %d threads", len(todo), workers)
                yield from (b for batches in ordered_map(task, iter(chunks), workers, workers + 1) for b in batches)
        else:
            yield from decode_landed(store, self.source.id, todo)
        # run_pull commits the cursor only after the whole run is durable: one cursor, on the last batch
        next_cursor = None if window is not None else state.advance(todo, pending).dump()
        yield Batch(normalize([]), raw_count=0, cursor=next_cursor)

    def sensor_poll(self, cursor: str | None) -> SensorPoll:
        state = LandingCursor.parse(cursor)
        pending = state.pending(landing.list_landed(self._store(), self.source.id, since=state.before))
        if not pending:
            return SensorPoll([], cursor, skip_reason="no new OTLP requests landed")
        # one run consumes at most MAX_FILES_PER_RUN files: ask for exactly those, the rest on the next tick
        batch = pending[:MAX_FILES_PER_RUN]
        return SensorPoll([f"{len(batch)}:{max(batch)}"], state.advance(batch, pending).dump())


def decode_chunk(lake_root: str, source_id: str, content: ContentPolicy, names: list[str]) -> list[Batch]:
    """``decode_landed`` of some landing files, as one list (what a worker hands back), with the source's content
    policy already applied: the run's one writer then does not scan every payload again."""
    return [
        replace(b, table=content.apply(b.table), content_applied=True)
        for b in decode_landed(_worker_store(lake_root), source_id, names)
    ]


@lru_cache(maxsize=4)
def _worker_store(lake_root: str) -> LakeStore:
    """One store per worker process (which lives for one run; threads share it): on S3, every task of the run
    reuses its client and connections rather than opening new ones."""
    return LakeStore(lake_root)


def _holds_log_records(store: LakeStore, source_id: str, names: list[str]) -> bool:
    """Whether any of these landing files holds log records: they decode in Python, which only worker processes
    share out; spans decode in the compiled reader, which lets other threads run (no process to start, no batch
    to copy between processes)."""
    if not span_columns.available():
        return True

    def holds_logs(name: str) -> bool:
        try:
            return envelope.LOGS in envelope.split(store.read_bytes(landing.file_path(source_id, name)))
        except envelope.EnvelopeError:  # the decoder quarantines it
            return False

    # read as the decoder reads them (on S3 each is a GET, fetched side by side); the first with logs decides
    return any(ordered_map(holds_logs, iter(names), workers=READ_THREADS, ahead=READ_THREADS))


def decode_landed(store: LakeStore, source_id: str, names: list[str]) -> Iterator[Batch]:
    """The spans and log records of the landing files ``names``, read in that order, normalized in batches of
    at most ``BATCH_SPANS`` (spans the compiled reader takes: the files of about ``BATCH_BYTES``); what cannot be
    read or normalized is quarantined with its file and reason."""
    spans = _Pending(normalize, lambda s: {"span_id": s.span_id, "trace_id": s.trace_id})
    logs = _Pending(normalize_logs, lambda r: {"event_id": r.event_id})
    traces: list[tuple[str, bytes]] = []  # trace payloads waiting for the compiled reader, in landing order
    waiting = 0  # their bytes

    def read(name: str) -> tuple[str, bytes]:
        return name, store.read_bytes(landing.file_path(source_id, name))

    def read_traces() -> Iterator[Batch]:
        """The waiting payloads' spans: the compiled reader's columns for the files it takes, the Python path
        for each file it leaves, in landing order."""
        while traces:
            taken, cols = span_columns.read([p for _, p in traces], [f for f, _ in traces])
            if cols is not None:
                if spans.rows:  # the spans stay in landing order, whichever path reads them
                    yield spans.flush()
                yield _columns_batch(cols)
            del traces[:taken]
            if traces:
                name, payload = traces.pop(0)
                yield from _python_spans(spans, name, payload)

    for name, data in ordered_map(read, iter(names), workers=READ_THREADS, ahead=READ_THREADS):
        try:
            parts = envelope.split(data)
        except envelope.EnvelopeError as exc:  # damaged or foreign: quarantined, and the pull goes on past it
            yield _unreadable(name, [(None, f"landed file is not an OTLP landing envelope: {exc}")])
            continue
        if envelope.TRACES in parts:
            traces.append((name, parts[envelope.TRACES]))
            waiting += len(parts[envelope.TRACES])
            if waiting >= BATCH_BYTES:
                yield from read_traces()
                waiting = 0
        if envelope.LOGS in parts:
            rows: Iterable[LogRow] | None = read_logs(parts[envelope.LOGS])  # the compiled reader; None: Python
            if rows is None:
                try:
                    log_req = ExportLogsServiceRequest.FromString(parts[envelope.LOGS])
                except DecodeError as exc:
                    yield _unreadable(name, [(None, f"landed log records could not be decoded: {exc}")])
                    continue
                rows = iter_logs(log_req)
            for row in rows:
                if (full := logs.add(row, name)) is not None:
                    yield full
    yield from read_traces()
    for pending in (spans, logs):
        if pending.rows:
            yield pending.flush()


def _python_spans(spans: _Pending, name: str, payload: bytes) -> Iterator[Batch]:
    """The spans of one landed trace payload by the Python path (``otlp.spans``), added to ``spans``."""
    try:
        req, unreadable = read_request(payload)
    except DecodeError as exc:  # not even its outer structure: the file's spans are quarantined
        yield _unreadable(name, [(None, f"landed file could not be decoded: {exc}")])
        return
    if unreadable:
        yield _unreadable(name, unreadable)
    for span in iter_spans(req):
        if (full := spans.add(span, name)) is not None:
            yield full


@dataclass
class _Pending:
    """Decoded records of one signal (spans or log records) waiting to be normalized, each with its landing file;
    a poisoned one is quarantined with its file, its ids (``ids``) and the reason."""

    normalize: Callable[[list[Any], list[tuple[int, str]]], pa.Table]
    ids: Callable[[Any], dict[str, str]]
    rows: list[Any] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def add(self, row: Any, file: str) -> Batch | None:
        """Keep ``row``; a full batch (``BATCH_SPANS``: bounded memory, even for one large group-committed file)
        is returned, normalized."""
        self.rows.append(row)
        self.files.append(file)
        return self.flush() if len(self.rows) >= BATCH_SPANS else None

    def flush(self) -> Batch:
        rows, files = self.rows, self.files
        self.rows, self.files = [], []
        rejects: list[tuple[int, str]] = []
        table = self.normalize(rows, rejects)
        bad = [
            {
                "file": files[i],
                **self.ids(rows[i]),
                "error": reason,
                "raw": orjson.dumps(rows[i].raw(), option=orjson.OPT_NON_STR_KEYS, default=str).decode(),
            }
            for i, reason in rejects
        ]
        return Batch(table, raw_count=len(rows), errors=len(bad), quarantine=bad)


def _columns_batch(cols: span_columns.SpanColumns) -> Batch:
    """Spans read as columns (``span_columns.read``), normalized together."""
    rejects: list[tuple[int, str]] = []
    table = span_columns.normalize_columns(cols, rejects)
    bad = [
        {
            "file": cols.files[i],
            "span_id": cols.span_id[i].as_py(),
            "trace_id": cols.trace_id[i].as_py(),
            "error": reason,
            "raw": cols.raw[i].as_py(),
        }
        for i, reason in rejects
    ]
    return Batch(table, raw_count=cols.n, errors=len(bad), quarantine=bad)


def _unreadable(name: str, spans: list[tuple[str | None, str]]) -> Batch:
    bad = [{"file": name, "span_id": span_id, "error": reason} for span_id, reason in spans]
    return Batch(normalize([]), raw_count=len(bad), errors=len(bad), quarantine=bad)
