"""The fixed Arrow schema of an OCSF 1.8.0 API Activity event as the marts emit it (Security Lake columns).

Security Lake (and its Glue table) wants one stable schema per custom source, so the JSON text is parsed
against this schema rather than inferred per file: an attribute missing from an event is null. OCSF types:
integer_t -> int32, long_t and timestamp_t (epoch ms) -> int64. Attributes the marts add later are still
kept (inferred), so nothing is dropped; ``tests/export`` fails when the marts emit one this file lacks.
"""

from __future__ import annotations

import pyarrow as pa

S, I32, I64, F64 = pa.string(), pa.int32(), pa.int64(), pa.float64()


def _struct(**fields: pa.DataType) -> pa.StructType:
    return pa.struct([pa.field(k, v) for k, v in fields.items()])


_NAME = _struct(name=S)

OCSF_API_ACTIVITY = pa.schema(
    [
        ("category_uid", I32),
        ("category_name", S),
        ("class_uid", I32),
        ("class_name", S),
        ("activity_id", I32),
        ("activity_name", S),
        ("type_uid", I64),
        ("type_name", S),
        ("severity_id", I32),
        ("severity", S),
        ("status_id", I32),
        ("status", S),
        ("status_detail", S),
        ("time", I64),
        ("duration", I64),
        (
            "metadata",
            _struct(
                version=S,
                profiles=pa.list_(S),
                product=_struct(name=S, vendor_name=S, version=S),
                uid=S,
                original_event_uid=S,
                log_name=S,
                log_provider=S,
                event_code=S,
                tenant_uid=S,
                logged_time=I64,
            ),
        ),
        ("actor", _struct(user=_struct(uid=S, name=S, email_addr=S), app_name=S)),
        ("api", _struct(operation=S, service=_NAME, response=_struct(error=S))),
        ("src_endpoint", _struct(svc_name=S, name=S)),
        ("dst_endpoint", _struct(svc_name=S)),
        ("resources", pa.list_(_struct(name=S, type=S))),
        ("ai_model", _struct(name=S, ai_provider=S)),
        ("message_context", _struct(service=_NAME, uid=S, prompt_tokens=I32, completion_tokens=I32, total_tokens=I32)),
        ("trace", _struct(uid=S, span=_struct(uid=S, parent_uid=S, operation=S, start_time=I64, end_time=I64))),
        (
            "unmapped",
            _struct(
                source_id=S,
                source_type=S,
                event_type=S,
                cost_usd=F64,
                cost_source=S,
                tool_name=S,
                target=S,
                tokens_input=I64,
                tokens_output=I64,
                conversation_id=S,
                spend_anomaly=pa.bool_(),
                tokens_cache_read=I64,
                tokens_cache_write=I64,
                tokens_cache_write_1h=I64,
                tokens_reasoning=I64,
                content_redacted=pa.list_(S),  # what content policy removed (docs/content.md)
                usage_role=S,  # call | rollup | duplicate (marts/usage.py)
            ),
        ),
    ]
)


def _downlevelled_1_3(schema: pa.Schema) -> pa.Schema:
    """1.3.0: the attributes it lacks move into ``unmapped`` (``ocsf_version.downlevel`` does the same to events)."""
    from governance_pipeline.export.ocsf_version import NEWER_METADATA_1_3, NEWER_THAN_1_3

    moved = [schema.field(n) for n in NEWER_THAN_1_3]
    meta = schema.field("metadata").type
    moved_meta = [meta.field(n) for n in NEWER_METADATA_1_3]
    fields = []
    for field in schema:
        if field.name in NEWER_THAN_1_3:
            continue
        if field.name == "metadata":
            field = field.with_type(pa.struct([f for f in meta if f.name not in NEWER_METADATA_1_3]))
        elif field.name == "unmapped":
            field = field.with_type(pa.struct([*field.type, *moved, *moved_meta]))
        fields.append(field)
    return pa.schema(fields)


OCSF_API_ACTIVITY_1_3 = _downlevelled_1_3(OCSF_API_ACTIVITY)


def schema_for(version: str) -> pa.Schema:
    """The Arrow schema of an API Activity event of OCSF ``version`` (1.8.0 as the marts emit it, or 1.3.0)."""
    return OCSF_API_ACTIVITY_1_3 if version == "1.3.0" else OCSF_API_ACTIVITY
