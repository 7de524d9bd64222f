"""A pull with many landing files decodes them in worker processes: the lake, the quarantine and the cursor are
exactly those of a pull in one process, and a worker that dies (SIGKILL) costs time, never a record."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import orjson
import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue

import dagster as dg
from governance_pipeline.adapters import otel_generic
from governance_pipeline.enrich.content import ContentPolicy
from governance_pipeline.ingest import PullOutcome, run_pull
from governance_pipeline.lake.store import LakeStore
from governance_pipeline.otlp import envelope, logs, span_columns
from governance_pipeline.pull_types import Runtime
from governance_pipeline.receiver import landing
from governance_pipeline.sources_file import load_sources

FILES = 9
DECODE_CHUNK = otel_generic.decode_chunk


def _traces(file_no: int) -> bytes:
    req = ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    rs.resource.attributes.append(KeyValue(key="user.email", value={"string_value": f"u{file_no}@example.com"}))
    ss = rs.scope_spans.add()
    for i in range(5):
        s = ss.spans.add()
        s.trace_id = bytes(15) + bytes([file_no])
        s.span_id = bytes([0, 0, 0, 0, 0, 0, file_no, i])
        s.name = "chat gpt-4o"
        s.start_time_unix_nano = 1_764_000_000_000_000_000 + file_no * 1000 + i
        s.end_time_unix_nano = s.start_time_unix_nano + 1000
        s.attributes.append(KeyValue(key="gen_ai.request.model", value={"string_value": "gpt-4o"}))
        tokens = {"string_value": "lots"} if (file_no, i) == (4, 2) else {"int_value": 10 + i}  # one poisoned span
        s.attributes.append(KeyValue(key="gen_ai.usage.input_tokens", value=tokens))
        if i == 0:  # content, which stays out of the lake (docs/content.md)
            s.attributes.append(KeyValue(key="gen_ai.prompt", value={"string_value": f"secret plan {file_no}"}))
    return envelope.wrap(req.SerializeToString(), envelope.TRACES)


def _logs(file_no: int) -> bytes:
    req = ExportLogsServiceRequest()
    sl = req.resource_logs.add().scope_logs.add()
    for i in range(3):
        rec = sl.log_records.add()
        rec.time_unix_nano = 1_764_000_000_000_000_000 + file_no * 1000 + i
        rec.body.string_value = "claude_code.api_request"
        rec.attributes.append(KeyValue(key="event.name", value={"string_value": "api_request"}))
        rec.attributes.append(KeyValue(key="input_tokens", value={"string_value": str(100 * file_no + i)}))
    return envelope.wrap(req.SerializeToString(), envelope.LOGS)


def _land(lake: str, files: int = FILES, logs: bool = True) -> None:
    store = LakeStore(lake)
    start = datetime.now(UTC) - timedelta(minutes=5)
    for n in range(1, files + 1):
        payload = _traces(n) + (_logs(n) if n % 2 and logs else b"")
        if n == 6:
            payload = b"\xff\xfe not a landing file"
        store.write_bytes(landing.file_path("agents", landing.file_name(start + timedelta(seconds=n), "w", n)), payload)


def _pull(sources_file, lake: str) -> PullOutcome:
    source = load_sources(sources_file).source("agents")
    return run_pull(source, Runtime(credentials=lambda ref: {}, lake_root=lake), None)


def _lake(lake: str) -> list[tuple]:
    return duckdb.sql(
        f"select source_event_id, actor, action, tokens_input from read_parquet('{lake}/events/**/*.parquet') "
        "order by source_event_id"
    ).fetchall()


def _quarantine(lake: str) -> list[tuple]:
    rows = [
        orjson.loads(line)
        for f in Path(lake, "quarantine").rglob("*.ndjson")
        for line in f.read_bytes().splitlines()
        if line.strip()
    ]
    return sorted((q["file"], q.get("span_id"), q["error"]) for q in rows)


@pytest.fixture
def two_lakes(tmp_path, lake, monkeypatch):
    """The same landing area twice; pulls with any landing files use workers, two files per task."""
    _land(lake)
    serial = str(tmp_path / "serial_lake")
    shutil.copytree(lake, serial)
    monkeypatch.setattr(otel_generic, "PARALLEL_MIN_FILES", 1)
    monkeypatch.setattr(otel_generic, "FILES_PER_TASK", 2)
    return lake, serial


def test_workers_give_exactly_what_one_process_gives(sources_file, two_lakes, monkeypatch):
    parallel, serial = two_lakes
    monkeypatch.setenv("GOVERNANCE_PULL_WORKERS", "1")
    one = _pull(sources_file, serial)
    monkeypatch.setenv("GOVERNANCE_PULL_WORKERS", "2")
    many = _pull(sources_file, parallel)
    # 8 readable files x 5 spans (one poisoned), the 5 odd ones with 3 log records; file 6 is not a landing file
    assert (many.new, many.errors) == (one.new, one.errors) == (8 * 5 - 1 + 5 * 3, 2)
    assert many.cursor == one.cursor
    assert _lake(parallel) == _lake(serial)
    assert _quarantine(parallel) == _quarantine(serial)
    assert len(_quarantine(parallel)) == 2
    assert _pull_again(sources_file, parallel, many.cursor) == 0


def test_a_landing_area_of_spans_decodes_in_threads_as_one_process_does(
    sources_file, tmp_path, lake, monkeypatch, caplog
):
    """Spans only: the workers are threads (the compiled reader lets them run together), with the same lake,
    quarantine and cursor as one process."""
    _land(lake, logs=False)
    serial = str(tmp_path / "serial_lake")
    shutil.copytree(lake, serial)
    monkeypatch.setattr(otel_generic, "PARALLEL_MIN_FILES", 1)
    monkeypatch.setattr(otel_generic, "FILES_PER_TASK", 2)
    monkeypatch.setenv("GOVERNANCE_PULL_WORKERS", "1")
    one = _pull(sources_file, serial)
    monkeypatch.setenv("GOVERNANCE_PULL_WORKERS", "2")
    caplog.set_level(logging.INFO)
    many = _pull(sources_file, lake)
    assert "landing files of spans in 2 threads" in caplog.text and "worker processes" not in caplog.text
    assert (many.new, many.errors, many.cursor) == (one.new, one.errors, one.cursor) == (8 * 5 - 1, 2, one.cursor)
    every_column = "select * exclude (ingested_at) from read_parquet('{}/events/**/*.parquet') order by source_event_id"
    assert duckdb.sql(every_column.format(lake)).fetchall() == duckdb.sql(every_column.format(serial)).fetchall()
    assert _quarantine(lake) == _quarantine(serial)


def test_a_thread_that_fails_mid_run_commits_nothing_and_the_next_pull_lands_each_span_once(
    sources_file, tmp_path, lake, monkeypatch
):
    """Threads: a worker that raises on the third task fails the run (no cursor); what the run wrote before is not
    in the lake, and the next pull gives exactly the lake of one clean pull in one process."""
    _land(lake, logs=False)
    serial = str(tmp_path / "serial_lake")
    shutil.copytree(lake, serial)
    monkeypatch.setattr(otel_generic, "PARALLEL_MIN_FILES", 1)
    monkeypatch.setattr(otel_generic, "FILES_PER_TASK", 2)
    monkeypatch.setenv("GOVERNANCE_PULL_WORKERS", "1")
    one = _pull(sources_file, serial)
    monkeypatch.setenv("GOVERNANCE_PULL_WORKERS", "2")
    tasks: list[list[str]] = []

    def failing(lake_root: str, source_id: str, content: ContentPolicy, names: list[str]) -> list:
        tasks.append(names)
        if len(tasks) == 3:
            raise MemoryError("a worker thread out of memory")
        return DECODE_CHUNK(lake_root, source_id, content, names)

    monkeypatch.setattr(otel_generic, "decode_chunk", failing)
    with pytest.raises(MemoryError):
        _pull(sources_file, lake)
    assert not list(Path(lake, "events").rglob("*.parquet"))
    monkeypatch.setattr(otel_generic, "decode_chunk", DECODE_CHUNK)
    again = _pull(sources_file, lake)
    assert (again.new, again.errors, again.cursor) == (one.new, one.errors, one.cursor)
    assert _lake(lake) == _lake(serial)


def test_log_records_decode_in_worker_processes(sources_file, two_lakes, monkeypatch, caplog):
    parallel, _ = two_lakes
    monkeypatch.setenv("GOVERNANCE_PULL_WORKERS", "2")
    caplog.set_level(logging.INFO)
    _pull(sources_file, parallel)
    assert "in 2 worker processes" in caplog.text


def test_workers_remove_content_as_the_writer_does(sources_file, two_lakes, monkeypatch):
    """The workers apply the source's content policy to what they decode, and the writer does not again: the
    payloads and their ``redacted`` lists are those of a pull in one process, and no prompt is in the lake."""
    parallel, serial = two_lakes
    monkeypatch.setenv("GOVERNANCE_PULL_WORKERS", "1")
    _pull(sources_file, serial)
    monkeypatch.setenv("GOVERNANCE_PULL_WORKERS", "2")
    _pull(sources_file, parallel)
    payloads = "select source_event_id, raw_payload, redacted from read_parquet('{}/events/**/*.parquet') order by 1"
    rows = duckdb.sql(payloads.format(parallel)).fetchall()
    assert rows == duckdb.sql(payloads.format(serial)).fetchall()
    assert not any("secret plan" in raw for _, raw, _ in rows)
    assert sum(redacted == '["attributes.gen_ai.prompt"]' for _, _, redacted in rows) == 8


def test_without_the_compiled_reader_the_lake_is_the_same(sources_file, two_lakes, monkeypatch):
    """A clone built where no C compiler was gets the Python paths (otlp/span_columns.py, otlp/logs.py): the same
    events, payloads and quarantine."""
    compiled, python_only = two_lakes
    monkeypatch.setenv("GOVERNANCE_PULL_WORKERS", "1")
    assert span_columns.available() and logs._logscan is not None
    fast = _pull(sources_file, compiled)
    monkeypatch.setattr(span_columns, "_spanscan", None)
    monkeypatch.setattr(logs, "_logscan", None)
    slow = _pull(sources_file, python_only)
    assert (fast.new, fast.errors, fast.cursor) == (slow.new, slow.errors, slow.cursor)
    every_column = "select * exclude (ingested_at) from read_parquet('{}/events/**/*.parquet') order by source_event_id"
    assert (
        duckdb.sql(every_column.format(compiled)).fetchall() == duckdb.sql(every_column.format(python_only)).fetchall()
    )
    assert _quarantine(compiled) == _quarantine(python_only)


def _pull_again(sources_file, lake: str, cursor: str | None) -> int:
    source = load_sources(sources_file).source("agents")
    return run_pull(source, Runtime(credentials=lambda ref: {}, lake_root=lake), cursor).new


def dying_worker(lake_root: str, source_id: str, content: ContentPolicy, names: list[str]) -> list:
    """Decodes in the pull's own process; a worker process kills itself instead."""
    if os.environ["TEST_PULL_PARENT"] != str(os.getpid()):
        os.kill(os.getpid(), signal.SIGKILL)
    return DECODE_CHUNK(lake_root, source_id, content, names)


