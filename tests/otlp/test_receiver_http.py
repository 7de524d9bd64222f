"""The receiver over real HTTP: every status docs/otlp.md lists, replies an exporter accepts, durability."""

from __future__ import annotations

import gzip
import socket
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

import brotli
import orjson
import pytest
import requests
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from governance_pipeline.lake.store import LakeStore
from governance_pipeline.receiver import landing, landing_has_data, last_landed_at
from tests.otlp.conftest import OTHER_SECRET, SECRET, fixture_bytes

JSON = "application/json"
PB = "application/x-protobuf"


def post(url, source="agents", body=b"", ctype=JSON, secret=SECRET, **headers):
    h = {"Content-Type": ctype, **headers}
    if secret is not None:
        h["Authorization"] = f"Bearer {secret}"
    return requests.post(f"{url}/api/ingest/otel/{source}", data=body, headers=h, timeout=10)


def landed(lake: str, source: str = "agents") -> list[ExportTraceServiceRequest]:
    store = LakeStore(lake)
    return [
        ExportTraceServiceRequest.FromString(store.read_bytes(landing.file_path(source, n)))
        for n in landing.list_landed(store, source)
    ]


def span_ids(reqs) -> list[str]:
    return sorted(s.span_id.hex() for r in reqs for rs in r.resource_spans for ss in rs.scope_spans for s in ss.spans)


FIXTURE_SPANS = ["3acaec7f50ad99e3", "47fd7881fd2cc7cc", "83e290234994b8ab", "979b3b236720058d"]


@pytest.mark.parametrize("name", ["trace_camel.json", "trace_snake.json"])
def test_json_in_both_casings_is_accepted_and_landed(receiver, lake, name):
    url, _ = receiver
    assert not landing_has_data(lake, "agents") and last_landed_at(lake, "agents") is None
    body = fixture_bytes(name)
    r = post(url, body=body)
    assert r.status_code == 200 and r.headers["content-type"] == JSON
    assert r.json() == {"events": 4, "bytes": len(body)}
    assert span_ids(landed(lake)) == FIXTURE_SPANS
    assert landing_has_data(lake, "agents") and last_landed_at(lake, "agents") is not None


def test_media_type_parameters_are_ignored(receiver):
    url, _ = receiver
    r = post(url, body=fixture_bytes("trace_camel.json"), ctype="Application/JSON; charset=utf-8")
    assert r.status_code == 200 and r.json()["events"] == 4


def test_protobuf_gets_a_protobuf_export_response(receiver, lake):
    url, _ = receiver
    r = post(url, body=fixture_bytes("trace.pb"), ctype=PB)
    assert r.status_code == 200 and r.headers["content-type"] == PB
    resp = ExportTraceServiceResponse.FromString(r.content)
    assert not resp.HasField("partial_success")
    assert landed(lake)[0].SerializeToString() == fixture_bytes("trace.pb")  # landed as received


@pytest.mark.parametrize(
    "encoding, compress",
    [("gzip", gzip.compress), ("deflate", zlib.compress), ("br", brotli.compress)],
)
def test_compressed_bodies(receiver, lake, encoding, compress):
    url, _ = receiver
    wire = compress(fixture_bytes("trace_camel.json"))
    r = post(url, body=wire, **{"Content-Encoding": encoding})
    assert r.status_code == 200 and r.json() == {"events": 4, "bytes": len(wire)}
    assert span_ids(landed(lake)) == FIXTURE_SPANS


def test_an_empty_request_succeeds_and_lands_nothing(receiver, lake):
    url, _ = receiver
    r = post(url, body=b'{"resourceSpans": []}')
    assert r.status_code == 200 and r.json()["events"] == 0
    assert post(url, body=b"", ctype=PB).status_code == 200
    assert landed(lake) == [] and not landing_has_data(lake, "agents")


def _with_label(label: str | None) -> bytes:
    doc = orjson.loads(fixture_bytes("trace_camel.json"))
    if label is not None:
        doc["resourceSpans"][0]["resource"]["attributes"].append(
            {"key": "LangWatchSourceType", "value": {"stringValue": label}}
        )
    return orjson.dumps(doc)


