"""Valid OTLP exports while the receiver is under attack, beside the same load on a quiet receiver.

    .venv/bin/python benchmarks/receiver_attack.py [--seconds 15] [--clients 4] [--slow 500] [--dir data/bench_attack]

Each run starts ``govpipe serve``'s app in its own process (default limits) on loopback and sends protobuf
exports of ``--spans`` spans from ``--clients`` asyncio clients, each request on a NEW connection (the case a
full connection table would refuse). In the attack run a separate process keeps ``--slow`` connections that
send a request head a byte at a time and never finish it (reopening any the server closes), plus one sender
streaming an endless header (reopened after each 431). Reported: requests, failures, p50/p99 latency, the
server's peak RSS, and that every acknowledged span reached the lake. Loopback only; every loop ends with
``--seconds``.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from otlp_receiver import SECRET, Patcher, lake_count, pct, template

PATH = "/api/ingest/otel/bench"


def serve(port: int, workdir: str) -> None:
    import uvicorn

    from governance_pipeline.receiver.server import build_app, uvicorn_config

    uvicorn.Server(uvicorn_config(build_app(f"{workdir}/sources.yaml", f"{workdir}/lake"), "127.0.0.1", port)).run()


def start(args_: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, __file__, *args_])


def wait_port(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not start")


# -- attackers (own process) -----------------------------------------------------------------------------------
async def slow_conn(port: int, until: float, stats: dict) -> None:
    while time.monotonic() < until:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            stats["opened"] += 1
            writer.write(b"POST /api/ingest/otel/bench HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            while time.monotonic() < until and not writer.is_closing():
                await asyncio.sleep(2)
                writer.write(b"X")  # one more byte of a header that never ends
                await writer.drain()
        except OSError:
            stats["closed_by_server"] += 1
            await asyncio.sleep(0.1)


async def big_header(port: int, until: float, stats: dict) -> None:
    block = b"a" * 65536
    while time.monotonic() < until:
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"POST /api/ingest/otel/bench HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ")
            for _ in range(4096):  # up to 256 MiB per connection
                if time.monotonic() >= until:
                    break
                writer.write(block)
                await writer.drain()
                stats["header_bytes"] += len(block)
            writer.close()
        except OSError:
            stats["big_refused"] += 1
            await asyncio.sleep(0.05)


async def attack(port: int, slow: int, seconds: float) -> dict:
    until = time.monotonic() + seconds
    stats = {"opened": 0, "closed_by_server": 0, "header_bytes": 0, "big_refused": 0}
    await asyncio.gather(*(slow_conn(port, until, stats) for _ in range(slow)), big_header(port, until, stats))
    return stats


# -- valid clients -----------------------------------------------------------------------------------------------
async def exporter(cid: int, port: int, patcher: Patcher, spans: int, until: float, out: dict) -> None:
    head = (
        f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {SECRET}\r\n"
        "Content-Type: application/x-protobuf\r\nConnection: close\r\n"
    )
    seq = 0
    while time.perf_counter() < until:
        seq += 1
        body = patcher.make((cid << 24) | seq)
        started = time.perf_counter()
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 30)
            writer.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
            status = await asyncio.wait_for(reader.readline(), 30)
            await reader.read()
            writer.close()
        except (OSError, TimeoutError):
            out["errors"] += 1
            continue
        out["latencies"].append(time.perf_counter() - started)
        if status.split()[1:2] == [b"200"]:
            out["acked"] += spans
        else:
            out["errors"] += 1


async def load(port: int, patcher: Patcher, spans: int, clients: int, seconds: float) -> dict:
    out: dict = {"latencies": [], "acked": 0, "errors": 0}
    until = time.perf_counter() + seconds
    started = time.perf_counter()
    await asyncio.gather(*(exporter(c + 1, port, patcher, spans, until, out) for c in range(clients)))
    out["elapsed"] = time.perf_counter() - started
    return out


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run(name: str, args) -> dict:
    workdir = f"{args.dir}/{name}"
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    from governance_pipeline.receiver.auth import secret_sha256

    Path(f"{workdir}/sources.yaml").write_text(
        f'sources:\n  - id: bench\n    type: otel_generic\n    config:\n      secretSha256: "{secret_sha256(SECRET)}"\n'
    )
    req = template(args.spans)
    patcher = Patcher(req.SerializeToString(), args.spans, as_hex=False)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = start(["--serve", "--port", str(port), "--dir", workdir])
    attacker = None
    try:
        wait_port(port)
        if name == "attack":
            attacker = start(
                ["--attack", "--port", str(port), "--slow", str(args.slow), "--seconds", str(args.seconds + 5)]
            )
            time.sleep(3)  # let the slow connections pile up first
        res = asyncio.run(load(port, patcher, args.spans, args.clients, args.seconds))
        rss = peak_rss_mib(server.pid)
    finally:
        if attacker is not None:
            attacker.wait(timeout=120)
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=120)
    stored, _ = lake_count(workdir)
    return {
        "name": name,
        "requests": len(res["latencies"]),
        "errors": res["errors"],
        "spans_per_s": res["acked"] / res["elapsed"],
        "p50_ms": pct(res["latencies"], 0.5),
        "p99_ms": pct(res["latencies"], 0.99),
        "max_ms": max(res["latencies"], default=float("nan")) * 1000,
        "rss_mib": rss,
        "acked": res["acked"],
        "stored": stored,
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=15)
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--spans", type=int, default=100)
    p.add_argument("--slow", type=int, default=500)
    p.add_argument("--dir", default="data/bench_attack")
    p.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--attack", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.serve:
        serve(args.port, args.dir)
        return 0
    if args.attack:
        stats = asyncio.run(attack(args.port, args.slow, args.seconds))
        print(
            f"attacker: {stats['opened']} slow connections opened, {stats['closed_by_server']} closed by the server, "
            f"{stats['header_bytes'] / (1 << 20):.0f} MiB of oversized header sent",
            flush=True,
        )
        return 0
    args.dir = str(Path(args.dir).resolve())
    print(
        f"{args.clients} exporters (new connection per request), {args.spans} spans per request, "
        f"{args.seconds:g} s per run, attack: {args.slow} slow connections + 1 endless header, {os.cpu_count()} cores"
    )
    print(
        f"{'run':<7} {'requests':>8} {'errors':>6} {'spans/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'peak RSS MiB':>12} {'lost':>5}"
    )
    bad = False
    for name in ("quiet", "attack"):
        r = run(name, args)
        lost = r["acked"] - r["stored"]
        print(
            f"{r['name']:<7} {r['requests']:>8} {r['errors']:>6} {r['spans_per_s']:>8.0f} {r['p50_ms']:>7.1f} "
            f"{r['p99_ms']:>7.1f} {r['max_ms']:>7.1f} {r['rss_mib']:>12.0f} {lost:>5}",
            flush=True,
        )
        bad |= bool(lost or r["errors"] or r["p99_ms"] >= 1000)
    print("valid exports held (p99 < 1 s, no errors, nothing lost)" if not bad else "FAILED: see the table")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
