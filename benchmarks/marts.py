#!/usr/bin/env python3
"""Benchmark: build governance_kpis and governance_ocsf_events over N generated lake events.

    python benchmarks/marts.py [--events 10000000] [--days 30] [--dir DIR] [--keep]

Steps, each in its own process so its peak RSS is its own (``os.wait4``):
1. generate the lake with one DuckDB ``COPY ... PARTITION_BY (source_id, date)`` in the lake's layout and
   column types (5 sources: OTLP spans with traces and durations, compliance logs with models and cost,
   audit logs without models; 500 actors; 8 models; about 300-byte raw payloads);
2. the baseline: DuckDB copies the same lake to one Parquet file (``COPY (SELECT * FROM read_parquet(...)))``);
   Each user works with two of the models and three of the audit projects (a user's habits, not a uniform
   draw), which keeps the KPI grain realistic: about 2 rows per 10 events at 1M, far fewer at 10M;
3. build governance_kpis (all dates) into a fresh DuckDB file;
4. build governance_ocsf_events (all dates);
5. rebuild one day of both marts (the incremental path, including the copy-and-swap of the file).
Prints a markdown table with seconds, peak RSS and the ratios to the baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GENERATE = """
import duckdb, sys
import os
lake, n, days = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(lake, exist_ok=True)
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
con.execute('''
COPY (
  WITH base AS (
    SELECT i,
           ['otel_app', 'openai_compliance', 'claude_audit', 'http_audit', 'langsmith'][1 + i % 5] AS source_id,
           -- the spans of one trace (otel_app: trace i // 8) start within milliseconds of each other
           TIMESTAMPTZ '2026-09-01 00:00:00+00' + to_microseconds(CASE WHEN i % 5 = 0
               THEN (hash(i // 8) % (86400000000 * $days - 8000)::UBIGINT)::BIGINT + i % 8 * 1000
               ELSE (hash(i) % (86400000000 * $days)::UBIGINT)::BIGINT END) AS ts,
           (hash(i * 7) % 500)::BIGINT AS u,
           ['gpt-4o', 'gpt-4o-mini', 'claude-sonnet-4-5', 'claude-haiku-4-5', 'gemini-2.5-pro', 'o3',
            'mistral-large', 'llama-3.1-70b'][(1 + (hash(i * 7) % 500 + hash(i * 13) % 2) % 8)::BIGINT] AS m,
           (hash(i * 17) % 100)::BIGINT AS r
    FROM range($n) t(i)
  )
  SELECT printf('%s-%012d', source_id, i)                                   AS source_event_id,
         ts                                                                 AS event_timestamp,
         'user' || u || '@example.com'                                      AS actor,
         CASE WHEN source_id = 'http_audit' THEN ['api_key.created', 'file.viewed', 'login.succeeded',
              'project.archived'][1 + r % 4] WHEN source_id = 'otel_app' AND r < 20 THEN 'execute_tool'
              ELSE 'chat' END                                                AS action,
         CASE WHEN source_id = 'http_audit' THEN 'project_' || ((u + r % 3) % 17) ELSE m END AS target,
         CASE WHEN source_id = 'http_audit' THEN 0.0 ELSE (r + 1) * 0.00037 END::DOUBLE AS cost_usd,
         CASE WHEN source_id = 'http_audit' THEN 0 ELSE 100 + r * 37 END::BIGINT AS tokens_input,
         CASE WHEN source_id = 'http_audit' THEN 0 ELSE 20 + r * 11 END::BIGINT  AS tokens_output,
         '{"id":"' || i || '","created_at":' || epoch(ts)::BIGINT || ',"user":{"email":"user' || u ||
           '@example.com"},"model":"' || m || '","usage":{"prompt_tokens":' || (100 + r * 37) || ',"completion_tokens":' ||
           (20 + r * 11) || '},"message":{"role":"user","text":"lorem ipsum dolor sit amet consectetur ' ||
           r || '"}}'                                                        AS raw_payload,
         CASE source_id WHEN 'otel_app' THEN 'otel_generic' WHEN 'openai_compliance' THEN 'openai_compliance'
              WHEN 'claude_audit' THEN 'claude_compliance' WHEN 'http_audit' THEN 'http_polling'
              ELSE 'langsmith' END                                           AS source_type,
         ts + INTERVAL 5 MINUTE                                              AS ingested_at,
         CASE WHEN source_id = 'http_audit' THEN 'agent.action' WHEN source_id = 'otel_app' AND r < 20
              THEN 'tool.invocation' ELSE 'api.call' END                     AS event_type,
         CASE WHEN source_id = 'http_audit' OR (source_id = 'otel_app' AND r < 20) THEN NULL ELSE m END AS model,
         CASE WHEN source_id = 'http_audit' THEN NULL WHEN m LIKE 'gpt%' OR m = 'o3' THEN 'openai'
              WHEN m LIKE 'claude%' THEN 'anthropic' ELSE 'other' END         AS provider,
         CASE WHEN source_id = 'otel_app' AND r < 20 THEN 'web_search' END   AS tool_name,
         CASE WHEN source_id = 'http_audit' THEN 'none' WHEN r % 3 = 0 THEN 'computed' ELSE 'given' END AS cost_source,
         CASE WHEN r = 7 THEN 'error' WHEN source_id IN ('otel_app', 'langsmith') THEN 'ok' END AS status,
         CASE WHEN r = 7 THEN 'rate_limited' END                            AS error_type,
         CASE WHEN source_id IN ('otel_app', 'langsmith') THEN 80.0 + r * 13.5 END::DOUBLE AS duration_ms,
         CASE WHEN r % 4 = 0 THEN 'conv_' || (i // 10) END                  AS conversation_id,
         CASE WHEN source_id = 'otel_app' THEN md5((i // 8)::VARCHAR) END   AS trace_id,
         CASE WHEN source_id = 'otel_app' THEN left(md5(i::VARCHAR), 16) END AS span_id,
         CASE WHEN source_id = 'otel_app' AND i % 8 <> 0 THEN left(md5((i - i % 8)::VARCHAR), 16) END AS parent_span_id,
         'org_1'                                                             AS organization_id,
         CAST(NULL AS VARCHAR)                                               AS flags,
         source_id,
         strftime(ts, '%Y-%m-%d')                                            AS date
  FROM base
) TO '{lake}/events' (FORMAT parquet, PARTITION_BY (source_id, date), COMPRESSION zstd)
'''.replace('$n', str(n)).replace('$days', str(days)).replace('{lake}', lake))
"""

BASELINE = """
import duckdb, json, sys, time
w, c = time.perf_counter(), time.process_time()
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
con.execute(f"COPY (SELECT * FROM read_parquet('{sys.argv[1]}/events/*/*/*.parquet', hive_partitioning = true)) "
            f"TO '{sys.argv[2]}' (FORMAT parquet)")
