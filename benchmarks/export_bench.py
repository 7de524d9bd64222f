"""Export throughput: a one-day lake of N events exported to a moto S3 server, per format and compression.

    .venv/bin/python benchmarks/export_bench.py [N]

Reports rows/s and bytes per row for ``events`` (zstd, gzip, none) and ``ocsf``/``security_lake`` (zstd). Moto
runs on loopback, so this measures our side (read, encode, upload) rather than a network.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pyarrow as pa

from governance_pipeline.export.run import export_day
from governance_pipeline.lake.store import LakeStore
from governance_pipeline.lake.writer import LakeWriter
from governance_pipeline.marts.build import build_marts
from governance_pipeline.sources_file import parse_sources
from tests.export.helpers import make_bucket
from tests.support.moto import moto_server

DAY = date(2026, 10, 1)


def make_lake(root: str, n: int) -> None:
    t0 = datetime(2026, 10, 1, tzinfo=UTC)
    writer = LakeWriter(LakeStore(root), "bench", "local_ndjson")
    step = 50_000
    for start in range(0, n, step):
        ids = range(start, min(n, start + step))
        writer.write(
            pa.table(
                {
                    "source_event_id": [f"evt-{i:09d}" for i in ids],
                    "event_timestamp": pa.array(
                        [t0 + timedelta(milliseconds=i * 80) for i in ids], pa.timestamp("us", "UTC")
                    ),
                    "actor": [f"user{i % 500}@example.com" for i in ids],
                    "action": ["chat.completion" if i % 3 else "file.viewed" for i in ids],
                    "target": ["gpt-4o" if i % 2 else "claude-sonnet-4-5" for i in ids],
                    "model": ["gpt-4o" if i % 2 else "claude-sonnet-4-5" for i in ids],
                    "tokens_input": [100 + i % 900 for i in ids],
                    "tokens_output": [10 + i % 300 for i in ids],
                    "cost_usd": [0.0001 * (i % 50) for i in ids],
                    "raw_payload": [f'{{"id":"evt-{i:09d}","note":"benchmark row"}}' for i in ids],
                }
            )
        )
    writer.commit()


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, moto_server() as url:
        lake, db = f"{tmp}/lake", Path(tmp) / "g.duckdb"
        t = time.perf_counter()
        make_lake(lake, n)
        build_marts(db, lake, [str(DAY)])
        print(f"{n} events; lake + marts built in {time.perf_counter() - t:.1f} s")
        make_bucket(url, "bench-exports")
        cases = [
            ("events", "zstd"),
            ("events", "gzip"),
            ("events", "none"),
            ("ocsf", "zstd"),
            ("security_lake", "zstd"),
        ]
        for fmt, codec in cases:
            entry = {
                "id": f"b_{fmt}_{codec}",
                "bucket": "bench-exports",
                "prefix": f"{fmt}-{codec}",
                "endpointUrl": url,
                "format": fmt,
                "compression": codec,
                "region": "eu-west-1",
            }
            if fmt == "security_lake":
                entry.update(accountId="123456789012", sourceName="bench")
            dest = parse_sources(__import__("json").dumps({"sources": [], "destinations": [entry]})).destinations[0]
            t = time.perf_counter()
            r = export_day(dest, DAY, credentials={}, lake_root=lake, duckdb_path=db)
            s = time.perf_counter() - t
            print(
                f"{fmt:14s} {codec:5s} rows={r.rows} files={r.files} {s:6.2f} s  {r.rows / s:9.0f} rows/s  "
                f"{r.bytes / max(r.rows, 1):6.1f} B/row"
            )


if __name__ == "__main__":
    import os

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