def test_a_killed_worker_costs_no_record(sources_file, two_lakes, monkeypatch, caplog):
    parallel, serial = two_lakes
    monkeypatch.setenv("GOVERNANCE_PULL_WORKERS", "1")
    one = _pull(sources_file, serial)
    monkeypatch.setenv("GOVERNANCE_PULL_WORKERS", "2")
    monkeypatch.setenv("TEST_PULL_PARENT", str(os.getpid()))
    monkeypatch.setattr(otel_generic, "decode_chunk", dying_worker)
    many = _pull(sources_file, parallel)
    assert "a worker process died" in caplog.text
    assert (many.new, many.errors, many.cursor) == (one.new, one.errors, one.cursor)
    assert _lake(parallel) == _lake(serial)
    assert _quarantine(parallel) == _quarantine(serial)


def test_a_damaged_landing_file_is_quarantined_and_the_pull_goes_on(sources_file, lake, monkeypatch):
    monkeypatch.setenv("GOVERNANCE_PULL_WORKERS", "1")
    _land(lake)
    outcome = _pull(sources_file, lake)
    assert (outcome.new, outcome.errors) == (8 * 5 - 1 + 5 * 3, 2)
    damaged = [q for q in _quarantine(lake) if "not an OTLP landing envelope" in q[2]]
    assert [q[0] for q in damaged] == [landing.list_landed(LakeStore(lake), "agents")[5]]


