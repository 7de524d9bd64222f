#!/usr/bin/env python3
"""In-stack physical-limit baseline: gzipped NDJSON compliance files to date-partitioned Parquet in one DuckDB COPY.

    python baseline_duckdb.py DIR OUT

Reads DIR/compliance/**/*.jsonl.gz (gzip detected by DuckDB). It extracts the lake's normalized
columns, keeps each line's JSON text as raw_payload, and writes OUT/date=YYYY-MM-DD/*.parquet.
OUT is replaced if it exists. Prints `baseline_duckdb_seconds=<s> events=<n>`.
"""

import sys
import time

import duckdb

SQL = """
COPY (
    WITH src AS (
        SELECT json AS raw,
               json_extract_string(json, ['$.id', '$.created_at', '$.user.email', '$.type', '$.model',
                                          '$.usage.cost', '$.usage.prompt_tokens', '$.usage.completion_tokens']) AS v
        FROM read_json_objects($glob, format = 'newline_delimited')
    )
    SELECT v[1]                                  AS source_event_id,
           to_timestamp(v[2]::DOUBLE)            AS event_timestamp,   -- epoch seconds -> timestamptz
           v[3]                                  AS actor,
           v[4]                                  AS action,
           v[5]                                  AS target,
           coalesce(v[6]::DOUBLE, 0)             AS cost_usd,
           coalesce(v[7]::BIGINT, 0)             AS tokens_input,
           coalesce(v[8]::BIGINT, 0)             AS tokens_output,
           raw::VARCHAR                          AS raw_payload,
           'openai_compliance'                   AS source_type,
           now()                                 AS ingested_at,
           to_timestamp(v[2]::DOUBLE)::DATE      AS date               -- UTC (session TimeZone)
    FROM src
) TO '{out}' (FORMAT parquet, PARTITION_BY (date), OVERWRITE)
"""


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: baseline_duckdb.py DIR OUT")
    src, out = sys.argv[1].rstrip("/"), sys.argv[2]
    t0 = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")  # event date = UTC date
    events = con.execute(
        SQL.format(out=out.replace("'", "''")), {"glob": f"{src}/compliance/**/*.jsonl.gz"}
    ).fetchone()[0]
    print(f"baseline_duckdb_seconds={time.perf_counter() - t0:.2f} events={events}")


if __name__ == "__main__":
    main()