def test_allowed_source_type_label_rejects_other_resources_as_partial_success(receiver, lake):
    url, _ = receiver
    good = orjson.loads(_with_label("claude_cowork"))
    other = orjson.loads(_with_label("something_else"))
    doc = {"resourceSpans": good["resourceSpans"] + other["resourceSpans"]}
    r = post(url, "labelled", orjson.dumps(doc), secret=OTHER_SECRET)
    assert r.status_code == 200
    body = r.json()
    assert body["events"] == 4 and body["partialSuccess"]["rejectedSpans"] == "4"
    assert "claude_cowork" in body["partialSuccess"]["errorMessage"]
    assert len(span_ids(landed(lake, "labelled"))) == 4
    # protobuf, no label at all: everything rejected, nothing landed, still 200 with partial success
    pb = ExportTraceServiceRequest.FromString(fixture_bytes("trace.pb")).SerializeToString()
    r = post(url, "labelled", pb, ctype=PB, secret=OTHER_SECRET)
    resp = ExportTraceServiceResponse.FromString(r.content)
    assert r.status_code == 200 and resp.partial_success.rejected_spans == 4
    assert len(landed(lake, "labelled")) == 1


def test_spans_without_a_span_id_are_rejected_the_rest_land(receiver, lake):
    url, _ = receiver
    doc = orjson.loads(fixture_bytes("trace_camel.json"))
    del doc["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["spanId"]
    r = post(url, body=orjson.dumps(doc))
    assert r.json()["events"] == 3 and r.json()["partialSuccess"]["rejectedSpans"] == "1"
    assert len(span_ids(landed(lake))) == 3


@pytest.mark.parametrize(
    "kwargs, status, slug",
    [
        (dict(secret=None), 401, "unauthorized"),
        (dict(secret="gp_is_wrong"), 401, "unauthorized"),
        (dict(secret=OTHER_SECRET), 401, "unauthorized"),  # another source's secret
        (dict(source="nope"), 404, "unknown_source"),
        (dict(source="files"), 400, "wrong_endpoint"),
        (dict(body=b"{not json"), 400, "bad_request"),
        (dict(body=b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"spanId": 12}]}]}]}'), 400, "bad_request"),
        (dict(body=b"\xff\xff\xff\xff", ctype=PB), 400, "bad_request"),
        (dict(body=b"garbage", **{"Content-Encoding": "gzip"}), 400, "bad_request"),
        (dict(ctype="text/plain"), 415, "unsupported_media_type"),
        (dict(**{"Content-Encoding": "zstd"}), 415, "unsupported_encoding"),
        (dict(body=b"x" * ((1 << 20) + 1)), 413, "too_large"),
    ],
)
def test_error_statuses(receiver, lake, kwargs, status, slug):
    url, _ = receiver
    kwargs.setdefault("body", fixture_bytes("trace_camel.json"))
    r = post(url, **kwargs)
    assert r.status_code == status
    if kwargs.get("ctype", JSON) == PB:
        assert r.headers["content-type"] == PB and r.content  # a google.rpc.Status
    else:
        assert r.json()["error"] == slug and r.json()["message"]
    assert landed(lake) == []


def test_401_carries_a_bearer_challenge_and_never_echoes_the_secret(receiver):
    url, _ = receiver
    r = post(url, secret="gp_is_wrong_secret_value", body=fixture_bytes("trace_camel.json"))
    assert r.headers["www-authenticate"] == "Bearer" and "wrong_secret" not in r.text


def test_other_methods_and_paths(receiver):
    url, _ = receiver
    r = requests.get(f"{url}/api/ingest/otel/agents", timeout=10)
    assert r.status_code == 405 and r.headers["allow"] == "POST"
    assert requests.put(f"{url}/api/ingest/otel/agents", timeout=10).status_code == 405
    assert requests.post(f"{url}/v1/traces", timeout=10).status_code == 404
    r = requests.post(
        f"{url}/api/ingest/otel/agents/v1/traces",
        data=fixture_bytes("trace.pb"),
        headers={"Content-Type": PB, "Authorization": f"Bearer {SECRET}"},
        timeout=10,
    )
    assert r.status_code == 200


