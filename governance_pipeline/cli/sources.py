"""``govpipe sources list [--json]``: id, type, status, last event time, cursor; never a secret.

``last_run`` (``success``, ``failed``, ``died``) and ``last_error`` say how the latest pull ended; ``died`` means
its worker was killed mid-run (see defs/dead_runs.py), shown even before the next pull heals the run.
"""

from __future__ import annotations

import json

from governance_pipeline.sources_file import load_sources


def register(sub) -> None:
    p = sub.add_parser("sources", help="list sources, make secrets")
    ssub = p.add_subparsers(dest="sources_command", required=True, metavar="subcommand")
    lp = ssub.add_parser("list", help="id, type, status, last event time, cursor")
    lp.add_argument("--json", action="store_true", help="one JSON array")
    lp.set_defaults(func=run_list)
    from governance_pipeline.cli.sources_secret import secret_command

    sp = ssub.add_parser("secret", help="print a new bearer secret once, with its secretSha256")
    sp.set_defaults(func=secret_command)


def source_rows() -> list[dict]:
    from governance_pipeline import settings
    from governance_pipeline.cli.instance import get_instance
    from governance_pipeline.defs.dead_runs import find_dead_runs
    from governance_pipeline.defs.freshness import freshness_fields
    from governance_pipeline.defs.state import load_state

    sources_file = load_sources()
    instance = get_instance()
    rows = []
    for source in sources_file.sources:
        st = load_state(instance, source.id)
        status = st.get("status")
        if status not in ("error", "active"):
            status = (
                "active"
                if st.get("last_event_at") or source.adapter_cls.has_landed_data(settings.lake_root(), source.id)
                else "awaiting_first_event"
            )
        last_run, last_error = st.get("last_run"), st.get("last_error")
        dead = find_dead_runs(instance, source.id)  # killed, not yet healed: the next pull heals it
        if dead:
            last_run, last_error = "died", f"run {dead[0].run_id}: {dead[0].reason}; the next pull heals it"
        rows.append(
            {
                "id": source.id,
                "type": source.type,
                "status": status,
                "last_event_at": st.get("last_event_at"),
                "cursor": st.get("cursor"),
                **freshness_fields(instance, source),
                "last_run": last_run,
                "last_error": last_error,
            }
        )
    return rows


def run_list(args) -> int:
    rows = source_rows()
    if args.json:
        print(json.dumps(rows))
        return 0
    headers = ["id", "type", "status", "last_event_at", "cursor", "fresh", "last_run"]
    table = [[str(r[h] if r[h] is not None else "-") for h in headers] for r in rows]
    for row in table:
        row[5] = {"True": "yes", "False": "STALE"}.get(row[5], row[5])
    for row in table:
        if len(row[4]) > 48:
            row[4] = row[4][:45] + "..."
    widths = [max(len(h), *(len(r[i]) for r in table)) if table else len(h) for i, h in enumerate(headers)]
    print("  ".join(h.upper().ljust(w) for h, w in zip(headers, widths)))
    for row in table:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)))
    return 0