def test_govpipe_pull_decodes_a_large_backlog_in_workers(sources_file, lake, tmp_path):
    """Through the Dagster job in its own process, as the sensor's runs and `govpipe pull` execute it."""
    files = otel_generic.PARALLEL_MIN_FILES + 10
    _land(lake, files)
    env = {
        **os.environ,
        "GOVERNANCE_SOURCES": str(sources_file),
        "GOVERNANCE_LAKE": lake,
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "GOVERNANCE_PULL_WORKERS": "2",
    }
    govpipe = [str(Path(sys.executable).parent / "govpipe"), "pull", "agents"]
    pulled = subprocess.run(govpipe, env=env, capture_output=True, text=True, timeout=300)
    assert pulled.returncode == 0, pulled.stderr
    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        (run,) = instance.get_runs()
        messages = [e.user_message for e in instance.all_logs(run.run_id)]
    assert f"decoding {files} landing files in 2 worker processes" in messages
    readable = files - 1
    records = readable * 5 - 1 + len([n for n in range(1, files + 1, 2) if n != 6]) * 3
    assert pulled.stdout.strip() == f"events={records + 2} new={records} errors=2"
    assert len(_lake(lake)) == records


def test_a_backfill_with_workers_replaces_its_window_as_one_process_does(sources_file, two_lakes, monkeypatch):
    from datetime import date

    from governance_pipeline.pull_types import Window

    parallel, serial = two_lakes
    window = Window.for_dates(date(2025, 11, 24), date(2025, 11, 24))  # the day every test record is on
    source = load_sources(sources_file).source("agents")
    outcomes = []
    for workers, lake in (("1", serial), ("2", parallel)):
        monkeypatch.setenv("GOVERNANCE_PULL_WORKERS", workers)
        runtime = Runtime(credentials=lambda ref: {}, lake_root=lake)
        run_pull(source, runtime, None)
        outcomes.append(run_pull(source, runtime, None, window))  # re-reads every landed file
    one, many = outcomes
    assert (many.new, many.replaced, many.errors, many.cursor) == (one.new, one.replaced, one.errors, one.cursor)
    assert many.cursor is None  # a backfill never moves the cursor
    assert _lake(parallel) == _lake(serial)
    assert len(_lake(parallel)) == 8 * 5 - 1 + 5 * 3  # each record once after the replace


