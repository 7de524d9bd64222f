"""Benchmark: http_polling pulling 200,000 events in pages of 500 from a local server, against a baseline that
downloads the same pages and ``json.loads`` them.

The server runs in its own process and serves pre-rendered page bodies, so it is not the bottleneck. Both
runs use one keep-alive connection. Reported: wall time, events/s, the share of the pull spent outside the
HTTP wait, and the pull/baseline time ratio (goal: at most 1.5x).

    .venv/bin/python benchmarks/http_polling.py [--events 200000] [--page-size 500] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import json
import multiprocessing as mp
import pstats
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import orjson
import requests
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from governance_pipeline.adapters.http_polling import HttpPollingAdapter
from governance_pipeline.config.credentials import resolve_credentials
from governance_pipeline.ingest import run_pull
from governance_pipeline.pull_types import Runtime
from governance_pipeline.sources_file import parse_sources

MODELS = ["gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5", None]
ACTIONS = ["completion", "embedding", "audit.update"]


def render_pages(n_events: int, page_size: int) -> list[bytes]:
    start = datetime(2026, 10, 1, tzinfo=UTC)
    pages = []
    n_pages = (n_events + page_size - 1) // page_size
    for p in range(n_pages):
        events = []
        for i in range(p * page_size, min((p + 1) * page_size, n_events)):
            model = MODELS[i % 4]
            ev = {
                "id": f"evt_{i:010d}",
                "created_at": (start + timedelta(seconds=i * 3)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                "event_type": ACTIONS[i % 3],
                "user": {"id": f"u_{i % 997}", "email": f"user{i % 997}@example.com"},
                "workspace": {"id": "ws_acme_main", "name": "Acme main"},
                "model": model,
                "usage": {
                    "input_tokens": 100 + i % 5000,
                    "output_tokens": 20 + i % 700,
                    "cost": round((i % 1000) * 1e-5, 6),
                }
                if model
                else None,
                "request": {"ip": "203.0.113.10", "user_agent": "acme-sdk/3.2.1 python/3.12"},
            }
            events.append(ev)
        nxt = f"p{p + 1}" if p + 1 < n_pages else None
        pages.append(orjson.dumps({"events": events, "next_cursor": nxt, "has_more": nxt is not None}))
    return pages


def _serve(pages: list[bytes], port_q) -> None:
    warm = orjson.loads(pages[0])
    warm.update(next_cursor=None, has_more=False)
    warm_body = orjson.dumps(warm)

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            q = parse_qs(urlparse(self.path).query)
            cursor = q.get("cursor", ["p0"])[0]
            body = warm_body if self.path.startswith("/warm") else pages[int(cursor[1:])]
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), H)
    port_q.put(server.server_address[1])
    server.serve_forever()


def baseline(url: str) -> tuple[float, int]:
    started = time.perf_counter()
    n = 0
    with requests.Session() as s:
        cursor = None
        while True:
            doc = json.loads(s.get(url, params={"cursor": cursor} if cursor else None).content)
            n += len(doc["events"])
            cursor = doc["next_cursor"]
            if not cursor:
                break
    return time.perf_counter() - started, n


class Recording(HttpPollingAdapter):
    last = None

    def stream(self, cursor, window):
        Recording.last = self
        yield from super().stream(cursor, window)


def pull(url: str, lake: str, profile: bool) -> tuple[float, object, float]:
    doc = {
        "sources": [
            {
                "id": "bench",
                "type": "http_polling",
                "config": {
                    "url": url,
                    "authMode": "none",
                    "cursorJsonPath": "$.next_cursor",
                    "eventsJsonPath": "$.events",
                    "hasMoreJsonPath": "$.has_more",
                    "eventMapping": {
                        "source_event_id": "$.id",
                        "event_timestamp": "$.created_at",
                        "actor": "$.user.email",
                        "action": "$.event_type",
                        "target": "$.model",
                        "cost_usd": "$.usage.cost",
                        "tokens_input": "$.usage.input_tokens",
                        "tokens_output": "$.usage.output_tokens",
                    },
                },
            }
        ]
    }
    sf = parse_sources(yaml.safe_dump(doc))
    source = dataclasses.replace(sf.sources[0], adapter_cls=Recording)
    runtime = Runtime(credentials=lambda ref: resolve_credentials(sf.credentials, ref), lake_root=lake)
    prof = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if prof:
        prof.enable()
    outcome = run_pull(source, runtime, None)
    if prof:
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(18)
    return time.perf_counter() - started, outcome, Recording.last.client.wait_seconds


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--page-size", type=int, default=500)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--repeat", type=int, default=2, help="alternate baseline and pull this many times; best of each")
    args = ap.parse_args()
    pages = render_pages(args.events, args.page_size)
    q = mp.Queue()
    proc = mp.Process(target=_serve, args=(pages, q), daemon=True)
    proc.start()
    try:
        url = f"http://127.0.0.1:{q.get(timeout=30)}/audit"
        baseline(url)  # warm-up: connections, page cache
        with tempfile.TemporaryDirectory() as lake:  # warm-up: one-time imports (pyarrow pulls in pandas lazily)
            pull(url.replace("/audit", "/warm"), lake, False)
        runs = []
        for _ in range(args.repeat):
            base_s, n = baseline(url)
            with tempfile.TemporaryDirectory() as lake:
                pull_s, outcome, wait_s = pull(url, lake, args.profile)
            assert outcome.new == n == args.events, (outcome.new, n)
            runs.append((base_s, pull_s, wait_s, outcome))
        ratios = sorted(r[1] / r[0] for r in runs)
        base_s = min(r[0] for r in runs)
        _, pull_s, wait_s, outcome = min(runs, key=lambda r: r[1])
        print(
            f"events={n} pages={len(pages)} page_size={args.page_size} body_mb={sum(map(len, pages)) / 1e6:.1f} repeats={args.repeat}"
        )
        for i, (b, p, w, _) in enumerate(runs, 1):
            print(f"  run {i}: baseline {b:.2f} s, pull {p:.2f} s (HTTP wait {w:.2f} s), ratio {p / b:.2f}x")
        print(f"baseline (download + json.loads), best: {base_s:.2f} s  {n / base_s:,.0f} events/s")
        print(f"http_polling pull into the lake, best: {pull_s:.2f} s  {n / pull_s:,.0f} events/s")
        print(
            f"  HTTP wait {wait_s:.2f} s; outside the HTTP wait {pull_s - wait_s:.2f} s ({(pull_s - wait_s) / pull_s:.0%} of the pull)"
        )
        print(
            f"ratio pull / baseline: median of paired runs {ratios[len(ratios) // 2]:.2f}x, best/best {pull_s / base_s:.2f}x (goal <= 1.5x)"
        )
    finally:
        proc.terminate()
        proc.join()


if __name__ == "__main__":
    main()
