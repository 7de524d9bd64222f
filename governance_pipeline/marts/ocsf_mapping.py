"""The lake-event -> OCSF 1.8.0 API Activity (class 6003) mapping, as SQL expressions over one row.

Decisions (see docs/marts.md): ``activity_id`` is a CRUD verb when the source's action names one
(create/read/update/delete words), else 99 Other with ``activity_name`` = the source's action; the
``ai_operation`` profile (``ai_model``, ``message_context`` with ``service`` to satisfy its at_least_one)
is used only when a model is known, the ``trace`` profile only for events with a trace id (OTLP spans), and
``metadata.profiles`` lists exactly the profiles used. Cost, source id, the cache and reasoning token counts
(parts of ``message_context``'s prompt and completion tokens), what the content policy removed and other
non-OCSF fields go under ``unmapped``. ``severity_id``: 1 Informational, 3 Medium for an error or a spend anomaly, 4 High for both.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from governance_pipeline.marts.jsonsql import RAW, array, integer, members_lit, number, obj, text

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


# Everything that depends only on (source, action, event type, model, provider) is rendered once per distinct
# combination into a small table, and joined back: per row only the row's own values are escaped and joined.
DIM_KEYS = ("source_id", "source_type", "action", "event_type", "model", "provider")


def dims_sql(where: str) -> str:
    """SELECT of the distinct dimension combinations with their pre-rendered JSON fragments."""
    caption = _caption("activity_id", ACTIVITY_CAPTIONS)
    service = "'{\"name\":' || to_json(coalesce(provider, source_type, source_id)) || '}'"
    return f"""
    SELECT *,
           '"activity_id":' || activity_id || ',"activity_name":' ||
               CASE WHEN activity_id = 99 THEN j_action ELSE '"' || {caption} || '"' END ||
               ',"type_uid":' || ({CLASS_UID * 100} + activity_id) ||
               ',"type_name":"API Activity: ' || {caption} || '"'                     AS d_activity,
           {service}                                                                 AS j_service,
           '"src_endpoint":' || {obj({"svc_name": text("coalesce(source_type, source_id)"), "name": "j_source_id"})}
                                                                                     AS d_src_endpoint,
           '"dst_endpoint":' || {obj({"svc_name": text("provider")}, when="provider IS NOT NULL")} AS d_dst_endpoint,
           '"ai_model":' || {
        obj({"name": text("model"), "ai_provider": text("coalesce(provider, 'unknown')")}, when="model IS NOT NULL")
    }                          AS d_ai_model
    FROM (SELECT *,
                 {activity_case("action")}                                           AS activity_id,
                 to_json(coalesce(action, event_type, 'unknown'))                    AS j_action,
                 to_json(source_type)                                                AS j_source_type,
                 to_json(source_id)                                                  AS j_source_id,
                 to_json(event_type)                                                 AS j_event_type
          FROM (SELECT DISTINCT {", ".join(DIM_KEYS)} FROM lake_events {where}))
    """


DIM_COLUMNS = (
    "activity_id",
    "d_activity",
    "j_action",
    "j_source_type",
    "j_source_id",
    "j_event_type",
    "j_service",
    "d_src_endpoint",
    "d_dst_endpoint",
    "d_ai_model",
)


def ocsf_json_sql() -> str:
    """The ``ocsf_json`` expression; the row has the lake columns, the ``DIM_COLUMNS``, and severity_id,
    status_id, is_error, is_anomaly, time (epoch ms) and j_sei, j_actor (escaped per row)."""
    has_model = "model IS NOT NULL"
    has_trace = "trace_id IS NOT NULL"
    end_time = "time + coalesce(round(duration_ms)::BIGINT, 0)"
    in_int32 = "BETWEEN 0 AND 2147483647"
    counts = "usage_role IS DISTINCT FROM 'rollup' AND usage_role IS DISTINCT FROM 'duplicate'"  # marts/usage.py
    severity = " ".join(f'WHEN {k} THEN \'"severity_id":{k},"severity":"{v}"\'' for k, v in SEVERITY_CAPTIONS.items())
    status = " ".join(f'WHEN {k} THEN \'"status_id":{k},"status":"{v}"\'' for k, v in STATUS_CAPTIONS.items())
    return obj(
        {
            RAW + "class": members_lit(
                {
                    "category_uid": CATEGORY_UID,
                    "category_name": "Application Activity",
                    "class_uid": CLASS_UID,
                    "class_name": "API Activity",
                }
            ),
            RAW + "activity": "d_activity",
            RAW + "severity": f"CASE severity_id {severity} END",
            RAW + "status": f"CASE status_id {status} END",
            "status_detail": text("CASE WHEN is_error THEN coalesce(error_type, 'error') END"),
            "time": integer("time"),
            "duration": integer("CASE WHEN duration_ms >= 0 AND isfinite(duration_ms) THEN round(duration_ms) END"),
            "metadata": obj(
                {
                    RAW + "fixed": members_lit(
                        {
                            "version": OCSF_VERSION,
                            "product": {
                                "name": "governance_pipeline",
                                "vendor_name": "governance_pipeline",
                                "version": product_version(),
                            },
                        }
                    ),
                    "profiles": f"""CASE WHEN {has_model} AND {has_trace} THEN '["ai_operation","trace"]'
                                 WHEN {has_model} THEN '["ai_operation"]' WHEN {has_trace} THEN '["trace"]' END""",
                    "original_event_uid": "j_sei",
                    "log_name": "j_source_type",
                    "tenant_uid": text("organization_id"),
                    "logged_time": integer("epoch_ms(ingested_at)"),
                }
            ),
            "actor": obj(
                {
                    "user": obj(
                        {
                            "uid": "j_actor",
                            "email_addr": f"CASE WHEN regexp_full_match(actor, '{EMAIL_RE.replace(chr(39), chr(39) * 2)}') "
                            "THEN j_actor END",
                        },
                        when="actor IS NOT NULL",
                    ),
                    "app_name": "j_source_type",
                }
            ),
            "api": obj(
                {
                    "operation": "j_action",
                    "service": "j_service",
                    "response": obj({"error": text("coalesce(error_type, 'error')")}, when="is_error"),
                }
            ),
            RAW + "src_endpoint": "d_src_endpoint",
            RAW + "dst_endpoint": "d_dst_endpoint",
            "resources": array(obj({"name": text("target"), "type": "j_event_type"}), when="target IS NOT NULL"),
            RAW + "ai_model": "d_ai_model",
            "message_context": obj(
                {
                    "service": "j_service",
                    "uid": text("conversation_id"),
                    "prompt_tokens": integer(f"CASE WHEN {counts} AND tokens_input {in_int32} THEN tokens_input END"),
                    "completion_tokens": integer(
                        f"CASE WHEN {counts} AND tokens_output {in_int32} THEN tokens_output END"
                    ),
                    "total_tokens": integer(
                        f"CASE WHEN {counts} AND tokens_input + tokens_output {in_int32} "
                        "THEN tokens_input + tokens_output END"
                    ),
                },
                when=has_model,
            ),
            "trace": obj(
                {
                    "uid": text("trace_id"),
                    "span": obj(
                        {
                            "uid": text("span_id"),
                            "parent_uid": text("parent_span_id"),
                            "start_time": integer("time"),
                            "end_time": integer(end_time),
                        },
                        when="span_id IS NOT NULL",
                    ),
                },
                when=has_trace,
            ),
            "unmapped": obj(
                {
                    "source_id": "j_source_id",
                    "event_type": "j_event_type",
                    "cost_usd": number("cost_usd"),
                    "cost_source": text("cost_source"),
                    "tool_name": text("tool_name"),
                    "tokens_input": integer(f"CASE WHEN {counts} AND NOT ({has_model}) THEN tokens_input END"),
                    "tokens_output": integer(f"CASE WHEN {counts} AND NOT ({has_model}) THEN tokens_output END"),
                    "usage_role": text("usage_role"),
                    "conversation_id": text(f"CASE WHEN NOT ({has_model}) THEN conversation_id END"),
                    "spend_anomaly": "CASE WHEN is_anomaly THEN 'true' END",
                    # token detail (parts of the prompt/completion counts; message_context has no place for it)
                    "tokens_cache_read": integer("tokens_cache_read"),
                    "tokens_cache_write": integer("tokens_cache_write"),
                    "tokens_cache_write_1h": integer("tokens_cache_write_1h"),
                    "tokens_reasoning": integer("tokens_reasoning"),
                    "content_redacted": "redacted",  # a JSON list of what was removed from the raw payload
                }
            ),
        }
    )
