"""A LangSmith run with an out-of-range number (REST page or bulk-export row) is quarantined; the rest lands."""

from __future__ import annotations

import pytest

from governance_pipeline.ingest import run_pull
from tests.langsmith.conftest import API_KEY, TENANT, Env
from tests.langsmith.fake_server import FakeLangSmith, load_fixtures
from tests.support.http import serve


def _llm_runs(data: dict) -> list[dict]:
    return [r for r in data["runs"] if r.get("run_type") == "llm"]


@pytest.mark.parametrize("tokens", [1e30, "99999999999999999999"], ids=["1e30", "string-20-digits"])
@pytest.mark.parametrize("run_type", ["llm", "chain"])
def test_a_run_with_an_out_of_range_token_count_is_quarantined(tmp_path, tokens, run_type):
    data = load_fixtures()
    victim = next(r for r in data["runs"] if r.get("run_type") == run_type)
    victim["prompt_tokens"] = tokens
    fake = FakeLangSmith(data, api_key=API_KEY, tenant_id=TENANT)
    with serve(fake) as (url, seen):
        env = Env(fake, url, seen, str(tmp_path / "lake"))
        sf = env.sources()
        out = run_pull(sf.source("ls"), env.runtime(sf), None)
    assert out.errors == 1 and out.quarantined == 1
    assert out.new == (9 if run_type == "llm" else 10)
    ids = {r[0] for r in env.lake_sql("SELECT source_event_id FROM EVENTS")}
    assert str(victim["id"]) not in ids
