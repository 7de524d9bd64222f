"""OCSF versions an export can write, and the down-levelling of the marts' 1.8.0 events to an older one.

Amazon Security Lake custom sources accept OCSF up to 1.3 (AWS's Security Lake user guide, custom sources).
1.3.0 has no ``ai_operation`` or ``trace`` profile and no ``metadata.original_event_uid``: those attributes
move under ``unmapped`` (nothing is dropped) and the profiles leave ``metadata.profiles``. Everything else the
marts emit exists in 1.3.0's API Activity with the same meaning (tests/export checks every row against the
1.3.0 schema files in tests/fixtures/ocsf/1.3.0).
"""

from __future__ import annotations

from typing import Any, Literal

OcsfVersion = Literal["1.3.0", "1.8.0"]
MARTS_VERSION: OcsfVersion = "1.8.0"
SECURITY_LAKE_DEFAULT: OcsfVersion = "1.3.0"  # the newest Security Lake accepts

# top-level attributes of the marts' events that 1.3.0 lacks (profiles added after 1.3.0)
NEWER_THAN_1_3 = ("ai_model", "message_context", "trace")
NEWER_METADATA_1_3 = ("original_event_uid",)
NEWER_PROFILES_1_3 = frozenset({"ai_operation", "trace"})


def downlevel(event: dict[str, Any], version: str) -> dict[str, Any]:
    """``event`` (as the marts emit it, OCSF 1.8.0) as a valid event of OCSF ``version``."""
    if version == MARTS_VERSION:
        return event
    if version != "1.3.0":
        raise ValueError(f"no down-levelling to OCSF {version}")
    out = dict(event)
    unmapped = dict(out.get("unmapped") or {})
    for name in NEWER_THAN_1_3:
        if name in out:
            unmapped[name] = out.pop(name)
    meta = dict(out.get("metadata") or {})
    for name in NEWER_METADATA_1_3:
        if name in meta:
            unmapped[name] = meta.pop(name)
    meta["version"] = version
    if "profiles" in meta:
        profiles = [p for p in meta["profiles"] if p not in NEWER_PROFILES_1_3]
        if profiles:
            meta["profiles"] = profiles
        else:
            del meta["profiles"]
    out["metadata"] = meta
    if unmapped:
        out["unmapped"] = unmapped
    return out