print(json.dumps({"inner_seconds": round(time.perf_counter() - w, 2), "inner_cpu": round(time.process_time() - c, 2)}))
"""

BUILD = """
import json, sys, time
from governance_pipeline.marts.build import build_marts
dates = json.loads(sys.argv[4])
w, c = time.perf_counter(), time.process_time()
stats = build_marts(sys.argv[1], sys.argv[2], dates, marts=tuple(sys.argv[3].split(',')))
print(json.dumps({"rows": stats.rows, "events": stats.lake_events,
                  "inner_seconds": round(time.perf_counter() - w, 2), "inner_cpu": round(time.process_time() - c, 2)}))
"""


def run_step(name: str, code: str, *args: str) -> dict:
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    out, err = proc.stdout.read().decode(), proc.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{name} failed:\n{err}")
    cpu = usage.ru_utime + usage.ru_stime
    result = {
        "step": name,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
    }
    for line in out.splitlines():
        if line.startswith("{"):
            result.update(json.loads(line))
    print(json.dumps(result), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--dir", default=None, help="work folder (default: a temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    work = Path(args.dir or tempfile.mkdtemp(prefix="marts_bench_"))
    work.mkdir(parents=True, exist_ok=True)
    lake, db = work / "lake", work / "governance.duckdb"
    for p in (lake, db, work / "copy.parquet"):
        shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
    try:
        gen = run_step("generate lake", GENERATE, str(lake), str(args.events), str(args.days))
        base = run_step("baseline: DuckDB copies the lake to Parquet", BASELINE, str(lake), str(work / "copy.parquet"))
        kpis = run_step("build governance_kpis (all dates)", BUILD, str(db), str(lake), "kpis", "null")
        ocsf = run_step("build governance_ocsf_events (all dates)", BUILD, str(db), str(lake), "ocsf", "null")
        day = run_step("rebuild one day of both marts", BUILD, str(db), str(lake), "kpis,ocsf", '["2026-09-15"]')
        lake_mb = sum(f.stat().st_size for f in lake.rglob("*.parquet")) / 2**20
        print(
            f"\nevents={args.events:,} days={args.days} lake={lake_mb:,.0f} MiB "
            f"duckdb file={db.stat().st_size / 2**20:,.0f} MiB cpus={os.cpu_count()}\n"
        )
        print(f"load average at the end: {os.getloadavg()[0]:.1f}\n")
        print(
            "Timings are taken inside each step's process (interpreter start and imports excluded); peak RSS is "
            "the whole process's.\n"
        )
        print(
            "| step | wall s | CPU s | peak RSS (MiB) | wall x baseline | CPU x baseline |\n|---|---:|---:|---:|---:|---:|"
        )
        for r in (gen, base, kpis, ocsf, day):
            wall, cpu = r.get("inner_seconds", r["seconds"]), r.get("inner_cpu", r["cpu_seconds"])
            print(
                f"| {r['step']} | {wall:.2f} | {cpu:.2f} | {r['peak_rss_mb']:,} | "
                f"{wall / base['inner_seconds']:.2f} | {cpu / base['inner_cpu']:.2f} |"
            )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
