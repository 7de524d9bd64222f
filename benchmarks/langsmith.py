"""Benchmark: sync N LangSmith runs (default 100,000) from a local LangSmith-shaped server into the lake.

The server runs in a child process (its CPU does not share our GIL) and answers pre-serialised pages of
``POST /api/v1/runs/query``. The pull is the real one (``ingest.run_pull`` with the ``langsmith`` adapter):
paging, JSON decoding, the run table Parquet, the events, the upserting lake writer. Reported: runs/s and the
share of wall time spent outside HTTP waits (the shared client's ``wait_seconds``).

    .venv/bin/python benchmarks/langsmith.py [--runs 100000] [--page-size 100]
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import json
import multiprocessing as mp
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SESSION = "ecbcd101-6cad-4297-94a0-786853343e48"
KEY = "bench-key-0123456789"
MODELS = [("gpt-4o", "openai"), ("gpt-4o-mini", "openai"), ("claude-sonnet-4-5", "anthropic")]


def make_runs(n: int) -> list[dict]:
    t0 = datetime(2026, 10, 1, tzinfo=UTC)
    runs = []
    for i in range(n):
        trace = i // 4
        kind = ("chain", "llm", "tool", "llm")[i % 4]
        start = t0 + timedelta(seconds=trace * 3, milliseconds=(i % 4) * 10)
        model, provider = MODELS[trace % 3]
        root = str(uuid.UUID(int=trace * 4 + 1))
        run = {
            "id": str(uuid.UUID(int=i + 1)) if kind != "chain" else root,
            "name": {"chain": "support_agent", "llm": "ChatOpenAI", "tool": "get_order_status"}[kind],
            "run_type": kind,
            "session_id": SESSION,
            "trace_id": root,
            "parent_run_id": None if kind == "chain" else root,
            "dotted_order": f"{start:%Y%m%dT%H%M%S%fZ}{root}",
            "start_time": start.strftime("%Y-%m-%dT%H:%M:%S.%f"),
            "end_time": (start + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%S.%f"),
            "status": "success",
            "error": None,
            "reference_example_id": None,
            "tags": ["production"],
            "feedback_stats": {},
            "first_token_time": None,
            "events": [{"name": "start", "time": start.isoformat()}],
            "prompt_tokens": 1200 + i % 500,
            "completion_tokens": 200 + i % 90,
            "total_tokens": 1400 + i % 590,
            "prompt_cost": "0.00300000",
            "completion_cost": "0.00200000",
            "total_cost": "0.00500000",
            "inputs": {"messages": [[{"type": "human", "content": f"Where is my order A-{i}?"}]]},
            "outputs": {"generations": [[{"type": "ChatGeneration", "text": "Let me check that order for you."}]]},
            "extra": {
                "metadata": {
                    "user_id": f"user{trace % 250}@example.com",
                    "thread_id": f"thr_{trace % 5000}",
                    "ls_model_name": model,
                    "ls_provider": provider,
                },
                "invocation_params": {"model": model, "temperature": 0.2},
            },
        }
        runs.append(run)
    return runs


def serve(n: int, page_size: int, port_q: mp.Queue) -> None:
    runs = make_runs(n)
    pages: dict[int, bytes] = {}
    for off in range(0, n, page_size):
        nxt = off + page_size
        cur = base64.b64encode(json.dumps({"offset": nxt}).encode()).decode() if nxt < n else None
        pages[off] = json.dumps({"runs": runs[off:nxt], "cursors": {"next": cur, "prev": None}}).encode()
    sessions = json.dumps([{"id": SESSION, "name": "support-agent-prod"}]).encode()

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _send(self, body: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            off = int(self.path.split("offset=")[1].split("&")[0]) if "offset=" in self.path else 0
            self._send(sessions if self.path.startswith("/api/v1/sessions") and off == 0 else b"[]")

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            off = json.loads(base64.b64decode(body["cursor"]))["offset"] if body.get("cursor") else 0
            self._send(pages.get(off, b'{"runs": [], "cursors": {"next": null}}'))

        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), H)
    port_q.put(server.server_address[1])
    server.serve_forever()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=100_000)
    ap.add_argument("--page-size", type=int, default=100)
    args = ap.parse_args()

    from governance_pipeline.adapters.langsmith import LangSmithAdapter
    from governance_pipeline.ingest import run_pull
    from governance_pipeline.langsmith.marts import materialize
    from governance_pipeline.pull_types import Runtime
    from governance_pipeline.sources_file import parse_sources

    q: mp.Queue = mp.Queue()
    proc = mp.Process(target=serve, args=(args.runs, args.page_size, q), daemon=True)
    proc.start()
    try:
        port = q.get(timeout=120)
        sf = parse_sources(f"""
sources:
  - id: ls_bench
    type: langsmith
    config: {{credentialRef: c, baseUrl: "http://127.0.0.1:{port}", pageSize: {args.page_size}}}
credentials:
  c: {{apiKey: {KEY}}}
""")
        adapters: list[LangSmithAdapter] = []

        class Measured(LangSmithAdapter):
            def __init__(self, *a, **kw):
                super().__init__(*a, **kw)
                adapters.append(self)

        source = dataclasses.replace(sf.source("ls_bench"), adapter_cls=Measured)
        with tempfile.TemporaryDirectory() as lake:
            rt = Runtime(credentials=lambda ref: {"apiKey": KEY}, lake_root=lake)
            started = time.perf_counter()
            out = run_pull(source, rt, None)
            wall = time.perf_counter() - started
            http = adapters[0].http
            t1 = time.perf_counter()
            mat = materialize(lake, f"{lake}/marts.duckdb", "langsmith_run")
            mat_s = time.perf_counter() - t1
        outside = wall - http.wait_seconds
        print(f"runs synced        {out.events:,} ({out.new:,} llm events, {http.requests} requests)")
        print(f"wall time          {wall:.2f} s  ->  {out.events / wall:,.0f} runs/s")
        print(f"HTTP waits         {http.wait_seconds:.2f} s")
        print(f"outside HTTP       {outside:.2f} s  ({100 * outside / wall:.0f}% of wall time)")
        print(f"langsmith_run mart {mat.rows:,} rows in {mat_s:.2f} s")
    finally:
        proc.terminate()
        proc.join(5)


if __name__ == "__main__":
    main()
