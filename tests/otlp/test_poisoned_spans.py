"""Poisoned spans: one bad span never stops a push source; the receiver acknowledges only what the pull can read."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import orjson
import pytest
import requests
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from governance_pipeline.adapters.base import Runtime
from governance_pipeline.ingest import run_pull
from governance_pipeline.lake.store import LakeStore
from governance_pipeline.otlp.json_decode import MAX_VALUE_DEPTH, request_from_json
from governance_pipeline.receiver import landing
from governance_pipeline.sources_file import load_sources
from tests.otlp.conftest import SECRET, fixture_bytes

GOOD = ["3acaec7f50ad99e3", "47fd7881fd2cc7cc", "83e290234994b8ab"]
POISON = "979b3b236720058d"


def _doc() -> dict:
    return orjson.loads(fixture_bytes("trace_camel.json"))


def _spans(doc: dict) -> list[dict]:
    return doc["resourceSpans"][0]["scopeSpans"][0]["spans"]


def nested(levels: int) -> dict:
    value: dict = {"stringValue": "leaf"}
    for _ in range(levels):
        value = {"arrayValue": {"values": [value]}}
    return value


def with_attribute(doc: dict, span_id: str, key: str, value: dict) -> dict:
    doc = copy.deepcopy(doc)
    for s in _spans(doc):
        if s["spanId"] == span_id:
            s["attributes"].append({"key": key, "value": value})
    return doc


def post(url: str, doc: dict, ctype: str = "application/json") -> requests.Response:
    body = orjson.dumps(doc) if ctype == "application/json" else request_from_json(doc).SerializeToString()
    return requests.post(
        f"{url}/api/ingest/otel/agents",
        data=body,
        headers={"Content-Type": ctype, "Authorization": f"Bearer {SECRET}"},
        timeout=10,
    )


@pytest.fixture
def pull(sources_file, lake):
    source = load_sources(sources_file).source("agents")
    runtime = Runtime(credentials=lambda ref: {}, lake_root=lake)
    return lambda cursor: run_pull(source, runtime, cursor)


def lake_ids(lake: str) -> list[str]:
    rows = duckdb.sql(
        f"select source_event_id from read_parquet('{lake}/events/**/*.parquet', hive_partitioning=true) order by 1"
    ).fetchall()
    return [r[0] for r in rows]


def quarantined(lake: str) -> list[dict]:
    store = LakeStore(lake)
    out = []
    for rel in store.list_files("quarantine"):
        out.extend(orjson.loads(line) for line in store.read_bytes(rel).splitlines() if line.strip())
    return out


def test_a_deeply_nested_span_is_rejected_by_the_receiver_and_the_rest_lands(receiver, lake, pull):
    url, _ = receiver
    doc = with_attribute(_doc(), POISON, "deep", nested(50))
    assert len(orjson.dumps(_spans(doc)[3])) < 4_000
    r = post(url, doc)
    assert r.status_code == 200
    reply = r.json()
    assert reply["partialSuccess"]["rejectedSpans"] == "1"
    assert "nested deeper than" in reply["partialSuccess"]["errorMessage"]
    assert reply["events"] == 3
    first = pull(None)
    assert (first.new, first.errors) == (3, 0)
    # the source is not stuck: a later request lands too
    later = copy.deepcopy(_doc())
    for i, s in enumerate(_spans(later)):
        s["spanId"] = f"{i:016x}"
    assert post(url, later).status_code == 200
    second = pull(first.cursor)
    assert second.new == 4
    assert lake_ids(lake) == sorted([*GOOD, *(f"{i:016x}" for i in range(4))])


def test_nesting_up_to_the_limit_is_accepted_and_pulled(receiver, lake, pull):
    url, _ = receiver
    doc = with_attribute(_doc(), POISON, "deep", nested(MAX_VALUE_DEPTH))
    kv: dict = {"stringValue": "leaf"}
    for _ in range(MAX_VALUE_DEPTH):
        kv = {"kvlistValue": {"values": [{"key": "k", "value": kv}]}}
    doc = with_attribute(doc, GOOD[0], "deep_map", kv)
    r = post(url, doc)
    assert r.status_code == 200 and "partialSuccess" not in r.json()
    assert pull(None).new == 4


def test_an_int_beyond_int64_rejects_only_its_span(receiver, lake, pull):
    url, _ = receiver
    doc = with_attribute(_doc(), POISON, "gen_ai.usage.input_tokens", {"intValue": "99999999999999999999"})
    r = post(url, doc)
    assert r.status_code == 200
    assert r.json()["partialSuccess"]["rejectedSpans"] == "1"
    assert "int64" in r.json()["partialSuccess"]["errorMessage"]
    assert pull(None).new == 3


@pytest.mark.parametrize("ctype", ["application/json", "application/x-protobuf"])
@pytest.mark.parametrize(
    "value",
    [{"doubleValue": 1e30}, {"stringValue": "99999999999999999999"}, {"stringValue": "1e30"}],
    ids=["double-1e30", "string-20-digits", "string-1e30"],
)
def test_an_out_of_range_token_count_is_quarantined_and_the_rest_lands(receiver, lake, pull, ctype, value):
    url, _ = receiver
    doc = with_attribute(_doc(), POISON, "gen_ai.usage.input_tokens", value)
    for s in _spans(doc):  # the span's own key wins over the resource's, and over later keys
        if s["spanId"] == POISON:
            s["attributes"] = [a for a in s["attributes"] if a["key"] != "gen_ai.usage.input_tokens"] + [
                {"key": "gen_ai.usage.input_tokens", "value": value}
            ]
    assert post(url, doc, ctype).status_code == 200
    out = pull(None)
    assert (out.new, out.errors, out.quarantined) == (3, 1, 1)
    assert lake_ids(lake) == sorted(GOOD)
    (bad,) = quarantined(lake)
    assert bad["span_id"] == POISON and "tokens_input" in bad["error"]


def _land(lake: str, payload: bytes, seq: int) -> None:
    name = landing.file_name(datetime.now(UTC), "w1", seq)
    LakeStore(lake).write_bytes(landing.file_path("agents", name), payload)


def _deep_request_bytes() -> bytes:
    """What an earlier receiver landed for the 50-level span: protobuf that serialises but does not parse."""
    doc = _doc()
    req = request_from_json(with_attribute(doc, POISON, "x", {"stringValue": "placeholder"}))
    for rs in req.resource_spans:
        for ss in rs.scope_spans:
            for span in ss.spans:
                if span.span_id.hex() == POISON:
                    value = span.attributes[-1].value
                    for _ in range(50):
                        value = value.array_value.values.add()
                    value.string_value = "leaf"
    return req.SerializeToString()


def test_an_unreadable_landed_file_does_not_stop_the_source(lake, pull):
    payload = _deep_request_bytes()
    with pytest.raises(DecodeError):
        ExportTraceServiceRequest.FromString(payload)
    _land(lake, payload, 1)
    out = pull(None)
    assert (out.new, out.errors) == (3, 1)
    assert lake_ids(lake) == sorted(GOOD)
    (bad,) = quarantined(lake)
    assert "could not be decoded" in bad["error"] and bad["file"].endswith(".pb")
    # the cursor moved past it: the next pull reads only what is new
    _land(lake, request_from_json(_doc()).SerializeToString(), 2)
    again = pull(out.cursor)
    assert (again.events, again.new, again.duplicates, again.errors) == (4, 1, 3, 0)


def test_a_request_whose_every_span_is_undecodable_is_a_400_with_the_reason(receiver, lake):
    url, _ = receiver
    doc = _doc()
    _spans(doc)[:] = [s for s in _spans(with_attribute(doc, POISON, "deep", nested(50))) if s["spanId"] == POISON]
    r = post(url, doc)
    assert r.status_code == 400
    assert r.json()["error"] == "bad_request" and "nested deeper than 24 levels" in r.json()["message"]
    assert landing.list_landed(LakeStore(lake), "agents") == []


def test_govpipe_pull_reports_the_poisoned_span_and_succeeds(receiver, sources_file, lake, tmp_path):
    url, _ = receiver
    doc = with_attribute(_doc(), POISON, "deep", nested(50))  # refused by the receiver
    doc = with_attribute(doc, GOOD[0], "gen_ai.usage.input_tokens", {"doubleValue": 1e30})  # quarantined by the pull
    for s in _spans(doc):
        if s["spanId"] == GOOD[0]:
            s["attributes"] = [a for a in s["attributes"] if a["key"] != "gen_ai.usage.input_tokens"]
            s["attributes"].append({"key": "gen_ai.usage.input_tokens", "value": {"doubleValue": 1e30}})
    assert post(url, doc).json()["partialSuccess"]["rejectedSpans"] == "1"
    env = {
        **os.environ,
        "GOVERNANCE_SOURCES": str(sources_file),
        "GOVERNANCE_LAKE": lake,
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
    }
    govpipe = [str(Path(sys.executable).parent / "govpipe"), "pull", "agents"]
    pulled = subprocess.run(govpipe, env=env, capture_output=True, text=True, timeout=120)
    assert pulled.returncode == 0, pulled.stderr
    assert pulled.stdout.strip() == "events=3 new=2 errors=1"
    assert lake_ids(lake) == sorted(GOOD[1:])
