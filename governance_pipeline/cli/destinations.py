"""``govpipe destinations list|check [<id>]``: the export destinations, and a live write/delete test of each."""

from __future__ import annotations

import json
import sys


def register(sub) -> None:
    p = sub.add_parser("destinations", help="list export destinations, check that they are writable")
    dsub = p.add_subparsers(dest="destinations_command", required=True, metavar="subcommand")
    lp = dsub.add_parser("list", help="id, format, compression, location (never a secret)")
    lp.add_argument("--json", action="store_true", help="one JSON array")
    lp.set_defaults(func=run_list)
    cp = dsub.add_parser("check", help="write, list and delete a test object under the destination's prefix")
    cp.add_argument("destination_id", nargs="?", help="default: every destination")
    cp.set_defaults(func=run_check)


def _destinations(ids: list[str] | None = None):
    from governance_pipeline.cli import CommandError
    from governance_pipeline.sources_file import load_sources

    sources_file = load_sources()
    dests = {d.id: d for d in sources_file.destinations}
    for i in ids or []:
        if i not in dests:
            known = ", ".join(dests) or "none"
            raise CommandError(f"{sources_file.path}: no destination '{i}' (known: {known})", code=2)
    return sources_file, [dests[i] for i in ids] if ids else list(dests.values())


def run_list(args) -> int:
    _, dests = _destinations()
    rows = [
        {
            "id": d.id,
            "format": d.format,
            "compression": d.compression,
            "bucket": d.bucket,
            "prefix": d.prefix,
            "region": d.region,
            "endpointUrl": d.endpointUrl,
            "credentialRef": d.credentialRef,
        }
        for d in dests
    ]
    if args.json:
        print(json.dumps(rows))
        return 0
    for r in rows:
        where = f"s3://{r['bucket']}/{r['prefix']}".rstrip("/")
        print(f"{r['id']}  {r['format']}  {r['compression']}  {where}  {r['endpointUrl'] or 'AWS'}")
    return 0


def run_check(args) -> int:
    from governance_pipeline.cli import CommandError
    from governance_pipeline.export.check import check_destination

    sources_file, dests = _destinations([args.destination_id] if args.destination_id else None)
    if not dests:
        raise CommandError(f"{sources_file.path}: no destinations declared", code=2)
    results = [check_destination(d, sources_file.credentials) for d in dests]
    for r in results:
        if r.ok:
            print(r.line())
    failed = [r for r in results if not r.ok]
    if len(failed) == 1 and len(results) == 1:
        raise CommandError(f"destination {failed[0].line()}")
    for r in failed:
        print(f"govpipe: destination {r.line()}", file=sys.stderr)
    return 1 if failed else 0
