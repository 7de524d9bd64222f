"""One model call, one count: which lake events' tokens and cost the marts count (docs/marts.md, "Usage").

Every event stays in the marts; only its usage may be left out. An event *carries usage* when it has tokens or a
cost. Its ``usage_role`` is then

- ``rollup`` when it declares a kind that is not a model call (``usage_kind = 'rollup'``: a chain, agent,
  workflow, tool, an SDK's outer operation); when it declares nothing and a span below it in the same trace
  carries usage; or when it declares a model call and a span below it that does not declare a roll-up carries
  usage (a wrapper around the real call: the innermost counts);
- ``duplicate`` when it is a second description of a call another record describes: same source, service
  instance, provider, model, input and output tokens, a different describer (instrumentation scope and span or
  event name) that sorts first, and start times at most ``TWIN_WINDOW_MS`` apart;
- ``call`` otherwise: its usage counts.

The rule reads whole traces from the lake, not only the dates being built (a full build: the whole lake; a build
of some dates: those dates and the days next to them), so spans that arrive in any order, in any request or
pull, give the same totals once they are all in the lake. ``lake_events`` (what the
KPI and OCSF SQL read) is the lake with the usage of ``rollup`` and ``duplicate`` events set to 0 and a
``usage_role`` column; their own figures stay in the lake's columns and in ``raw_payload``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import duckdb

from governance_pipeline.marts.lake_scan import register_lake

TWIN_WINDOW_MS = 100
"""Two descriptions of one call start within this many milliseconds of each other (instrumentation wrapping the
same client method); two calls a second apart, even identical, are two calls."""

MAX_TRACE_DEPTH = 64

TWIN_SOURCE_TYPES = ("otel_generic",)
"""Twins are looked for among pushed OpenTelemetry records, where several instrumentations in one process can
describe the same call; a pulled audit or compliance API describes each event once."""


def has_usage(alias: str = "") -> str:
    """SQL: the event carries usage (tokens or a cost)."""
    a = f"{alias}." if alias else ""
    return f"(coalesce({a}tokens_input, 0) > 0 OR coalesce({a}tokens_output, 0) > 0 OR coalesce({a}cost_usd, 0) > 0)"


_HAS_USAGE = has_usage()
_TWIN_TYPES = ", ".join(f"'{t}'" for t in TWIN_SOURCE_TYPES)

_RAW = "json_extract_string(raw_payload, {path})"
_DESCRIBER = (
    "coalesce("
    + _RAW.format(path="'$.scope.name'")
    + ", '') || '|' || coalesce("
    + ", ".join(_RAW.format(path=p) for p in ("'$.name'", "'$.eventName'", "'$.attributes.\"event.name\"'"))
    + ", action, '')"
)
_SERVICE = (
    "coalesce("
    + ", ".join(
        _RAW.format(path=p)
        for p in ("'$.resource.attributes.\"service.instance.id\"'", "'$.resource.attributes.\"service.name\"'")
    )
    + ", '')"
)

# The records the rule can apply to, read once: every span of a trace (on the dates being built and, for a
# build of some dates, the days next to them), and records with usage that declare a kind or come from a source
# where twins are looked for (the rest always count). ``node`` / ``parent`` are 64-bit hashes of
# (source, trace, span id) and (source, trace, parent span id), so the walk up the trees joins on integers.
ROWS = f"""
CREATE OR REPLACE TEMP TABLE usage_rows AS
SELECT source_id, date, source_event_id, usage_kind, event_timestamp, provider, model, tokens_input, tokens_output,
       source_type IN ({_TWIN_TYPES}) AS twin_scope, {_HAS_USAGE} AS has_usage, /*IN_BUILD*/ AS in_build,
       CASE WHEN trace_id IS NOT NULL AND span_id IS NOT NULL THEN hash(source_id, trace_id, span_id) END AS node,
       CASE WHEN trace_id IS NOT NULL AND parent_span_id IS NOT NULL
            THEN hash(source_id, trace_id, parent_span_id) END AS parent
FROM lake_all
WHERE trace_id IS NOT NULL OR ({_HAS_USAGE} AND (usage_kind IS NOT NULL OR source_type IN ({_TWIN_TYPES})))
"""

# Per span: ``below_usage`` says a span below it carries usage, ``below_unrolled_usage`` that one which does not
# declare itself a roll-up does.
BELOW = f"""
CREATE OR REPLACE TEMP TABLE usage_below AS
WITH RECURSIVE up(node, unrolled, depth) AS (
    SELECT DISTINCT parent, usage_kind IS DISTINCT FROM 'rollup', 1
    FROM usage_rows WHERE has_usage AND parent IS NOT NULL
    UNION ALL
    SELECT r.parent, up.unrolled, up.depth + 1
    FROM up JOIN usage_rows r ON r.node = up.node
    WHERE r.parent IS NOT NULL AND up.depth < {MAX_TRACE_DEPTH}
)
SELECT node, true AS below_usage, bool_or(unrolled) AS below_unrolled_usage FROM up GROUP BY node
"""

# Roll-ups: declared, or with usage below them (a declared call only when usage below is not a declared roll-up).
ROLLED = """
CREATE OR REPLACE TEMP TABLE usage_rolled AS
SELECT c.source_id, c.date, c.source_event_id
FROM usage_rows c LEFT JOIN usage_below b USING (node)
WHERE c.in_build AND c.has_usage
  AND (c.usage_kind IS NOT DISTINCT FROM 'rollup'
       OR CASE WHEN c.usage_kind = 'call' THEN coalesce(b.below_unrolled_usage, false)
               ELSE coalesce(b.below_usage, false) END)
