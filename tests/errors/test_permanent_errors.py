"""Errors say where they are raised whether a retry can help; permanent ones fail a pull at once.

Each permanent error goes through ``govpipe pull`` (or, for a backfill-only error, the asset's backfill run):
exit 1 at once, one line on stderr, no traceback, no ``STEP_UP_FOR_RETRY`` in the run, no secret printed.
"""

from __future__ import annotations

import json

import pytest

import dagster as dg
from governance_pipeline.adapters.http_polling.adapter import BackfillNotSupported
from governance_pipeline.adapters.http_polling.engine import CrossOriginRefused, PullError
from governance_pipeline.adapters.http_polling.templates import MissingCredential
from governance_pipeline.cli import main as govpipe
from governance_pipeline.config.credentials import CredentialError
from governance_pipeline.config.errors import ConfigError, ConfigProblem
from governance_pipeline.defs.state import load_state
from governance_pipeline.errors import GovernanceError, is_permanent
from governance_pipeline.http.client import HttpError
from governance_pipeline.langsmith.api import LangSmithAuthError, LangSmithError
from governance_pipeline.s3.client import S3AccessError
from tests.http_polling.helpers import FAST_RETRY, audit_config
from tests.support.http import Response, serve

TOKEN = "tok-perm-0123456789"