class _FailingReader:
    """A compiled part that raises where it should have answered: a bug, or a limit it was not written for."""

    @staticmethod
    def scan(*args):
        raise OverflowError("a text column over 2 GiB")

    @staticmethod
    def encode(*args):
        raise RuntimeError("OTLP/JSON nested beyond the encoder's levels")


def test_a_compiled_reader_that_raises_costs_speed_not_the_source(sources_file, two_lakes, monkeypatch):
    """Every file it fails on is read by the Python path: the pull lands what a pull without it lands."""
    compiled, failing = two_lakes
    monkeypatch.setenv("GOVERNANCE_PULL_WORKERS", "1")
    want = _pull(sources_file, compiled)
    monkeypatch.setattr(span_columns, "_spanscan", _FailingReader)
    monkeypatch.setattr(logs, "_logscan", _FailingReader)
    got = _pull(sources_file, failing)
    assert (got.new, got.errors, got.cursor) == (want.new, want.errors, want.cursor)
    assert _lake(failing) == _lake(compiled)


def test_a_json_encoder_that_raises_leaves_the_body_to_json_decode(monkeypatch):
    from governance_pipeline.otlp import json_spans
    from governance_pipeline.receiver.decode import decode_encoded

    body = orjson.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [{"spanId": "a55ac33c00000001"}]}]}]})
    monkeypatch.setattr(json_spans, "_jsonspans", _FailingReader)
    req, encoded = decode_encoded(body, "application/json")
    assert encoded is None
    assert req.resource_spans[0].scope_spans[0].spans[0].span_id.hex() == "a55ac33c00000001"
