"""The marts over real lakes: sums equal the lake's, OCSF rows pass the schema validator, days rebuild alone."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import orjson
import pyarrow as pa
import pytest

from governance_pipeline.marts.build import build_marts
from governance_pipeline.marts.usage import register_counted_lake
from tests.marts.lakes import DAY0, lake_totals, ndjson_records, pull_ndjson, span_rows, write_rows
from tests.support.ocsf_validator import validate


@pytest.fixture
def lake(tmp_path) -> str:
    root = str(tmp_path / "lake")
    outcome = pull_ndjson(root, tmp_path / "inbox", ndjson_records())
    assert outcome.new == 18
    write_rows(root, span_rows())
    return root


def ro(db) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(db), read_only=True)


def ocsf_events(db, where: str = "true") -> dict[str, dict]:
    with ro(db) as con:
        rows = con.execute(f"SELECT source_event_id, ocsf_json FROM governance_ocsf_events WHERE {where}").fetchall()
    return {sid: orjson.loads(text) for sid, text in rows}


def assert_all_valid(db) -> int:
    with ro(db) as con:
        rows = con.execute(
            "SELECT class_uid, category_uid, activity_id, type_uid, severity_id, time, source_id, "
            "source_event_id, ocsf_json FROM governance_ocsf_events"
        ).fetchall()
    for class_uid, category_uid, activity_id, type_uid, severity_id, time, source_id, event_id, text in rows:
        assert validate(text) == [], text
        event = orjson.loads(text)
        assert (
            event["class_uid"],
            event["category_uid"],
            event["activity_id"],
            event["type_uid"],
            event["severity_id"],
            event["time"],
        ) == (class_uid, category_uid, activity_id, type_uid, severity_id, time)
        assert event["metadata"]["original_event_uid"] == event_id
        assert event["unmapped"]["source_id"] == source_id
    return len(rows)


def test_kpis_sum_to_the_lake_and_every_ocsf_row_is_valid(lake, tmp_path):
    db = tmp_path / "g.duckdb"
    stats = build_marts(db, lake)
    assert stats.lake_events == 26
    with ro(db) as con:
        register_counted_lake(con, lake)
        by_group = """SELECT date, source_id, count(*), sum(tokens_input), sum(tokens_output), round(sum(cost_usd), 9)
                      FROM lake_events GROUP BY ALL ORDER BY ALL"""
        mart = """SELECT date, source_id, sum(event_count), sum(tokens_input), sum(tokens_output), round(sum(cost_usd), 9)
                  FROM governance_kpis GROUP BY ALL ORDER BY ALL"""
        assert con.execute(mart).fetchall() == con.execute(by_group).fetchall()
        # the root span says nothing of its kind and its children carry usage: its own figures are a roll-up
        roles = con.execute(
            "SELECT usage_role, count(*), sum(tokens_input) FROM lake_events WHERE source_id = 'otel_app' GROUP BY 1"
        ).fetchall()
        assert sorted(roles) == [("call", 7, sum(200 + i for i in range(1, 8))), ("rollup", 1, 0)]
        dupes = con.execute(
            "SELECT count(*) FROM (SELECT date, source_id, actor, target FROM governance_kpis "
            "GROUP BY ALL HAVING count(*) > 1)"
        ).fetchone()[0]
        assert dupes == 0
        # distinct actors per day and source, errors, cost split
        assert con.execute("""SELECT DISTINCT distinct_actors_day_source FROM governance_kpis
                              WHERE source_id = 'otel_app'""").fetchall() == [(2,)]
        assert (
            con.execute("SELECT sum(error_count) FROM governance_kpis WHERE source_id = 'otel_app'").fetchone()[0] == 1
        )
        given, computed, total = con.execute("""SELECT sum(cost_given_usd), sum(cost_computed_usd), sum(cost_usd)
                                                FROM governance_kpis WHERE source_id = 'otel_app'""").fetchone()
        assert given > 0 and computed > 0 and given + computed == pytest.approx(total)
        p50, p95 = con.execute("""SELECT duration_p50_ms, duration_p95_ms FROM governance_spend_daily
                                  WHERE source_id = 'otel_app' AND actor = 'bob' AND model IS NULL""").fetchone()
        assert 120.5 <= p50 <= p95 <= 127.5
        assert con.execute("SELECT count(*) FROM governance_events").fetchone()[0] == 26
        top_user = con.execute("SELECT actor FROM governance_top_users WHERE spend_rank = 1").fetchone()[0]
        assert (
            top_user
            == con.execute(
                "SELECT actor FROM lake_events WHERE actor IS NOT NULL GROUP BY actor "
                "ORDER BY sum(cost_usd) DESC LIMIT 1"
            ).fetchone()[0]
        )
        assert {r[0] for r in con.execute("SELECT model FROM governance_top_models").fetchall()} == {
            "gpt-4o",
            "claude-sonnet-4-5",
            "gpt-4o-mini",
        }
    assert assert_all_valid(db) == 26


def test_ocsf_mapping_choices(lake, tmp_path):
    db = tmp_path / "g.duckdb"
    build_marts(db, lake)
    events = ocsf_events(db)
    by_action = {}
    for e in events.values():
        by_action.setdefault(e["api"]["operation"], e)
    assert by_action["api_key.created"]["activity_id"] == 1 and by_action["api_key.created"]["type_uid"] == 600301
    assert by_action["file.viewed"]["activity_id"] == 2
    assert by_action["settings.updated"]["activity_id"] == 3
    assert by_action["conversation.deleted"]["activity_id"] == 4
    chat = by_action["chat.completion"]
    assert (chat["activity_id"], chat["activity_name"], chat["type_uid"]) == (99, "chat.completion", 600399)
    # an LLM call: ai_operation profile, tokens in message_context (with a service, as 1.8.0 requires)
    llm = events["evt_0001"]
    assert llm["metadata"]["profiles"] == ["ai_operation"]
    assert llm["ai_model"] == {"name": "claude-sonnet-4-5", "ai_provider": "anthropic"}
    assert llm["message_context"]["prompt_tokens"] == 101 and "service" in llm["message_context"]
    # no model: no profile, no ai_* attributes, tokens kept under unmapped
    plain = events["evt_0002"]
    assert "ai_model" not in plain and "profiles" not in plain["metadata"]
    assert plain["unmapped"]["tokens_input"] == 102
    # errors raise severity and fail the status
    failed = events["evt_0003"]
    assert (failed["status_id"], failed["severity_id"], failed["status_detail"]) == (2, 3, "rate_limited")
    # actors: email validated by the OCSF email pattern; odd characters escaped; none -> app_name only
    assert events["evt_0000"]["actor"]["user"]["email_addr"] == "dana.lee@example.com"
    assert "email_addr" not in events["evt_0002"]["actor"]["user"]
    assert events["evt_0004"]["actor"]["user"]["uid"] == 'o\'brien "quoted" <x>'
    assert events["evt_0003"]["actor"] == {"app_name": "local_ndjson"}
    # OTLP spans: the trace profile with the span's ids and timing
    span = events["0000000000000002"]
    assert set(span["metadata"]["profiles"]) == {"ai_operation", "trace"}
    assert span["trace"]["uid"] == "5b8efff798038103d269b633813fc60c"
    assert span["trace"]["span"]["end_time"] - span["trace"]["span"]["start_time"] == 123
    assert (
        span["unmapped"]["cost_source"] == "given"
        and events["0000000000000001"]["unmapped"]["cost_source"] == "computed"
    )
    assert all("src_endpoint" in e for e in events.values())


def test_rebuilding_one_day_rewrites_only_that_day(lake, tmp_path):
    db = tmp_path / "g.duckdb"
    build_marts(db, lake)
    with ro(db) as con:
        before = con.execute(
            "SELECT date, built_at, count(*) FROM governance_kpis GROUP BY ALL ORDER BY ALL"
        ).fetchall()
        ocsf_before = con.execute(
            "SELECT source_event_id, ocsf_json FROM governance_ocsf_events WHERE date <> DATE '2026-10-02' ORDER BY 1"
        ).fetchall()
    late = [dict(r, id=f"late_{i}", created_at="2026-10-02T23:00:00Z") for i, r in enumerate(ndjson_records(1, 4))]
    assert pull_ndjson(lake, tmp_path / "inbox", late).new == 4
    stats = build_marts(db, lake, dates=["2026-10-02"])
    assert stats.lake_events == 10
    with ro(db) as con:
        after = con.execute("SELECT date, built_at, count(*) FROM governance_kpis GROUP BY ALL ORDER BY ALL").fetchall()
        assert [r for r in after if str(r[0]) != "2026-10-02"] == [r for r in before if str(r[0]) != "2026-10-02"]
        assert con.execute("SELECT sum(event_count) FROM governance_kpis WHERE date = '2026-10-02'").fetchone()[0] == 10
        assert (
            con.execute(
                "SELECT source_event_id, ocsf_json FROM governance_ocsf_events "
                "WHERE date <> DATE '2026-10-02' ORDER BY 1"
            ).fetchall()
            == ocsf_before
        )
    assert lake_totals(lake)[0] == 30
    assert assert_all_valid(db) == 30
    # an empty day in the lake empties that day in the marts
    build_marts(db, lake, dates=["2026-11-01"])
    assert assert_all_valid(db) == 30


def test_spend_anomaly_flags_a_day_and_raises_severity(tmp_path):
    lake = str(tmp_path / "lake")
    rows = []
    for d in range(9):
        cost = 50.0 if d == 8 else 1.0
        rows.append(
            {
                "source_event_id": f"s{d}",
                "event_timestamp": DAY0 + timedelta(days=d, hours=3),
                "actor": "spender@example.com",
                "action": "chat",
                "model": "gpt-4o",
                "provider": "openai",
                "cost_usd": cost,
                "tokens_input": 10,
                "tokens_output": 5,
                "status": "ok",
                "error_type": None,
            }
        )
        rows.append(
            {
                "source_event_id": f"q{d}",
                "event_timestamp": DAY0 + timedelta(days=d, hours=4),
                "actor": "quiet@example.com",
                "action": "chat",
                "model": None,
                "provider": None,
                "cost_usd": 0.5,
                "tokens_input": 0,
                "tokens_output": 0,
                "status": "error",
                "error_type": "boom",
            }
        )
    write_rows(lake, pa.Table.from_pylist(rows), "spendy", "http_polling")
    db = tmp_path / "g.duckdb"
    build_marts(db, lake)
    with ro(db) as con:
        flagged = con.execute(
            "SELECT scope, key, date::VARCHAR FROM governance_spend_anomalies WHERE is_anomaly ORDER BY 1"
        ).fetchall()
    assert flagged == [("actor", "spender@example.com", "2026-10-09"), ("source", "spendy", "2026-10-09")]
    events = ocsf_events(db)
    assert events["s8"]["severity_id"] == 3 and events["s8"]["unmapped"]["spend_anomaly"] is True
    assert events["s7"]["severity_id"] == 1 and "spend_anomaly" not in events["s7"]["unmapped"]
    assert events["q8"]["severity_id"] == 4  # error on an anomalous source day
    assert events["q1"]["severity_id"] == 3  # error alone
    assert assert_all_valid(db) == 18


def test_s3_lake_is_read_through_pyarrow(tmp_path, monkeypatch):
    from tests.support.moto import moto_server, use_for_lake

    with moto_server() as endpoint:
        use_for_lake(monkeypatch, endpoint, "lake")
        root = "s3://lake/gov"
        write_rows(root, span_rows())
        pull_ndjson(root, tmp_path / "inbox", ndjson_records(2, 3))
        db = tmp_path / "g.duckdb"
        stats = build_marts(db, root)
        assert stats.lake_events == 14
        assert lake_totals(root) == (14, *lake_totals(root)[1:])
        with ro(db) as con:
            assert con.execute("SELECT sum(event_count) FROM governance_kpis").fetchone()[0] == 14
            assert con.execute("SELECT count(DISTINCT source_id) FROM governance_ocsf_events").fetchone()[0] == 2
        build_marts(db, root, dates=["2026-10-02"])
        assert assert_all_valid(db) == 14
