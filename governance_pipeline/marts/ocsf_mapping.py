"""The lake-event -> OCSF 1.8.0 API Activity (class 6003) mapping, as SQL expressions over one row.

Decisions (see docs/marts.md): ``activity_id`` is a CRUD verb when the source's action names one
(create/read/update/delete words), else 99 Other with ``activity_name`` = the source's action; the
``ai_operation`` profile (``ai_model``, ``message_context`` with ``service`` to satisfy its at_least_one)
is used only when a model is known, the ``trace`` profile only for events with a trace id (OTLP spans), and
``metadata.profiles`` lists exactly the profiles used. Cost, source id and other non-OCSF fields go under
``unmapped``. ``severity_id``: 1 Informational, 3 Medium for an error or a spend anomaly, 4 High for both.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from governance_pipeline.marts.jsonsql import array, integer, lit, number, obj, text

OCSF_VERSION = "1.8.0"
CATEGORY_UID, CLASS_UID = 6, 6003
ACTIVITY_CAPTIONS = {0: "Unknown", 1: "Create", 2: "Read", 3: "Update", 4: "Delete", 99: "Other"}
SEVERITY_CAPTIONS = {1: "Informational", 3: "Medium", 4: "High"}
STATUS_CAPTIONS = {0: "Unknown", 1: "Success", 2: "Failure"}
# OCSF email_t pattern (dictionary.json types), so email_addr is only set when it validates.
EMAIL_RE = r"^[a-zA-Z0-9!#$%&'*+-/=?^_`{|}~.]+@[a-zA-Z0-9-]+\.[a-zA-Z0-9-.]+$"
_VERBS = {
    1: "create|created|creates|add|added|insert|inserted|upload|uploaded|generate|generated",
    2: "read|get|list|listed|view|viewed|download|downloaded|export|exported|search|searched|fetch|fetched",
    3: "update|updated|modify|modified|edit|edited|rename|renamed|patch|patched|change|changed",
    4: "delete|deleted|remove|removed|archive|archived|purge|purged|revoke|revoked",
}


def product_version() -> str:
    try:
        return version("governance_pipeline")
    except PackageNotFoundError:
        return "0.0.0"


def activity_case(action: str) -> str:
    """``activity_id`` of a source action (evaluated once per distinct action, not per row)."""
    whens = " ".join(
        f"WHEN regexp_matches(lower({action}), '(^|[^a-z])({words})([^a-z]|$)') THEN {aid}"
        for aid, words in _VERBS.items()
    )
    return f"CASE {whens} ELSE 99 END"


def _caption(expr: str, captions: dict[int, str]) -> str:
    whens = " ".join(f"WHEN {k} THEN '{v}'" for k, v in captions.items())
    return f"CASE {expr} {whens} END"


def ocsf_json_sql() -> str:
    """The ``ocsf_json`` expression; the row has the lake columns plus activity_id, severity_id, status_id,
    is_error, is_anomaly and time (epoch ms)."""
    has_model = "model IS NOT NULL"
    has_trace = "trace_id IS NOT NULL"
    service = obj({"name": text("coalesce(provider, source_type, source_id)")})
    end_time = "time + coalesce(round(duration_ms)::BIGINT, 0)"
    in_int32 = "BETWEEN 0 AND 2147483647"
    return obj({
        "category_uid": lit(CATEGORY_UID),
        "category_name": lit("Application Activity"),
        "class_uid": lit(CLASS_UID),
        "class_name": lit("API Activity"),
        "activity_id": integer("activity_id"),
        "activity_name": text(f"CASE WHEN activity_id = 99 THEN coalesce(action, event_type, 'Other') "
                              f"ELSE {_caption('activity_id', ACTIVITY_CAPTIONS)} END"),
        "type_uid": integer(f"{CLASS_UID * 100} + activity_id"),
        "type_name": text(f"'API Activity: ' || {_caption('activity_id', ACTIVITY_CAPTIONS)}"),
        "severity_id": integer("severity_id"),
        "severity": text(_caption("severity_id", SEVERITY_CAPTIONS)),
        "status_id": integer("status_id"),
        "status": text(_caption("status_id", STATUS_CAPTIONS)),
        "status_detail": text("CASE WHEN is_error THEN coalesce(error_type, 'error') END"),
        "time": integer("time"),
        "duration": integer("CASE WHEN duration_ms >= 0 AND isfinite(duration_ms) THEN round(duration_ms) END"),
        "metadata": obj({
            "version": lit(OCSF_VERSION),
            "profiles": array(f"CASE WHEN {has_model} THEN '\"ai_operation\"' END",
                              f"CASE WHEN {has_trace} THEN '\"trace\"' END",
                              when=f"{has_model} OR {has_trace}"),
            "product": lit({"name": "governance_pipeline", "vendor_name": "governance_pipeline",
                            "version": product_version()}),
            "uid": text("source_id || ':' || source_event_id"),
            "original_event_uid": text("source_event_id"),
            "log_name": text("source_type"),
            "log_provider": text("source_id"),
            "event_code": text("action"),
            "tenant_uid": text("organization_id"),
            "logged_time": integer("epoch_ms(ingested_at)"),
        }),
        "actor": obj({
            "user": obj({
                "uid": text("actor"),
                "name": text("actor"),
                "email_addr": text(f"CASE WHEN regexp_full_match(actor, '{EMAIL_RE.replace(chr(39), chr(39) * 2)}') "
                                   "THEN actor END"),
            }, when="actor IS NOT NULL"),
            "app_name": text("source_type"),
        }),
        "api": obj({
            "operation": text("coalesce(action, event_type, 'unknown')"),
            "service": service,
            "response": obj({"error": text("coalesce(error_type, 'error')")}, when="is_error"),
        }),
        "src_endpoint": obj({"svc_name": text("coalesce(source_type, source_id)"), "name": text("source_id")}),
        "dst_endpoint": obj({"svc_name": text("provider")}, when="provider IS NOT NULL"),
        "resources": array(obj({"name": text("target"), "type": text("event_type")}), when="target IS NOT NULL"),
        "ai_model": obj({"name": text("model"), "ai_provider": text("coalesce(provider, 'unknown')")},
                        when=has_model),
        "message_context": obj({
            "service": service,
            "uid": text("conversation_id"),
            "prompt_tokens": integer(f"CASE WHEN tokens_input {in_int32} THEN tokens_input END"),
            "completion_tokens": integer(f"CASE WHEN tokens_output {in_int32} THEN tokens_output END"),
            "total_tokens": integer(f"CASE WHEN tokens_input + tokens_output {in_int32} "
                                    "THEN tokens_input + tokens_output END"),
        }, when=has_model),
        "trace": obj({
            "uid": text("trace_id"),
            "span": obj({
                "uid": text("span_id"),
                "parent_uid": text("parent_span_id"),
                "operation": text("action"),
                "start_time": integer("time"),
                "end_time": integer(end_time),
            }, when="span_id IS NOT NULL"),
        }, when=has_trace),
        "unmapped": obj({
            "source_id": text("source_id"),
            "source_type": text("source_type"),
            "event_type": text("event_type"),
            "cost_usd": number("cost_usd"),
            "cost_source": text("cost_source"),
            "tool_name": text("tool_name"),
            "target": text("target"),
            "tokens_input": integer(f"CASE WHEN NOT ({has_model}) THEN tokens_input END"),
            "tokens_output": integer(f"CASE WHEN NOT ({has_model}) THEN tokens_output END"),
            "conversation_id": text(f"CASE WHEN NOT ({has_model}) THEN conversation_id END"),
            "spend_anomaly": "CASE WHEN is_anomaly THEN 'true' END",
        }),
    })