"""

# Twins among the remaining calls: first the calls with a same-usage neighbour in time (one sort), then only
# for those the describer and service instance from the raw record, then the pairs.
TWINS = f"""
CREATE OR REPLACE TEMP TABLE usage_twins AS
WITH calls AS (
    SELECT c.source_id, c.date, c.source_event_id, c.provider, c.model, c.tokens_input, c.tokens_output,
           epoch_us(c.event_timestamp) AS t_us, hash(c.source_id, c.provider, c.model, c.tokens_input, c.tokens_output)
           AS usage_key
    FROM usage_rows c ANTI JOIN usage_rolled r USING (source_id, date, source_event_id)
    WHERE c.in_build AND c.has_usage AND c.twin_scope AND c.model IS NOT NULL
), near AS (
    SELECT * FROM (
        SELECT *, t_us - lag(t_us) OVER w AS after_prev, lead(t_us) OVER w - t_us AS before_next
        FROM calls WINDOW w AS (PARTITION BY usage_key ORDER BY t_us))
    WHERE after_prev <= {TWIN_WINDOW_MS * 1000} OR before_next <= {TWIN_WINDOW_MS * 1000}
), described AS (
    SELECT n.*, {_DESCRIBER} AS describer, {_SERVICE} AS service
    FROM near n JOIN lake_raw l USING (source_id, date, source_event_id)
)
SELECT DISTINCT d.source_id, d.date, d.source_event_id
FROM described d JOIN described p
  ON p.source_id = d.source_id AND p.provider IS NOT DISTINCT FROM d.provider AND p.model = d.model
 AND p.tokens_input = d.tokens_input AND p.tokens_output = d.tokens_output AND p.service = d.service
 AND p.describer < d.describer AND abs(p.t_us - d.t_us) <= {TWIN_WINDOW_MS * 1000}
"""

# The events whose usage does not count, and why.
EXCLUDED = """
CREATE OR REPLACE TEMP TABLE usage_excluded AS
SELECT source_id, date, source_event_id, 'rollup' AS usage_role FROM usage_rolled
UNION ALL
SELECT source_id, date, source_event_id, 'duplicate' FROM usage_twins
"""


def _usage_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The usage measures of the lake: ``cost_usd`` and every ``tokens_*`` column it has."""
    names = [r[0] for r in con.execute("DESCRIBE lake_raw").fetchall()]
    return [n for n in names if n == "cost_usd" or n.startswith("tokens_")]


def _with_neighbours(dates: Iterable[str]) -> list[str]:
    days = {date.fromisoformat(d) for d in dates}
    return sorted({(d + timedelta(days=k)).isoformat() for d in days for k in (-1, 0, 1)})


def trace_dates(con: duckdb.DuckDBPyConnection, lake_root: str, dates: Iterable[str]) -> list[str]:
    """``dates`` plus the day before or after one of them that holds a span of a trace on it.

    A span that arrives late can change whether a span of its trace on another date counts (a trace across
    midnight); rebuilding that date too keeps its totals right whatever the arrival order. Only the adjacent
    days are looked at, which bounds an incremental build to three times its dates.
    """
    wanted = sorted({str(d) for d in dates})
    if not wanted:
        return wanted
    register_lake(con, lake_root, _with_neighbours(wanted), name="lake_trace_dates")
    in_dates = ", ".join(f"DATE '{d}'" for d in wanted)
    rows = con.execute(f"""
        SELECT DISTINCT strftime(a.date, '%Y-%m-%d') FROM lake_trace_dates a
        SEMI JOIN (SELECT DISTINCT source_id, trace_id FROM lake_trace_dates
                   WHERE date IN ({in_dates}) AND trace_id IS NOT NULL) t USING (source_id, trace_id)""").fetchall()
    con.execute("DROP VIEW lake_trace_dates")
    return sorted(set(wanted) | {r[0] for r in rows})


def register_counted_lake(
    con: duckdb.DuckDBPyConnection, lake_root: str, dates: Iterable[str] | None = None, name: str = "lake_events"
) -> int:
    """Register ``name``: the lake's events of ``dates`` (None: all) with usage counted once per model call.

    Also leaves the temporary table ``usage_excluded`` (source_id, date, source_event_id, usage_role) of the
    events whose usage is not counted. Returns the number of lake files of those dates.
    """
    dates = None if dates is None else sorted({str(d) for d in dates})
    files = register_lake(con, lake_root, dates, name="lake_raw")
    if dates is None:
        con.execute("CREATE OR REPLACE TEMP VIEW lake_all AS SELECT * FROM lake_raw")
    else:  # the spans of their traces on these dates and the days next to them (see ``trace_dates``)
        register_lake(con, lake_root, _with_neighbours(dates), name="lake_all")
    in_build = (
        "true" if dates is None else "date IN (" + ", ".join(f"DATE '{d}'" for d in dates) + ")" if dates else "false"
    )
    for sql in (ROWS.replace("/*IN_BUILD*/", in_build), BELOW, ROLLED, TWINS, EXCLUDED):
        con.execute(sql)
    con.execute("DROP TABLE usage_rows; DROP TABLE usage_below; DROP TABLE usage_rolled; DROP TABLE usage_twins")
    zeroed = ", ".join(f"CASE WHEN x.usage_role IS NULL THEN l.{c} ELSE 0 END AS {c}" for c in _usage_columns(con))
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW {name} AS
        SELECT l.* REPLACE ({zeroed}),
               coalesce(x.usage_role, CASE WHEN {has_usage("l")} THEN 'call' END) AS usage_role
        FROM lake_raw l LEFT JOIN usage_excluded x USING (source_id, date, source_event_id)""")
    return files
