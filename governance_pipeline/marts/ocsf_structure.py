"""A light structural check of one OCSF 1.8.0 API Activity event (runtime sampling; not a full validator)."""

from __future__ import annotations

from typing import Any

REQUIRED = (
    "activity_id",
    "category_uid",
    "class_uid",
    "type_uid",
    "severity_id",
    "time",
    "metadata",
    "actor",
    "api",
    "src_endpoint",
)
ACTIVITIES = {0, 1, 2, 3, 4, 99}
SEVERITIES = {0, 1, 2, 3, 4, 5, 6, 99}
ACTOR_ANY = ("process", "user", "invoked_by", "session", "app_name", "app_uid")
ENDPOINT_ANY = (
    "ip",
    "uid",
    "name",
    "hostname",
    "svc_name",
    "instance_uid",
    "interface_uid",
    "interface_name",
    "domain",
)
PROFILE_OF = {"ai_model": "ai_operation", "message_context": "ai_operation", "trace": "trace"}


def _nulls(value: Any, path: str = "") -> list[str]:
    if value is None:
        return [f"{path or '<event>'} is null"]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _nulls(v, f"{path}.{k}".lstrip("."))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _nulls(v, f"{path}[{i}]")]
    return []


def structure_problems(event: Any) -> list[str]:
    if not isinstance(event, dict):
        return ["not a JSON object"]
    problems = [f"missing {k}" for k in REQUIRED if k not in event]
    if event.get("class_uid") != 6003 or event.get("category_uid") != 6:
        problems.append("not API Activity (class_uid 6003, category_uid 6)")
    activity = event.get("activity_id")
    if activity not in ACTIVITIES:
        problems.append(f"activity_id {activity!r} not in {sorted(ACTIVITIES)}")
    elif event.get("type_uid") != 600300 + activity:
        problems.append("type_uid != class_uid * 100 + activity_id")
    if event.get("severity_id") not in SEVERITIES:
        problems.append("severity_id out of enum")
    if not isinstance(event.get("time"), int):
        problems.append("time is not epoch ms")
    meta = event.get("metadata") or {}
    if meta.get("version") != "1.8.0":
        problems.append("metadata.version is not 1.8.0")
    if not any(k in (meta.get("product") or {}) for k in ("name", "uid")):
        problems.append("metadata.product needs name or uid")
    profiles = set(meta.get("profiles") or [])
    for attr, profile in PROFILE_OF.items():
        if attr in event and profile not in profiles:
            problems.append(f"{attr} without profile {profile!r} in metadata.profiles")
    if not any(k in (event.get("actor") or {}) for k in ACTOR_ANY):
        problems.append("actor needs one of " + ", ".join(ACTOR_ANY))
    user = (event.get("actor") or {}).get("user")
    if user is not None and not any(k in user for k in ("account", "name", "uid")):
        problems.append("actor.user needs account, name or uid")
    if "operation" not in (event.get("api") or {}):
        problems.append("api.operation missing")
    if not any(k in (event.get("src_endpoint") or {}) for k in ENDPOINT_ANY):
        problems.append("src_endpoint needs one of " + ", ".join(ENDPOINT_ANY))
    if "ai_model" in event and not {"name", "ai_provider"} <= set(event["ai_model"]):
        problems.append("ai_model needs name and ai_provider")
    if "message_context" in event and not ({"application", "service"} & set(event["message_context"])):
        problems.append("message_context needs application or service")
    if "trace" in event and "uid" not in event["trace"]:
        problems.append("trace.uid missing")
    return problems + _nulls({k: v for k, v in event.items() if k != "unmapped"})
