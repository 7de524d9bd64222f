"""Logs and metrics over OTLP/HTTP with real HTTP clients and the SDK's metric exporter, through to the lake."""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb
import orjson
import pytest
import requests
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricExportResult, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource

from governance_pipeline.ingest import run_pull
from governance_pipeline.otlp import envelope
from governance_pipeline.pull_types import Runtime
from governance_pipeline.sources_file import load_sources
from tests.otlp.conftest import OTHER_SECRET, SECRET, recorded

JSON = "application/json"
PROTOBUF = "application/x-protobuf"


def _post(url, path, body, ctype=JSON, secret=SECRET, **headers):
    h = {"Authorization": f"Bearer {secret}", "Content-Type": ctype, **headers}
    return requests.post(f"{url}/api/ingest/otel/{path}", data=body, headers=h, timeout=10)


def _logs_doc(snake: bool = False) -> dict:
    def k(camel: str, snake_key: str) -> str:
        return snake_key if snake else camel

    val = k("stringValue", "string_value")
    return {
        k("resourceLogs", "resource_logs"): [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {val: "gemini-cli"}}]},
                k("scopeLogs", "scope_logs"): [
                    {
                        "scope": {"name": "gemini-cli"},
                        k("logRecords", "log_records"): [
                            {
                                k("timeUnixNano", "time_unix_nano"): "1764000000123456789",
                                "body": {val: "API response from gemini-2.5-flash. Status: 200. Duration: 56ms"},
                                k("severityNumber", "severity_number"): "SEVERITY_NUMBER_INFO",
                                k("traceId", "trace_id"): "5B8EFFF798038103D269B633813FC60C",
                                k("spanId", "span_id"): "eee19b7ec3c1b174",
                                "attributes": [
                                    {"key": "event.name", "value": {val: "gemini_cli.api_response"}},
                                    {"key": "model", "value": {val: "gemini-2.5-flash"}},
                                    {"key": "session.id", "value": {val: "s-9"}},
                                    {"key": "duration_ms", "value": {k("intValue", "int_value"): "56"}},
                                ],
                            },
                            {  # no timeUnixNano: the observed time is the event time; string body is the name
                                k("observedTimeUnixNano", "observed_time_unix_nano"): 1764000001000000000,
                                "body": {val: "claude_code.api_error"},
                                k("severityNumber", "severity_number"): 17,
                                "attributes": [{"key": "error.type", "value": {val: "overloaded"}}],
                            },
                        ],
                    }
                ],
            }
        ]
    }


def _pull(sources_file: Path, lake: str, cursor=None):
    source = load_sources(sources_file).source("agents")
    return run_pull(source, Runtime(credentials=lambda ref: {}, lake_root=lake), cursor)


def _rows(lake: str, cols: str) -> list[tuple]:
    return duckdb.sql(
        f"select {cols} from read_parquet('{lake}/events/**/*.parquet', hive_partitioning=true) "
        "order by event_timestamp"
    ).fetchall()


@pytest.mark.parametrize("snake", [False, True])
def test_json_logs_in_both_casings_become_events(receiver, sources_file, lake, snake):
    url, _ = receiver
    r = _post(url, "agents/v1/logs", orjson.dumps(_logs_doc(snake)))
    assert r.status_code == 200, r.text
    assert r.json()["events"] == 2
    assert _pull(sources_file, lake).new == 2
    rows = _rows(
        lake,
        "strftime(event_timestamp, '%Y-%m-%d %H:%M:%S.%f'), action, model, conversation_id, trace_id, span_id, "
        "status, error_type, duration_ms, source_event_id",
    )
    assert rows[0][:9] == (
        "2025-11-24 16:00:00.123456",
        "gemini_cli.api_response",
        "gemini-2.5-flash",
        "s-9",
        "5b8efff798038103d269b633813fc60c",
        "eee19b7ec3c1b174",
        "unset",
        None,
        56.0,
    )
    assert rows[1][:9] == (
        "2025-11-24 16:00:01.000000",
        "claude_code.api_error",
        None,
        None,
        None,
        None,
        "error",
        "overloaded",
        None,
    )
    assert len({r[9] for r in rows}) == 2
    raw = orjson.loads(_rows(lake, "raw_payload")[0][0])
    assert raw["body"].startswith("API response") and raw["resource"]["attributes"]["service.name"] == "gemini-cli"


def test_a_resent_log_request_in_either_encoding_adds_no_rows(receiver, sources_file, lake):
    url, _ = receiver
    doc = _logs_doc()
    body = orjson.dumps(doc)
    assert _post(url, "agents/v1/logs", body).status_code == 200
    first = _pull(sources_file, lake)
    assert first.new == 2
    # the same records again: as JSON, as protobuf, gzipped
    from governance_pipeline.otlp.logs import logs_request_from_json

    pb = logs_request_from_json(doc).SerializeToString()
    assert _post(url, "agents/v1/logs", body).status_code == 200
    assert _post(url, "agents/v1/logs", pb, PROTOBUF).status_code == 200
    assert _post(url, "agents/v1/logs", gzip.compress(pb), PROTOBUF, **{"Content-Encoding": "gzip"}).status_code == 200
    again = _pull(sources_file, lake, first.cursor)
    assert (again.events, again.new) == (6, 0)
    assert len(_rows(lake, "source_event_id")) == 2


