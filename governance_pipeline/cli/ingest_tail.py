"""``govpipe ingest tail [--source <id>] [-n 20] [--json] [--follow]``: the newest events in the lake.

Pulled and pushed sources alike. Newest first by event time; partitions are read newest date first and only
until ``n`` rows are found, so a large lake costs a few files. ``--follow`` then prints events from files that
appear later (polling the lake once a second).
"""

from __future__ import annotations

import argparse
import sys
import time

import orjson
import pyarrow as pa

from governance_pipeline.lake.schema import EVENT_COLUMNS
from governance_pipeline.lake.store import LakeStore


def register(sub) -> None:
    p = sub.add_parser("ingest", help="look at ingested events")
    isub = p.add_subparsers(dest="ingest_command", required=True, metavar="subcommand")
    t = isub.add_parser("tail", help="the newest normalized events, newest first")
    t.add_argument("--source", help="only this source id")
    t.add_argument("-n", type=int, default=20, help="how many events (default 20)")
    t.add_argument("--json", action="store_true", help="one JSON object per line")
    t.add_argument("--follow", action="store_true", help="keep printing new events")
    t.add_argument("--interval", type=float, default=1.0, help=argparse.SUPPRESS)
    t.set_defaults(func=run)


def _partitions(store: LakeStore, source: str | None) -> list[tuple[str, str, str]]:
    """(date, source_id, folder) of every event partition, newest date first."""
    out = []
    for sdir in store.list_dirs("events"):
        if not sdir.startswith("source_id="):
            continue
        sid = sdir.split("=", 1)[1]
        if source is not None and sid != source:
            continue
        for ddir in store.list_dirs(f"events/{sdir}"):
            if ddir.startswith("date="):
                out.append((ddir.split("=", 1)[1], sid, f"events/{sdir}/{ddir}"))
    return sorted(out, reverse=True)


def _read(store: LakeStore, files_by_source: dict[str, list[str]]) -> list[dict]:
    rows: list[dict] = []
    for sid, files in files_by_source.items():
        if files:
            table = store.read_table(files)
            table = table.add_column(0, "source_id", pa.array([sid] * table.num_rows, pa.string()))
            rows.extend(table.to_pylist())
    return rows


def _newest_first(rows: list[dict]) -> list[dict]:
    # the writer fills event_timestamp (ingest time when unknown) and ingested_at on every row
    return sorted(rows, key=lambda r: (r["event_timestamp"], r["ingested_at"], r["source_event_id"]), reverse=True)


def newest_events(lake_root: str, source: str | None = None, n: int = 20) -> list[dict]:
    """The ``n`` newest events (``source_id`` plus the lake's columns), newest first."""
    store = LakeStore(lake_root)
    parts = _partitions(store, source)
    rows: list[dict] = []
    i = 0
    while i < len(parts) and len(rows) < n:
        day = parts[i][0]
        group: dict[str, list[str]] = {}
        while i < len(parts) and parts[i][0] == day:
            group.setdefault(parts[i][1], []).extend(store.list_files(parts[i][2], ".parquet"))
            i += 1
        rows.extend(_read(store, group))
    return _newest_first(rows)[:n]


def _all_files(store: LakeStore, source: str | None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for _, sid, folder in _partitions(store, source):
        out.setdefault(sid, []).extend(store.list_files(folder, ".parquet"))
    return out


def format_row(row: dict, as_json: bool) -> str:
    if as_json:
        doc = {"source_id": row["source_id"], **{c: row.get(c) for c in EVENT_COLUMNS}}
        return orjson.dumps(doc, default=str).decode()
    ts = row["event_timestamp"].strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z" if row["event_timestamp"] else "-"
    cost = f"${row['cost_usd']:.6f}" if row.get("cost_usd") else "-"
    cells = [
        ts,
        row["source_id"],
        row.get("event_type") or "-",
        row.get("actor") or "-",
        row.get("action") or "-",
        row.get("target") or "-",
        f"in={row.get('tokens_input') or 0} out={row.get('tokens_output') or 0}",
        cost,
    ]
    return "  ".join(cells)


def run(args) -> int:
    from governance_pipeline import settings

    lake_root = settings.lake_root()
    for row in newest_events(lake_root, args.source, args.n):
        print(format_row(row, args.json))
    sys.stdout.flush()
    if not args.follow:
        return 0
    store = LakeStore(lake_root)
    seen = {f for files in _all_files(store, args.source).values() for f in files}
    while True:
        time.sleep(args.interval)
        fresh = {sid: [f for f in files if f not in seen] for sid, files in _all_files(store, args.source).items()}
        for files in fresh.values():
            seen.update(files)
        for row in _newest_first(_read(store, fresh)):
            print(format_row(row, args.json))
        sys.stdout.flush()
