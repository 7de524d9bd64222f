#!/usr/bin/env python3
"""Write synthetic OpenAI-compliance-style events as gzipped NDJSON for benchmarks.

    python gen_compliance.py --files 40 --per-file 25000 --out DIR

Layout: DIR/compliance/YYYY/MM/DD/HH/<n>.jsonl.gz. File n holds the events of the n-th slice of a
30-day window, sorted by time. Its folder is the slice's first hour, so keys sort by time.
Deterministic for a given --seed. Each event is about 600 bytes. `usage.cost` is present on about
70% of events and absent on the rest. Stdlib only; all values invented (example.com).
"""

import argparse
import gzip
import json
import random
from datetime import UTC, datetime
from pathlib import Path

MODELS = ["gpt-4o", "gpt-4o-mini", "gpt-4.1", "o3", "o4-mini", "gpt-5"]
MODEL_WEIGHTS = [30, 30, 15, 8, 10, 7]
PRICES = {
    "gpt-4o": (2.5, 10),
    "gpt-4o-mini": (0.15, 0.6),
    "gpt-4.1": (2, 8),
    "o3": (2, 8),
    "o4-mini": (1.1, 4.4),
    "gpt-5": (1.25, 10),
}  # USD per million tokens (in, out)
TYPES = [
    "conversation.message.created",
    "codex.task.completed",
    "custom_gpt.invoked",
    "conversation.message.regenerated",
]
TYPE_WEIGHTS = [85, 8, 5, 2]
SENSITIVITY = ["general", "internal", "confidential"]
FIRST = [
    "ana",
    "ben",
    "chen",
    "dana",
    "eli",
    "farah",
    "gus",
    "hana",
    "ivan",
    "jun",
    "kai",
    "lena",
    "maria",
    "noah",
    "omar",
    "priya",
    "quinn",
    "rosa",
    "sam",
    "tara",
]
LAST = [
    "lee",
    "haddad",
    "wei",
    "rossi",
    "becker",
    "pereira",
    "sato",
    "garcia",
    "smith",
    "novak",
    "kim",
    "silva",
    "brown",
    "okafor",
    "larsen",
]
WORDS = [
    "please",
    "summarise",
    "the",
    "attached",
    "report",
    "and",
    "list",
    "the",
    "key",
    "risks",
    "for",
    "next",
    "quarter",
    "draft",
    "a",
    "reply",
    "to",
    "the",
    "customer",
    "about",
    "their",
    "refund",
    "request",
    "explain",
    "how",
    "this",
    "sql",
    "query",
    "works",
    "translate",
    "the",
    "paragraph",
    "into",
    "german",
    "keep",
    "the",
    "tone",
    "formal",
    "write",
    "unit",
    "tests",
    "for",
    "the",
    "parser",
    "function",
    "compare",
    "these",
    "two",
    "contract",
    "clauses",
    "and",
    "flag",
    "differences",
    "in",
    "liability",
]
DAY = 86_400


def event(rng: random.Random, seq: int, ts: int, user: tuple[str, str]) -> dict:
    model = rng.choices(MODELS, MODEL_WEIGHTS)[0]
    tin, tout = rng.randint(20, 4000), rng.randint(5, 1500)
    usage = {"prompt_tokens": tin, "completion_tokens": tout}
    if rng.random() < 0.7:
        pin, pout = PRICES[model]
        usage["cost"] = round((tin * pin + tout * pout) / 1e6, 6)
    return {
        "id": f"evt_{rng.getrandbits(64):016x}{seq:08x}",
        "type": rng.choices(TYPES, TYPE_WEIGHTS)[0],
        "created_at": ts,
        "workspace_id": "ws_7f2e41c9",
        "conversation_id": f"conv_{rng.getrandbits(64):016x}",
        "user": {"id": user[0], "email": user[1]},
        "model": model,
        "usage": usage,
        "content_classification": {
            "pii": rng.random() < 0.03,
            "secrets": rng.random() < 0.005,
            "self_harm": rng.random() < 0.001,
            "violence": rng.random() < 0.002,
            "sensitivity": rng.choices(SENSITIVITY, [70, 25, 5])[0],
        },
        "message": {
            "id": f"msg_{rng.getrandbits(64):016x}",
            "role": "user",
            "text": " ".join(rng.choices(WORDS, k=rng.randint(6, 28))).capitalize() + ".",
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser(description="Generate gzipped NDJSON compliance events.")
    ap.add_argument("--files", type=int, default=40)
    ap.add_argument("--per-file", type=int, default=25_000)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--start", default="2026-09-01", help="first day of the 30-day window (UTC)")
    ap.add_argument("--days", type=int, default=30)
    args = ap.parse_args()

    rng = random.Random(args.seed)
    users = [
        (f"user_{rng.getrandbits(48):012x}", f"{rng.choice(FIRST)}.{rng.choice(LAST)}{i}@example.com")
        for i in range(500)
    ]
    start = int(datetime.fromisoformat(args.start).replace(tzinfo=UTC).timestamp())
    window = args.days * DAY / args.files
    seq = 0
    for n in range(args.files):
        lo = start + n * window
        times = sorted(int(lo + rng.random() * window) for _ in range(args.per_file))
        folder = args.out / "compliance" / datetime.fromtimestamp(int(lo), UTC).strftime("%Y/%m/%d/%H")
        folder.mkdir(parents=True, exist_ok=True)
        lines = []
        for ts in times:
            lines.append(json.dumps(event(rng, seq, ts, rng.choice(users)), separators=(",", ":")))
            seq += 1
        with (
            open(folder / f"{n}.jsonl.gz", "wb") as fh,
            gzip.GzipFile(fileobj=fh, mode="wb", compresslevel=6, mtime=0) as gz,
        ):
            gz.write(("\n".join(lines) + "\n").encode())
    print(f"files={args.files} events={seq} out={args.out}")


if __name__ == "__main__":
    main()