def test_identical_records_in_one_request_are_kept_apart(receiver, sources_file, lake):
    url, _ = receiver
    doc = _logs_doc()
    records = doc["resourceLogs"][0]["scopeLogs"][0]["logRecords"]
    records.append(dict(records[0]))  # the same record twice in one request: two events
    assert _post(url, "agents/v1/logs", orjson.dumps(doc)).json()["events"] == 3
    assert _pull(sources_file, lake).new == 3
    ids = [r[0] for r in _rows(lake, "source_event_id")]
    assert len(set(ids)) == 3 and any(i.endswith(":2") for i in ids)


def test_protobuf_logs_get_a_logs_response_and_label_filtering_is_a_partial_success(receiver, lake):
    from governance_pipeline.otlp.logs import logs_request_from_json

    url, _ = receiver
    req = logs_request_from_json(_logs_doc())
    r = _post(url, "labelled/v1/logs", req.SerializeToString(), PROTOBUF, secret=OTHER_SECRET)
    assert r.status_code == 200 and r.headers["content-type"] == PROTOBUF
    resp = ExportLogsServiceResponse.FromString(r.content)
    assert resp.partial_success.rejected_log_records == 2
    assert "claude_cowork" in resp.partial_success.error_message
    assert not list(Path(lake).glob("_landing/otlp/labelled/*/*.pb"))
    j = _post(url, "labelled/v1/logs", orjson.dumps(_logs_doc()), secret=OTHER_SECRET).json()
    assert j["partialSuccess"]["rejectedLogRecords"] == "2" and j["events"] == 0


def test_log_errors_share_the_trace_checks(receiver, lake):
    url, _ = receiver
    assert _post(url, "agents/v1/logs", b"{}", secret="gp_is_wrong").status_code == 401
    assert _post(url, "nope/v1/logs", b"{}").status_code == 404
    bad = _post(url, "agents/v1/logs", orjson.dumps({"resourceLogs": [{"scopeLogs": [{"logRecords": [3]}]}]}))
    assert bad.status_code == 400 and "resourceLogs[0].scopeLogs[0].logRecords[0]" in bad.json()["message"]
    assert _post(url, "agents/v1/logs", b"\xff\xff\xff", PROTOBUF).status_code == 400
    assert _post(url, "agents/v1/logs", b"{}", "text/plain").status_code == 415
    assert not list(Path(lake).glob("_landing/otlp/agents/*/*.pb"))


def test_every_path_form_routes_to_its_signal(receiver, sources_file, lake):
    url, _ = receiver
    spans = {
        "resourceSpans": [
            {"scopeSpans": [{"spans": [{"traceId": "0" * 31 + "1", "spanId": f"{n:016x}", "name": "s"}]}]}
            for n in (1, 2, 3)
        ]
    }
    for path in ("agents", "agents/", "agents/v1/traces"):
        one = {"resourceSpans": [spans["resourceSpans"][("agents", "agents/", "agents/v1/traces").index(path)]]}
        assert _post(url, path, orjson.dumps(one)).json()["events"] == 1, path
    assert _post(url, "agents/v1/logs", orjson.dumps(_logs_doc())).json()["events"] == 2
    assert _post(url, "agents/v1/metrics", b"{}").status_code == 200
    assert _post(url, "agents/v1/other", b"{}").status_code == 404
    assert _pull(sources_file, lake).new == 5


def test_a_trace_body_with_an_unknown_top_level_field_lands_only_its_spans(receiver, sources_file, lake):
    """Field 2 of the landing envelope means logs: an unknown field 2 in a trace request must not land as logs."""
    url, _ = receiver
    req = ExportTraceServiceRequest()
    req.resource_spans.add().scope_spans.add().spans.add(trace_id=b"\1" * 16, span_id=b"\2" * 8, name="s")
    body = req.SerializeToString() + b"\x12\x03abc"
    assert ExportTraceServiceRequest.FromString(body)  # protobuf itself tolerates it
    assert _post(url, "agents", body, PROTOBUF).status_code == 200
    [landed] = Path(lake).glob("_landing/otlp/agents/*/*.pb")
    assert set(envelope.split(landed.read_bytes())) == {envelope.TRACES}
    assert _pull(sources_file, lake).new == 1


