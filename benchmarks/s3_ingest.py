#!/usr/bin/env python3
"""Benchmark: OpenAI-compliance drops (gzipped NDJSON) from an S3 API on loopback into the lake.

    python benchmarks/s3_ingest.py [--data DIR] [--files 40] [--per-file 25000] [--runs 1]

1. Generates the files with benchmarks/gen_compliance.py (unless DIR already holds them).
2. Starts a moto S3/STS server on loopback and uploads them under ``compliance/`` (not timed).
3. Times, each in its own process with its peak RSS:
   - ``baseline``: benchmarks/baseline_duckdb.py over the same local files (the physical floor);
   - ``ingest``: ``ingest.run_pull`` of an ``openai_compliance`` source (role assumed via STS) into a fresh lake;
   - ``govpipe pull``: the CLI end to end (Python start-up, Dagster job, state commit) into another fresh lake,
     against a ``DAGSTER_HOME`` whose instance exists (the usual case), then against an empty one (a first pull
     also creates the instance's SQLite databases).
Prints one line per step and the ratios to the baseline. Needs the dev extras (moto[server]).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
BENCH = REPO / "benchmarks"
ROLE = "arn:aws:iam::123456789012:role/compliance-reader"

INGEST_CHILD = """
import os, sys, time, resource
t0 = time.perf_counter()
from governance_pipeline.sources_file import load_sources
from governance_pipeline.pull_types import Runtime
from governance_pipeline.config.credentials import resolve_credentials
from governance_pipeline.ingest import run_pull
sf = load_sources(os.environ["GOVERNANCE_SOURCES"])
src = sf.source("bench")
t1 = time.perf_counter()
out = run_pull(src, Runtime(credentials=lambda r: resolve_credentials(sf.credentials, r), lake_root=os.environ["GOVERNANCE_LAKE"]), None)
t2 = time.perf_counter()
print(f"ingest_seconds={t2 - t1:.2f} events={out.events} new={out.new} errors={out.errors} files={out.files} unpriced={dict(out.unpriced_models)}")
"""


def timed(cmd: list[str], env: dict) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB, this child alone via wait4) and stdout of one child process."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd[:3])} failed ({proc.returncode}): {err.read()[-2000:]}")
        return wall, usage.ru_maxrss / 1024, out.read().strip()


def sources_yaml(url: str, bucket: str) -> str:
    cfg = {"bucket": bucket, "roleArn": ROLE, "region": "us-east-1", "endpointUrl": url, "credentialRef": "bench"}
    return (
        "credentials:\n  bench:\n    accessKeyId: {env: BENCH_KEY}\n    secretAccessKey: {env: BENCH_SECRET}\n"
        "sources:\n  - "
        + json.dumps({"id": "bench", "type": "openai_compliance", "startDate": "2026-09-01", "config": cfg})
        + "\n"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "govpipe_s3_bench")
    ap.add_argument("--files", type=int, default=40)
    ap.add_argument("--per-file", type=int, default=25_000)
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()

    import boto3

    from tests.support.moto import moto_server

    if not (args.data / "compliance").is_dir():
        subprocess.run(
            [
                sys.executable,
                str(BENCH / "gen_compliance.py"),
                "--files",
                str(args.files),
                "--per-file",
                str(args.per_file),
                "--out",
                str(args.data),
            ],
            check=True,
        )
    files = sorted((args.data / "compliance").rglob("*.jsonl.gz"))
    work = Path(tempfile.mkdtemp(prefix="govpipe_s3_bench_"))
    with moto_server() as url:
        s3 = boto3.client(
            "s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
        )
        s3.create_bucket(Bucket="compliance-drops")
        for f in files:
            s3.upload_file(str(f), "compliance-drops", f.relative_to(args.data).as_posix())
        print(f"uploaded {len(files)} objects, {sum(f.stat().st_size for f in files) / 1e6:.1f} MB gzipped")
        (work / "sources.yaml").write_text(sources_yaml(url, "compliance-drops"))
        base_env = dict(os.environ, BENCH_KEY="k", BENCH_SECRET="s", GOVERNANCE_SOURCES=str(work / "sources.yaml"))
        ratios: dict[str, list[float]] = {"ingest": [], "pull": [], "pull_new_home": []}
        for run in range(args.runs):
            b_wall, b_rss, b_out = timed(
                [sys.executable, str(BENCH / "baseline_duckdb.py"), str(args.data), str(work / f"baseline{run}")],
                base_env,
            )
            baseline = float(b_out.split("baseline_duckdb_seconds=")[1].split()[0])
            print(f"baseline: {b_out} wall={b_wall:.2f}s peak_rss={b_rss:.0f}MiB")

            env = dict(base_env, GOVERNANCE_LAKE=str(work / f"lake_ingest{run}"))
            i_wall, i_rss, i_out = timed([sys.executable, "-c", INGEST_CHILD], env)
            ingest = float(i_out.split("ingest_seconds=")[1].split()[0])
            print(f"ingest:   {i_out} wall={i_wall:.2f}s peak_rss={i_rss:.0f}MiB")

            walls = {}
            for home_kind in ("existing", "new"):
                home = work / f"dagster_home_{home_kind}{run}"
                home.mkdir()
                (home / "dagster.yaml").write_text((REPO / "dagster.yaml").read_text())
                env = dict(base_env, GOVERNANCE_LAKE=str(work / f"lake_cli_{home_kind}{run}"), DAGSTER_HOME=str(home))
                if home_kind == "existing":  # the instance's databases already made, as after any earlier use
                    subprocess.run(
                        [sys.executable, "-c", "import dagster; dagster.DagsterInstance.get()"], env=env, check=True
                    )
                walls[home_kind], c_rss, c_out = timed(
                    [str(Path(sys.executable).parent / "govpipe"), "pull", "bench"], env
                )
                print(
                    f"govpipe pull ({home_kind} DAGSTER_HOME): {c_out} wall={walls[home_kind]:.2f}s peak_rss={c_rss:.0f}MiB"
                )
            print(
                f"ratios: ingest/baseline={ingest / baseline:.2f} govpipe_pull/baseline={walls['existing'] / baseline:.2f}"
                f" (new DAGSTER_HOME: {walls['new'] / baseline:.2f})"
            )
            for key, value in (("ingest", ingest), ("pull", walls["existing"]), ("pull_new_home", walls["new"])):
                ratios[key].append(value / baseline)
        if args.runs > 1:
            print(
                f"median ratios over {args.runs} runs: "
                + " ".join(f"{key}/baseline={statistics.median(values):.2f}" for key, values in ratios.items())
            )


if __name__ == "__main__":
    main()
