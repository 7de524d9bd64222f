"""Fuzz: http_polling pages (event-lines and decoded paths), OTLP spans through the receiver (JSON and protobuf),
and LangSmith runs, each mixing good and hostile records. The pull never fails on record content; good records
land once; bad ones are quarantined (README, "Poisoned records")."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import orjson
import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from governance_pipeline.adapters.base import Runtime
from governance_pipeline.adapters.http_polling import engine
from governance_pipeline.ingest import run_pull
from governance_pipeline.otlp.json_decode import request_from_json
from governance_pipeline.receiver.auth import new_secret, secret_sha256
from governance_pipeline.receiver.server import build_app, running
from governance_pipeline.sources_file import parse_sources
from tests.fuzz.helpers import check
from tests.fuzz.strategies import fuzz_settings, mixed, not_a_cost, not_an_integer
from tests.http_polling.helpers import audit_config, sources
from tests.langsmith.conftest import API_KEY, TENANT, Env
from tests.langsmith.fake_server import FakeLangSmith, load_fixtures
from tests.support.http import Response, serve


class _Page:
    body = b"{}"


@pytest.fixture(scope="module")
def page_server():
    page = _Page()
    with serve(lambda req: Response(200, page.body, {"Content-Type": "application/json"})) as (url, _):
        yield url, page


@pytest.mark.parametrize("lines", [True, False], ids=["event-lines", "decoded"])
@fuzz_settings(10)
@given(items=mixed())
def test_http_polling_page(page_server, monkeypatch, lines, items):
    url, page = page_server
    if not lines:
        monkeypatch.setattr(engine._Split, "of", classmethod(lambda cls, c: None))
    page.body = json.dumps({"events": [r for _, r, _ in items], "next_cursor": None}).encode()
    cfg = audit_config(url + "/v1/audit-log", authMode="none", headers={})
    cfg.pop("credentialRef")
    sf = sources(cfg)
    lake = Path(tempfile.mkdtemp(prefix="fuzz-http-"))
    out = run_pull(sf.sources[0], Runtime(credentials=lambda ref: {}, lake_root=str(lake)), None)
    check(out, lake, [i for i, _, k in items if k == "good"], [i for i, _, k in items if k == "bad"])


SECRET = new_secret()
TOKEN_KEYS = ("gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "gen_ai.usage.cost_usd")


def _attr(key: str, value) -> dict:
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    if isinstance(value, float):
        return {"key": key, "value": {"doubleValue": value}}
    return {"key": key, "value": {"stringValue": value if isinstance(value, str) else json.dumps(value)}}


def _nested(levels: int) -> dict:
    value: dict = {"stringValue": "leaf"}
    for _ in range(levels):
        value = {"arrayValue": {"values": [value]}}
    return value


@st.composite
def spans(draw):
    """(span JSON, kind): good, bad (a usage attribute that does not coerce: quarantined by the pull) or
    rejected (beyond the receiver's limits: refused in partial_success)."""
    kind = draw(st.sampled_from(["good", "good", "bad", "rejected"]))
    attrs = [_attr("gen_ai.request.model", draw(st.text(max_size=20))), _attr("user.id", draw(st.text(max_size=30)))]
    attrs.append(_attr("gen_ai.usage.input_tokens", draw(st.integers(0, 10**9))))
    if kind == "bad":
        key = draw(st.sampled_from(TOKEN_KEYS))
        value = draw(not_a_cost if key.endswith("cost_usd") else not_an_integer)
        if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
            value = str(value)  # an intValue beyond int64 is the receiver's to refuse: sent as text here
        attrs = [a for a in attrs if a["key"] != key] + [_attr(key, value)]
    elif kind == "rejected":
        attrs.append({"key": "deep", "value": _nested(draw(st.integers(25, 60)))})
    start = draw(st.integers(1, 2**63))
    return {
        "name": draw(st.text(max_size=20)),
        "startTimeUnixNano": str(start),
        "endTimeUnixNano": str(start + 1),
        "attributes": attrs,
    }, kind


@pytest.fixture(scope="module")
def otlp_receiver(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz-otlp")
    path = root / "sources.yaml"
    path.write_text(
        f'sources:\n  - id: agents\n    type: otel_generic\n    config: {{secretSha256: "{secret_sha256(SECRET)}"}}\n'
    )
    yield path, root


@pytest.mark.parametrize("ctype", ["application/json", "application/x-protobuf"])
@fuzz_settings(8)
@given(drawn=st.lists(spans(), min_size=1, max_size=10))
def test_otlp_spans(otlp_receiver, ctype, drawn):
    path, root = otlp_receiver
    lake = Path(tempfile.mkdtemp(prefix="fuzz-otlp-", dir=root))
    items = []
    for n, (span, kind) in enumerate(drawn):
        sid = f"{n + 1:016x}"
        items.append((sid, {**span, "spanId": sid, "traceId": "ab" * 16}, kind))
    doc = {"resourceSpans": [{"scopeSpans": [{"spans": [s for _, s, _ in items]}]}]}
    if ctype == "application/x-protobuf":  # an SDK cannot send what the receiver's JSON decoding refuses
        items = [i for i in items if i[2] != "rejected"]
        doc["resourceSpans"][0]["scopeSpans"][0]["spans"] = [s for _, s, _ in items]
        body = request_from_json(doc).SerializeToString()
    else:
        body = orjson.dumps(doc)
    with running(build_app(str(path), str(lake), max_body_bytes=1 << 22)) as url:
        r = requests.post(
            f"{url}/api/ingest/otel/agents",
            data=body,
            headers={"Content-Type": ctype, "Authorization": f"Bearer {SECRET}"},
            timeout=10,
        )
    rejected = sum(1 for _, _, k in items if k == "rejected")
    if items and rejected == len(items):
        assert r.status_code == 400
    else:
        assert r.status_code == 200
    sf = parse_sources(path.read_text())
    out = run_pull(sf.source("agents"), Runtime(credentials=lambda ref: {}, lake_root=str(lake)), None)
    check(out, lake, [i for i, _, k in items if k == "good"], [i for i, _, k in items if k == "bad"])


@fuzz_settings(6)
@given(
    poison=st.lists(
        st.tuples(st.integers(0, 19), st.sampled_from(["prompt_tokens", "total_cost", "start_time"]), st.data()),
        max_size=4,
    )
)
def test_langsmith_runs(poison):
    data = load_fixtures()
    bad = set()
    for index, key, d in poison:
        run = data["runs"][index]
        if key == "start_time":
            value = d.draw(st.sampled_from(["yesterday", "1969-01-01T00:00:00Z", "10000-01-01"]))
        else:
            value = d.draw(not_a_cost if key == "total_cost" else not_an_integer)
        run[key] = value
        bad.add(str(run["id"]))
    llm = {str(r["id"]) for r in data["runs"] if r.get("run_type") == "llm"}
    fake = FakeLangSmith(data, api_key=API_KEY, tenant_id=TENANT)
    lake = Path(tempfile.mkdtemp(prefix="fuzz-ls-"))
    with serve(fake) as (url, seen):
        env = Env(fake, url, seen, str(lake))
        sf = env.sources()
        out = run_pull(sf.source("ls"), env.runtime(sf), None)
    check(out, lake, sorted(llm - bad), sorted(bad))
