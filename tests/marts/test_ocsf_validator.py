"""The test-side OCSF 1.8.0 validator accepts a good event and rejects each kind of bad one."""

from __future__ import annotations

import copy

import pytest

from governance_pipeline.marts.ocsf_structure import structure_problems
from tests.support.ocsf_validator import validate

GOOD = {
    "category_uid": 6,
    "category_name": "Application Activity",
    "class_uid": 6003,
    "class_name": "API Activity",
    "activity_id": 99,
    "activity_name": "chat",
    "type_uid": 600399,
    "type_name": "API Activity: Other",
    "severity_id": 1,
    "severity": "Informational",
    "status_id": 1,
    "status": "Success",
    "time": 1767225600123,
    "metadata": {
        "version": "1.8.0",
        "profiles": ["ai_operation", "trace"],
        "product": {"name": "governance_pipeline", "vendor_name": "x", "version": "0.1.0"},
        "original_event_uid": "eee19b7ec3c1b174",
        "log_name": "otel_generic",
    },
    "actor": {"user": {"uid": "alice@example.com", "email_addr": "alice@example.com"}},
    "api": {"operation": "chat", "service": {"name": "openai"}},
    "src_endpoint": {"svc_name": "smoke-test"},
    "ai_model": {"name": "gpt-4o", "ai_provider": "openai"},
    "message_context": {
        "uid": "conv_42",
        "prompt_tokens": 100,
        "completion_tokens": 250,
        "total_tokens": 350,
        "service": {"name": "openai"},
    },
    "trace": {
        "uid": "5b8efff798038103d269b633813fc60c",
        "span": {"uid": "eee19b7ec3c1b174", "start_time": 1767225600123, "end_time": 1767225601123},
    },
    "unmapped": {"cost_usd": 0.01, "anything": {"goes": [1, None]}},
}


def test_good_event_passes():
    assert validate(GOOD) == []
    assert structure_problems(GOOD) == []


def _set(event, path, value):
    *parents, leaf = path.split(".")
    node = event
    for p in parents:
        node = node[p]
    if value is DELETE:
        del node[leaf]
    else:
        node[leaf] = value


DELETE = object()
CASES = [
    (
        "reference example 3.5 (message_context without application/service)",
        "message_context.service",
        DELETE,
        "at_least_one ['application', 'service']",
    ),
    ("profile attribute without its profile", "metadata.profiles", ["trace"], "profile 'ai_operation' not in"),
    ("trace without the trace profile", "metadata.profiles", ["ai_operation"], "profile 'trace' not in"),
    ("missing required src_endpoint", "src_endpoint", DELETE, "src_endpoint: required attribute missing"),
    ("missing metadata.version", "metadata.version", DELETE, "metadata.version: required attribute missing"),
    ("activity 6 (INVOKE) is not in the enum", "activity_id", 6, "not in enum"),
    ("type_uid inconsistent", "type_uid", 600301, "type_uid: expected 600399"),
    ("wrong class", "class_uid", 6001, "class_uid: expected 6003"),
    ("severity out of enum", "severity_id", 7, "severity_id: value 7 not in enum"),
    ("time as a string", "time", "2026-01-01T00:00:00Z", "expected timestamp_t"),
    ("integer as float", "message_context.prompt_tokens", 1.5, "expected integer_t"),
    ("bool is not an integer", "status_id", True, "expected integer_t"),
    ("unknown attribute", "actor.enduser", {"uid": "x"}, "actor.enduser: attribute_unknown"),
    ("bad email", "actor.user.email_addr", "not-an-email", "email_t pattern"),
    (
        "user without account/name/uid",
        "actor.user",
        {"email_addr": "a@b.example"},
        "at_least_one ['account', 'name', 'uid']",
    ),
    ("actor without any identity", "actor", {"authorizations": []}, "at_least_one ['process'"),
    ("endpoint without identity", "src_endpoint", {"port": 443}, "at_least_one ['ip'"),
    ("ai_model missing ai_provider", "ai_model.ai_provider", DELETE, "ai_model.ai_provider: required"),
    ("span missing end_time", "trace.span.end_time", DELETE, "trace.span.end_time: required"),
    ("null value", "api.operation", None, "null value"),
    ("object where a string belongs", "api.operation", {"x": 1}, "expected string_t"),
    ("array attribute not an array", "metadata.profiles", "ai_operation", "expected an array"),
    ("unknown profile", "metadata.profiles", ["ai_operation", "trace", "magic"], "unknown profile 'magic'"),
    ("later schema version", "metadata.version", "1.9.0", "later than the schema"),
    ("port out of range", "src_endpoint.port", 70000, "outside"),
]


@pytest.mark.parametrize("label,path,value,expected", CASES, ids=[c[0] for c in CASES])
def test_invalid_events_fail(label, path, value, expected):
    event = copy.deepcopy(GOOD)
    _set(event, path, value)
    errors = validate(event)
    assert any(expected in e for e in errors), errors


def test_text_that_is_not_json_fails():
    assert validate("{not json") and validate("[1, 2]")


def test_cloud_profile_makes_cloud_required():
    event = copy.deepcopy(GOOD)
    event["metadata"]["profiles"] = ["ai_operation", "trace", "cloud"]
    assert any(e.startswith("cloud: required") for e in validate(event))
    event["cloud"] = {"provider": "AWS", "region": "us-east-1"}
    assert validate(event) == []


@pytest.mark.parametrize(
    "path,value",
    [
        ("message_context.service", DELETE),
        ("metadata.profiles", ["trace"]),
        ("activity_id", 6),
        ("src_endpoint", DELETE),
        ("api.operation", None),
    ],
)
def test_runtime_structure_check_catches_the_common_faults(path, value):
    event = copy.deepcopy(GOOD)
    _set(event, path, value)
    assert structure_problems(event)