def test_traces_and_logs_in_one_landing_file_are_pulled_apart(tmp_path):
    from governance_pipeline.otlp.logs import iter_logs, logs_request_from_json

    traces = ExportTraceServiceRequest()
    traces.resource_spans.add().scope_spans.add().spans.add(span_id=b"\2" * 8, name="s")
    logs = logs_request_from_json(_logs_doc())
    data = b"".join(
        [
            envelope.wrap(traces.SerializeToString(), envelope.TRACES),
            envelope.wrap(logs.SerializeToString(), envelope.LOGS),
            envelope.wrap(traces.SerializeToString(), envelope.TRACES),
        ]
    )
    parts = envelope.split(data)
    assert len(ExportTraceServiceRequest.FromString(parts[envelope.TRACES]).resource_spans) == 2
    assert len(list(iter_logs(ExportLogsServiceRequest.FromString(parts[envelope.LOGS])))) == 2


def test_the_sdk_metric_exporter_succeeds_and_metrics_are_counted_not_landed(receiver, lake):
    url, app = receiver
    exporter = OTLPMetricExporter(
        endpoint=f"{url}/api/ingest/otel/agents/v1/metrics", headers={"Authorization": f"Bearer {SECRET}"}, timeout=10
    )
    results = recorded(exporter)
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=60_000)
    provider = MeterProvider(resource=Resource.create({"service.name": "claude-code"}), metric_readers=[reader])
    meter = provider.get_meter("com.anthropic.claude_code")
    meter.create_counter("claude_code.cost.usage").add(0.0123, {"model": "claude-sonnet-4-5"})
    meter.create_counter("claude_code.token.usage").add(1234, {"type": "input"})
    meter.create_gauge("claude_code.active_time.total").set(3.5)
    provider.shutdown()
    assert results == [MetricExportResult.SUCCESS]
    assert app.metric_points_dropped == {"agents": 3}
    assert not list(Path(lake).glob("_landing/otlp/agents/*/*.pb"))


def test_a_failed_landing_write_fails_log_exports_over_http_and_grpc(sources_file, tmp_path):
    """Logs are acknowledged only once durable: a landing failure is 503 over HTTP and UNAVAILABLE over gRPC."""
    import grpc
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2_grpc import LogsServiceStub

    from governance_pipeline.otlp.logs import logs_request_from_json
    from governance_pipeline.receiver.server import build_app, free_port, running

    blocker = tmp_path / "not_a_folder"
    blocker.write_text("the lake root cannot be created under a file")
    app = build_app(str(sources_file), str(blocker / "lake"))
    app.grpc_port = free_port()
    req = logs_request_from_json(_logs_doc())
    with running(app) as url:
        r = _post(url, "agents/v1/logs", req.SerializeToString(), PROTOBUF)
        assert r.status_code == 503 and r.headers["retry-after"] == "1"
        with grpc.insecure_channel(f"127.0.0.1:{app.grpc.port}") as channel, pytest.raises(grpc.RpcError) as failed:
            LogsServiceStub(channel).Export(
                req, metadata=(("authorization", f"Bearer {SECRET}"), ("x-governance-source", "agents")), timeout=10
            )
    assert failed.value.code() == grpc.StatusCode.UNAVAILABLE


@pytest.mark.parametrize(
    "value",
    [{"stringValue": "99999999999999999999"}, {"doubleValue": 1e30}, {"stringValue": "lots"}],
    ids=["int-beyond-int64", "1e30", "not-a-number"],
)
def test_a_log_record_with_a_poisoned_token_count_is_quarantined_and_the_rest_lands(
    receiver, sources_file, lake, value
):
    url, _ = receiver
    doc = _logs_doc()
    poisoned = doc["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]
    poisoned["attributes"].append({"key": "gen_ai.usage.input_tokens", "value": value})
    r = _post(url, "agents/v1/logs", orjson.dumps(doc))
    assert r.status_code == 200, r.text
    outcome = _pull(sources_file, lake)
    assert (outcome.new, outcome.errors) == (1, 1)  # never landed as a count of 0
    assert _rows(lake, "action") == [("claude_code.api_error",)]
    quarantined = [
        orjson.loads(line)
        for f in Path(lake, "quarantine").rglob("*.ndjson")
        if f.is_file()
        for line in f.read_bytes().splitlines()
        if line.strip()
    ]
    assert any("tokens_input" in q["error"] for q in quarantined), quarantined


def test_an_undecodable_log_record_is_refused_alone_and_the_rest_lands(receiver, sources_file, lake):
    url, _ = receiver
    doc = _logs_doc()
    deep: dict = {"stringValue": "bottom"}
    for _ in range(50):  # protobuf could not read it back once landed: refused in partialSuccess, like a span
        deep = {"arrayValue": {"values": [deep]}}
    doc["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]["attributes"].append({"key": "nested", "value": deep})
    r = _post(url, "agents/v1/logs", orjson.dumps(doc))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["events"] == 1 and body["partialSuccess"]["rejectedLogRecords"] == "1"
    assert "logRecords[0]" in body["partialSuccess"]["errorMessage"]
    assert _pull(sources_file, lake).new == 1
    assert _rows(lake, "action") == [("claude_code.api_error",)]