def test_a_gzip_bomb_gets_413_without_a_full_decode(receiver, lake):
    url, _ = receiver
    bomb = gzip.compress(b"\0" * (64 << 20), compresslevel=9)  # 64 MiB inflated; the limit here is 1 MiB
    assert len(bomb) < 100_000
    started = time.perf_counter()
    r = post(url, body=bomb, ctype=PB, **{"Content-Encoding": "gzip"})
    assert r.status_code == 413 and time.perf_counter() - started < 5
    assert landed(lake) == []


def test_a_request_killed_mid_upload_leaves_nothing_behind(receiver, lake):
    url, _ = receiver
    body = fixture_bytes("trace_camel.json")
    host, port = urlparse(url).hostname, urlparse(url).port
    with socket.create_connection((host, port)) as sock:
        head = (
            f"POST /api/ingest/otel/agents HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {SECRET}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        sock.sendall(head + body[: len(body) // 2])
        time.sleep(0.2)
    time.sleep(0.3)
    files = list(LakeStore(lake).list_files("_landing")) if LakeStore(lake).exists("_landing") else []
    assert files == []  # no landing file, complete or partial
    assert post(url, body=body).status_code == 200  # and the receiver is fine


def test_concurrent_requests_share_fsyncs_and_every_ack_is_landed(receiver, lake):
    url, app = receiver
    template = fixture_bytes("trace_camel.json")

    def one(i: int) -> int:
        doc = orjson.loads(template)
        spans = doc["resourceSpans"][0]["scopeSpans"][0]["spans"]
        for n, s in enumerate(spans):
            s["spanId"] = f"{i:08x}{n:08x}"
        return post(url, body=orjson.dumps(doc)).json()["events"]

    with ThreadPoolExecutor(8) as pool:
        acked = sum(pool.map(one, range(80)))
    assert acked == 320
    assert len(span_ids(landed(lake))) == 320
    assert app.committer.files_written <= 80


def test_a_large_body_is_decoded_off_the_event_loop_and_landed(receiver, lake):
    url, app = receiver
    app.offload_bytes = 50_000
    doc = orjson.loads(fixture_bytes("trace_camel.json"))
    spans = doc["resourceSpans"][0]["scopeSpans"][0]["spans"]
    doc["resourceSpans"][0]["scopeSpans"][0]["spans"] = [
        {**s, "spanId": f"{i:08x}{n:08x}"} for i in range(40) for n, s in enumerate(spans)
    ]
    body = orjson.dumps(doc)
    assert len(body) > app.offload_bytes
    assert post(url, body=body).json() == {"events": 160, "bytes": len(body)}
    bad = b'{"resourceSpans": "' + b"x" * len(body) + b'"}'  # not an array: the whole request is invalid
    assert post(url, body=bad).status_code == 400  # errors from the worker thread are still a 400
    partly = body.replace(b'"spanId":"00000000', b'"spanId":"zz000000', 1)  # one span is invalid: the rest lands
    assert post(url, body=partly).json()["partialSuccess"]["rejectedSpans"] == "1"
    assert len(span_ids(landed(lake))) == 160 + 159


def test_chunked_uploads_are_streamed_and_limited(receiver, lake):
    url, _ = receiver
    body = gzip.compress(fixture_bytes("trace_camel.json"))
    chunks = lambda data: (data[i : i + 1000] for i in range(0, len(data), 1000))  # noqa: E731
    r = post(url, body=chunks(body), **{"Content-Encoding": "gzip"})  # no Content-Length: chunked
    assert r.status_code == 200 and r.json() == {"events": 4, "bytes": len(body)}
    r = post(url, body=chunks(b"x" * ((1 << 20) + 5000)))
    assert r.status_code == 413


def test_a_failed_landing_write_is_a_retryable_503(sources_file, tmp_path):
    from governance_pipeline.receiver.server import build_app, running

    blocker = tmp_path / "not_a_folder"
    blocker.write_text("the lake root cannot be created under a file")
    with running(build_app(str(sources_file), str(blocker / "lake"))) as url:
        r = post(url, body=fixture_bytes("trace.pb"), ctype=PB)
        assert r.status_code == 503 and r.headers["retry-after"] == "1" and r.headers["content-type"] == PB
        assert post(url, body=b"", ctype=PB).status_code == 200  # nothing to land: still fine