@pytest.mark.parametrize(
    ("exc", "permanent"),
    [
        (CredentialError("unknown credential set 'x'"), True),
        (MissingCredential("credential key 'k' is not in the resolved credential set"), True),
        (HttpError(401, "GET", "http://h/x"), True),
        (HttpError(404, "GET", "http://h/x"), True),
        (HttpError(408, "GET", "http://h/x"), False),
        (HttpError(429, "GET", "http://h/x"), False),
        (HttpError(503, "GET", "http://h/x"), False),
        (HttpError(None, "GET", "http://h/x", "connection refused"), False),
        (LangSmithAuthError("401"), True),
        (LangSmithError("LangSmith request failed: HTTP 502"), False),
        (BackfillNotSupported("no window template"), True),
        (CrossOriginRefused("refusing to follow a next-page URL to another host"), True),
        (PullError("response is not JSON"), False),
        (S3AccessError("denied", aws_code="AccessDenied"), True),
        (S3AccessError("throttled", aws_code="SlowDown"), False),
        (S3AccessError("reset", aws_code=None), False),
        (ConfigError([ConfigProblem("sources.yaml", None, "sources", "Field required")]), True),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else str(v),
)
def test_each_package_error_carries_its_marker(exc, permanent):
    assert isinstance(exc, GovernanceError)
    assert exc.permanent is permanent and is_permanent(exc) is permanent


def test_a_wrapped_error_keeps_the_marker_of_its_cause():
    try:
        try:
            raise LangSmithAuthError("401")
        except LangSmithAuthError as inner:
            raise RuntimeError("while syncing runs") from inner
    except RuntimeError as outer:
        assert is_permanent(outer)
    assert not is_permanent(ValueError("a bug is not marked: retried"))


def _run_events(instance) -> list[str]:
    (run,) = instance.get_runs(limit=1)
    return [e.dagster_event.event_type_value for e in instance.all_logs(run.run_id) if e.dagster_event]


def _assert_failed_once(code: int, err: str, *, must_say: str, secret: str | None, source_id: str) -> None:
    assert code == 1
    assert err.count("\n") == 1 and err.endswith("\n"), err  # one line
    assert "Traceback" not in err and must_say in err, err
    if secret:
        assert secret not in err
    instance = dg.DagsterInstance.get()
    kinds = _run_events(instance)
    assert "STEP_FAILURE" in kinds and "STEP_UP_FOR_RETRY" not in kinds
    assert load_state(instance, source_id)["status"] == "error"


def _write_sources(env, monkeypatch, text: str) -> None:
    path = env / "sources.yaml"
    path.write_text(text)
    monkeypatch.setenv("GOVERNANCE_SOURCES", str(path))


def _http_source(url: str, **over) -> str:
    config = audit_config(url, retry=FAST_RETRY, **over)
    return (
        "credentials:\n  acme_audit_log_creds:\n    token: {env: PERM_TOKEN}\nsources:\n"
        "  - id: acme_audit\n    type: http_polling\n    organizationId: org_1\n    startDate: '2026-09-25'\n"
        f"    config: {json.dumps(config)}\n"
    )


def test_a_langsmith_401_fails_the_pull_once(env, monkeypatch, capsys):
    from tests.langsmith.conftest import API_KEY, TENANT, sources_yaml
    from tests.langsmith.fake_server import FakeLangSmith

    fake = FakeLangSmith(api_key=API_KEY, tenant_id=TENANT)
    with serve(fake) as (url, _):
        _write_sources(env, monkeypatch, sources_yaml(url, api_key="ls-wrong-key-9876543210"))
        code = govpipe(["pull", "ls"])
    err = capsys.readouterr().err
    _assert_failed_once(code, err, must_say="LangSmithAuthError", secret="ls-wrong-key-9876543210", source_id="ls")


def test_a_cross_origin_next_page_fails_the_pull_once(env, monkeypatch, capsys):
    monkeypatch.setenv("PERM_TOKEN", TOKEN)

    def handle(req):
        if req.q("cursor"):
            return Response(200, {"events": [], "next_cursor": None})
        # the next page on another origin: following it would send the bearer token there
        event = {"id": "e1", "created_at": "2026-10-01T00:00:00Z", "user": {"email": "a@example.com"}}
        return Response(200, {"events": [event], "next_cursor": "http://localhost:9/v1/audit-log?cursor=2"})

    with serve(handle) as (url, seen):
        _write_sources(env, monkeypatch, _http_source(url + "/v1/audit-log"))
        code = govpipe(["pull", "acme_audit"])
    err = capsys.readouterr().err
    _assert_failed_once(code, err, must_say="another host", secret=TOKEN, source_id="acme_audit")
    assert len(seen) == 1  # the first page only, once: no step retry asked for it again


def test_a_rejected_token_fails_the_pull_once(env, monkeypatch, capsys):
    monkeypatch.setenv("PERM_TOKEN", TOKEN)
    with serve(lambda req: Response(401, {"error": "unauthorized"})) as (url, seen):
        _write_sources(env, monkeypatch, _http_source(url + "/v1/audit-log"))
        code = govpipe(["pull", "acme_audit"])
    err = capsys.readouterr().err
    _assert_failed_once(code, err, must_say="HTTP 401", secret=TOKEN, source_id="acme_audit")
    assert len(seen) == 1


def test_an_unset_credential_fails_the_pull_once(env, monkeypatch, capsys):
    monkeypatch.delenv("PERM_TOKEN", raising=False)
    with serve(lambda req: Response(200, {"events": []})) as (url, seen):
        _write_sources(env, monkeypatch, _http_source(url + "/v1/audit-log"))
        code = govpipe(["pull", "acme_audit"])
    err = capsys.readouterr().err
    _assert_failed_once(code, err, must_say="PERM_TOKEN is not set", secret=None, source_id="acme_audit")
    assert seen == []


def test_a_backfill_the_source_cannot_do_fails_once(env, monkeypatch):
    """``BackfillNotSupported`` only happens on a backfill: the asset's run, with the same retry policy."""
    monkeypatch.setenv("PERM_TOKEN", TOKEN)
    with serve(lambda req: Response(200, {"events": []})) as (url, seen):
        _write_sources(env, monkeypatch, _http_source(url + "/v1/audit-log"))
        from governance_pipeline.defs.build import build_definitions

        job = build_definitions().resolve_implicit_global_asset_job_def()
        instance = dg.DagsterInstance.get()
        result = job.execute_in_process(
            instance=instance,
            partition_key="2026-10-01",
            asset_selection=[dg.AssetKey(["events", "acme_audit"])],
            raise_on_error=False,
        )
    assert not result.success and seen == []
    kinds = _run_events(instance)
    assert "STEP_FAILURE" in kinds and "STEP_UP_FOR_RETRY" not in kinds
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "cannot be backfilled by time" in failure.step_failure_data.user_failure_data.description


def test_a_failed_pull_step_is_not_retried_again_as_a_whole_run(env, monkeypatch):
    """Run retries (``dagster.yaml``) are for crashed run workers: a step that failed for good stays failed."""
    monkeypatch.setenv("PERM_TOKEN", TOKEN)
    _write_sources(env, monkeypatch, _http_source("http://127.0.0.1:9/v1/audit-log"))
    from governance_pipeline.defs.build import build_definitions

    job = build_definitions().resolve_job_def("pull_acme_audit")
    assert job.tags["dagster/max_retries"] == "1"
    assert job.tags["dagster/retry_on_asset_or_op_failure"] == "false"
