"""Load-test the OTLP receiver on loopback beside a minimal receiver, then check nothing acknowledged was lost.

    .venv/bin/python benchmarks/otlp_receiver.py [--seconds 10] [--clients 8] [--spans 100] [--dir data/bench_otlp]
    .venv/bin/python benchmarks/otlp_receiver.py --sustained 60 [--pull-every 5] [--clients 8]

Scenarios, each against a fresh server process (uvicorn, same settings):
  minimal-pb  an ASGI handler that only decodes the protobuf, appends the body to one file and fsyncs
  ours-pb     ``govpipe serve``'s app, protobuf bodies
  ours-json   ``govpipe serve``'s app, OTLP/JSON bodies
Clients are asyncio keep-alive HTTP/1.1 connections in this process, each sending batches of ``--spans`` spans
(unique span ids) back to back for ``--seconds``. Afterwards the server is stopped, the landed files are pulled
into a lake with ``run_pull``, and the lake's row count is compared with the acknowledged spans.

``--sustained N`` runs the receiver and scheduled pulls together instead: for N seconds half the clients send
protobuf spans and half protobuf log records (``/v1/logs``, Claude-Code-shaped usage events), while a puller
process runs ``run_pull`` every ``--pull-every`` seconds (as the sensor would). It reports the acknowledged
rate, the pull rate (events per second of pulling), the backlog (acknowledged, not yet in the lake) when the
load stops, and how long the pulls then need to drain it; at the end lake rows must equal acknowledged records.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import orjson
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue

SECRET = "gp_is_benchmark_secret_not_for_production_use_000000000"


# -- payloads ----------------------------------------------------------------------------------------------
def template(spans: int) -> ExportTraceServiceRequest:
    req = ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    for k, v in (
        ("service.name", "bench-agent"),
        ("user.email", "bench@example.com"),
        ("deployment.environment.name", "prod"),
    ):
        rs.resource.attributes.append(KeyValue(key=k, value={"string_value": v}))
    ss = rs.scope_spans.add()
    ss.scope.name = "opentelemetry.instrumentation.openai_v2"
    now = time.time_ns()
    for i in range(spans):
        s = ss.spans.add()
        s.trace_id = bytes.fromhex("5b8efff798038103d269b633813fc60c")
        s.span_id = bytes([0xA5, 0x5A, 0xC3, 0x3C, 0, 0, 0, i])  # placeholder, patched per request
        s.name = "chat gpt-4o"
        s.kind = 3
        s.start_time_unix_nano = now + i * 1000
        s.end_time_unix_nano = now + i * 1000 + 850_000_000
        for k, v in (
            ("gen_ai.operation.name", "chat"),
            ("gen_ai.provider.name", "openai"),
            ("gen_ai.request.model", "gpt-4o"),
            ("gen_ai.response.model", "gpt-4o-2024-08-06"),
            ("gen_ai.conversation.id", f"conv_{i % 7}"),
        ):
            s.attributes.append(KeyValue(key=k, value={"string_value": v}))
        s.attributes.append(KeyValue(key="gen_ai.usage.input_tokens", value={"int_value": 1200 + i}))
        s.attributes.append(KeyValue(key="gen_ai.usage.output_tokens", value={"int_value": 300 + i}))
        s.attributes.append(KeyValue(key="gen_ai.usage.cost", value={"double_value": 0.0061}))
        s.status.code = 1
    return req


def logs_template(records: int) -> ExportLogsServiceRequest:
    """Claude-Code-shaped ``api_request`` usage events; the span id field holds the per-request placeholder."""
    req = ExportLogsServiceRequest()
    rl = req.resource_logs.add()
    for k, v in (("service.name", "claude-code"), ("service.version", "2.1.328"), ("os.type", "linux")):
        rl.resource.attributes.append(KeyValue(key=k, value={"string_value": v}))
    sl = rl.scope_logs.add()
    sl.scope.name = "com.anthropic.claude_code.events"
    now = time.time_ns()
    for i in range(records):
        r = sl.log_records.add()
        r.time_unix_nano = now + i * 1000
        r.observed_time_unix_nano = now + i * 1000
        r.body.string_value = "claude_code.api_request"
        r.span_id = bytes([0xA5, 0x5A, 0xC3, 0x3C, 0, 0, 0, i])
        for k, v in (
            ("event.name", "api_request"),
            ("user.email", "bench@example.com"),
            ("session.id", f"sess_{i % 7}"),
            ("model", "claude-sonnet-4-5"),
            ("input_tokens", str(1200 + i)),
            ("output_tokens", str(300 + i)),
            ("cost_usd", "0.0061"),
            ("duration_ms", "850"),
        ):
            r.attributes.append(KeyValue(key=k, value={"string_value": v}))
    return req


def to_json(req: ExportTraceServiceRequest) -> bytes:
    def value(v):
        kind = v.WhichOneof("value")
        return (
            {"stringValue": v.string_value}
            if kind == "string_value"
            else {"intValue": str(v.int_value)}
            if kind == "int_value"
            else {"doubleValue": v.double_value}
        )

    rs = req.resource_spans[0]
    return orjson.dumps(
        {
            "resourceSpans": [
                {
                    "resource": {
                        "attributes": [{"key": kv.key, "value": value(kv.value)} for kv in rs.resource.attributes]
                    },
                    "scopeSpans": [
                        {
                            "scope": {"name": rs.scope_spans[0].scope.name},
                            "spans": [
                                {
                                    "traceId": s.trace_id.hex(),
                                    "spanId": s.span_id.hex(),
                                    "name": s.name,
                                    "kind": s.kind,
                                    "startTimeUnixNano": str(s.start_time_unix_nano),
                                    "endTimeUnixNano": str(s.end_time_unix_nano),
                                    "attributes": [{"key": kv.key, "value": value(kv.value)} for kv in s.attributes],
                                    "status": {"code": 1},
                                }
                                for s in rs.scope_spans[0].spans
                            ],
                        }
                    ],
                }
            ]
        }
    )


class Patcher:
    """Bodies with fresh span ids, by overwriting the placeholder ids in place (cheap per request)."""

    def __init__(self, body: bytes, spans: int, as_hex: bool):
        self.body, self.as_hex = body, as_hex
        marks = [bytes([0xA5, 0x5A, 0xC3, 0x3C, 0, 0, 0, i]) for i in range(spans)]
        self.offsets = [body.index(m.hex().encode() if as_hex else m) for m in marks]

    def make(self, request_no: int) -> bytes:
        buf = bytearray(self.body)
        for i, off in enumerate(self.offsets):
            sid = ((request_no << 8) | i).to_bytes(8, "big")
            if self.as_hex:
                buf[off : off + 16] = sid.hex().encode()
            else:
                buf[off : off + 8] = sid
        return bytes(buf)


# -- servers -----------------------------------------------------------------------------------------------
def minimal_app(path: str):
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    ok = ExportTraceServiceResponse().SerializeToString()

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        body = bytearray()
        while True:
            msg = await receive()
            body += msg.get("body", b"")
            if not msg.get("more_body"):
                break
        ExportTraceServiceRequest.FromString(bytes(body))
        os.write(fd, bytes(body))
        os.fsync(fd)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/x-protobuf"), (b"content-length", str(len(ok)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": ok})

    return app


def serve(kind: str, port: int, workdir: str) -> None:
    import uvicorn

    from governance_pipeline.receiver.server import build_app, uvicorn_config

    if kind == "minimal":
        app = minimal_app(f"{workdir}/minimal.bin")
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off")
    else:
        config = uvicorn_config(build_app(f"{workdir}/sources.yaml", f"{workdir}/lake"), "127.0.0.1", port)
    uvicorn.Server(config).run()


def start_server(kind: str, workdir: str) -> tuple[subprocess.Popen, int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, __file__, "--serve", kind, "--port", str(port), "--dir", workdir])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"{kind} server did not start")


# -- load ----------------------------------------------------------------------------------------------------
async def client(
    cid: int, port: int, path: str, ctype: str, patcher: Patcher, spans: int, until: float, out: dict
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {SECRET}\r\nContent-Type: {ctype}\r\n"
    seq = 0
    while time.perf_counter() < until:
        seq += 1
        body = patcher.make((cid << 24) | seq)
        started = time.perf_counter()
        writer.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
        status_line = await reader.readline()
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        reply = await reader.readexactly(length)
        out["latencies"].append(time.perf_counter() - started)
        if status_line.split()[1] == b"200":
            out["acked"] += orjson.loads(reply)["events"] if ctype == "application/json" else spans
        else:
            out["errors"] += 1
    writer.close()


async def load(port: int, path: str, ctype: str, patcher: Patcher, spans: int, clients: int, seconds: float) -> dict:
    out = {"latencies": [], "acked": 0, "errors": 0}
    until = time.perf_counter() + seconds
    started = time.perf_counter()
    await asyncio.gather(*(client(c + 1, port, path, ctype, patcher, spans, until, out) for c in range(clients)))
    out["elapsed"] = time.perf_counter() - started
    return out


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000 if values else float("nan")


def lake_count(workdir: str) -> tuple[int, float]:
    from governance_pipeline.ingest import run_pull
    from governance_pipeline.pull_types import Runtime
    from governance_pipeline.sources_file import load_sources

    source = load_sources(f"{workdir}/sources.yaml").source("bench")
    started = time.perf_counter()
    outcome = run_pull(source, Runtime(credentials=lambda r: {}, lake_root=f"{workdir}/lake"), None)
    pulled_in = time.perf_counter() - started  # the pull alone: not the count below
    import duckdb

    rows = duckdb.sql(
        f"select count(distinct source_event_id), count(*) from read_parquet('{workdir}/lake/events/**/*.parquet')"
    ).fetchall()[0]
    assert rows[0] == rows[1] == outcome.new, (rows, outcome.new)
    return rows[0], pulled_in


def run_scenario(name: str, args, req: ExportTraceServiceRequest) -> dict:
    workdir = f"{args.dir}/{name}"
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    from governance_pipeline.receiver.auth import secret_sha256

    Path(f"{workdir}/sources.yaml").write_text(
        f'sources:\n  - id: bench\n    type: otel_generic\n    config:\n      secretSha256: "{secret_sha256(SECRET)}"\n'
    )
    is_json = name.endswith("json")
    body = to_json(req) if is_json else req.SerializeToString()
    patcher = Patcher(body, args.spans, as_hex=is_json)
    proc, port = start_server("minimal" if name.startswith("minimal") else "ours", workdir)
    try:
        ctype = "application/json" if is_json else "application/x-protobuf"
        res = asyncio.run(load(port, "/api/ingest/otel/bench", ctype, patcher, args.spans, args.clients, args.seconds))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    if name.startswith("minimal"):
        stored = sum(
            len(ss.spans)
            for rs in ExportTraceServiceRequest.FromString(Path(f"{workdir}/minimal.bin").read_bytes()).resource_spans
            for ss in rs.scope_spans
        )
        pull_s = float("nan")
    else:
        stored, pull_s = lake_count(workdir)
    landing_files = (
        sum(len(f) for _, _, f in os.walk(f"{workdir}/lake/_landing")) if not name.startswith("minimal") else 0
    )
    return {
        "name": name,
        "requests": len(res["latencies"]),
        "acked": res["acked"],
        "errors": res["errors"],
        "spans_per_s": res["acked"] / res["elapsed"],
        "p50_ms": pct(res["latencies"], 0.5),
        "p99_ms": pct(res["latencies"], 0.99),
        "stored": stored,
        "pull_s": pull_s,
        "files": landing_files,
        "body_bytes": len(body),
    }


# -- sustained: receiver and scheduled pulls together -------------------------------------------------------
def pull_loop(workdir: str, every: float) -> None:
    """Run ``run_pull`` every ``every`` seconds until ``<workdir>/stop`` exists and nothing is left; one JSON
    line per pull in ``<workdir>/pulls.ndjson``."""
    from governance_pipeline.ingest import run_pull
    from governance_pipeline.pull_types import Runtime
    from governance_pipeline.sources_file import load_sources

    source = load_sources(f"{workdir}/sources.yaml").source("bench")
    runtime = Runtime(credentials=lambda r: {}, lake_root=f"{workdir}/lake")
    cursor = None
    with open(f"{workdir}/pulls.ndjson", "ab") as log:
        while True:
            tick = time.perf_counter()
            stopping = os.path.exists(f"{workdir}/stop")
            out = run_pull(source, runtime, cursor)
            cursor = out.cursor
            took = time.perf_counter() - tick
            log.write(orjson.dumps({"at": time.time(), "new": out.new, "seconds": took, "files": out.files}) + b"\n")
            log.flush()
            if stopping and out.new == 0:
                return
            if out.new == 0 or took < every:
                time.sleep(max(0.0, every - took))


def run_sustained(args) -> int:
    workdir = f"{args.dir}/sustained"
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    from governance_pipeline.receiver.auth import secret_sha256

    Path(f"{workdir}/sources.yaml").write_text(
        f'sources:\n  - id: bench\n    type: otel_generic\n    config:\n      secretSha256: "{secret_sha256(SECRET)}"\n'
    )
    spans_body = template(args.spans).SerializeToString()
    logs_body = logs_template(args.spans).SerializeToString()
    proc, port = start_server("ours", workdir)
    puller = subprocess.Popen(
        [sys.executable, __file__, "--pull-loop", "--dir", workdir, "--pull-every", str(args.pull_every)]
    )
    pb = "application/x-protobuf"

    async def both() -> list[dict]:
        half = max(1, args.clients // 2)
        return await asyncio.gather(
            load(
                port,
                "/api/ingest/otel/bench",
                pb,
                Patcher(spans_body, args.spans, False),
                args.spans,
                half,
                args.sustained,
            ),
            load(
                port,
                "/api/ingest/otel/bench/v1/logs",
                pb,
                Patcher(logs_body, args.spans, False),
                args.spans,
                max(1, args.clients - half),
                args.sustained,
            ),
        )

    try:
        started = time.time()
        spans_res, logs_res = asyncio.run(both())
        load_end = time.time()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    Path(f"{workdir}/stop").touch()
    puller.wait(timeout=3600)
    drained = time.time()
    pulls = [orjson.loads(line) for line in Path(f"{workdir}/pulls.ndjson").read_bytes().splitlines()]
    acked = spans_res["acked"] + logs_res["acked"]
    in_lake_at_end = sum(p["new"] for p in pulls if p["at"] <= load_end)
    pulled = sum(p["new"] for p in pulls)
    pull_busy = sum(p["seconds"] for p in pulls if p["new"])
    import duckdb

    rows = duckdb.sql(
        f"select count(distinct source_event_id), count(*) from read_parquet('{workdir}/lake/events/**/*.parquet')"
    ).fetchall()[0]
    landing_files = sum(len(f) for _, _, f in os.walk(f"{workdir}/lake/_landing"))
    elapsed = load_end - started
    print(
        f"sustained {args.sustained:g} s, {args.clients} clients (half spans, half log records), "
        f"{args.spans} per request, pull every {args.pull_every:g} s, {os.cpu_count()} cores"
    )
    print(
        f"acknowledged     {acked:>10,} ({spans_res['acked']:,} spans + {logs_res['acked']:,} log records), "
        f"{acked / elapsed:,.0f}/s; p50 {pct(spans_res['latencies'] + logs_res['latencies'], 0.5):.1f} ms, "
        f"p99 {pct(spans_res['latencies'] + logs_res['latencies'], 0.99):.1f} ms; errors {spans_res['errors'] + logs_res['errors']}"
    )
    print(
        f"pulled           {pulled:>10,} in {len([p for p in pulls if p['new']])} pulls, {pull_busy:.1f} s pulling: "
        f"{pulled / pull_busy if pull_busy else float('nan'):,.0f}/s = "
        f"{(pulled / pull_busy) / (acked / elapsed) if pull_busy else float('nan'):.2f}x the acknowledged rate"
    )
    print(
        f"backlog at the end of the load: {acked - in_lake_at_end:,} ({(acked - in_lake_at_end) / max(acked, 1):.0%}); "
        f"drained {drained - load_end:.1f} s later; {landing_files} landing files"
    )
    ok = rows[0] == rows[1] == acked == pulled
    print("nothing lost" if ok else f"MISMATCH: lake {rows}, acknowledged {acked}, pulled {pulled}")
    return 0 if ok else 1


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--spans", type=int, default=100)
    p.add_argument("--dir", default="data/bench_otlp")
    p.add_argument("--scenarios", default="minimal-pb,ours-pb,ours-json")
    p.add_argument("--sustained", type=float, help="receiver and scheduled pulls together for this many seconds")
    p.add_argument("--pull-every", type=float, default=5.0, help="sustained: seconds between pulls (default 5)")
    p.add_argument("--pull-loop", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--serve", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.dir)
        return 0
    if args.pull_loop:
        pull_loop(args.dir, args.pull_every)
        return 0
    args.dir = str(Path(args.dir).resolve())
    if args.sustained:
        return run_sustained(args)
    req = template(args.spans)
    print(
        f"{args.clients} clients, {args.spans} spans per request, {args.seconds:g} s per scenario, {os.cpu_count()} cores"
    )
    print(
        f"{'scenario':<11} {'requests':>8} {'spans/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'acked':>8} {'in lake':>8} {'files':>6} {'pull s':>6} {'body B':>7}"
    )
    results = []
    for name in args.scenarios.split(","):
        r = run_scenario(name, args, req)
        results.append(r)
        print(
            f"{r['name']:<11} {r['requests']:>8} {r['spans_per_s']:>9.0f} {r['p50_ms']:>7.1f} {r['p99_ms']:>7.1f} {r['acked']:>8} "
            f"{r['stored']:>8} {r['files']:>6} {r['pull_s']:>6.1f} {r['body_bytes']:>7}",
            flush=True,
        )
    lost = [r["name"] for r in results if r["stored"] != r["acked"] or r["errors"]]
    base = next((r for r in results if r["name"] == "minimal-pb"), None)
    ours = next((r for r in results if r["name"] == "ours-pb"), None)
    if base and ours:
        print(f"ours-pb / minimal-pb = {ours['spans_per_s'] / base['spans_per_s']:.2f}")
    for r in results:
        if r["name"].startswith("ours") and r["pull_s"]:
            rate = r["stored"] / r["pull_s"]
            print(f"{r['name']} pull: {rate:,.0f} spans/s = {rate / r['spans_per_s']:.2f}x its acknowledged rate")
    json_run = next((r for r in results if r["name"] == "ours-json"), None)
    if ours and json_run:
        print(f"ours-json / ours-pb = {json_run['spans_per_s'] / ours['spans_per_s']:.0%}")
    print("nothing lost" if not lost else f"MISMATCH in {', '.join(lost)}")
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
