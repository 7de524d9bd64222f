"""``openai_compliance``: OpenAI Enterprise Compliance drops (hourly gzipped JSONL in the customer's bucket).

A locked-down ``s3_polling`` over the same engine: the parser and the mapping are fixed; the admin gives the
bucket, the prefix (default ``compliance/``), the role to assume and how often to poll. Content-classification
flags stay in ``raw_payload`` and are surfaced as JSON text in ``flags``. The feed carries tokens but usually
no cost, so the cost enrichment prices events from their model (``cost_source = computed``).
"""

from __future__ import annotations

from pydantic import Field, field_validator

from governance_pipeline.adapters.s3_polling import S3AccessConfig, S3DropAdapter, check_role
from governance_pipeline.mapping.event_mapping import EventMapping

MAPPING = EventMapping(
    {
        "source_event_id": "$.id",
        "event_timestamp": "$.created_at",
        "actor": "$.user.email",
        "action": "$.type",
        "target": "$.model",
        "model": "$.model",
        "tokens_input": "$.usage.prompt_tokens",
        "tokens_output": "$.usage.completion_tokens",
        "tokens_cache_read": "$.usage.prompt_tokens_details.cached_tokens",  # part of prompt_tokens (OpenAI)
        "tokens_reasoning": "$.usage.completion_tokens_details.reasoning_tokens",  # part of completion_tokens
        "cost_usd": "$.usage.cost",
        "conversation_id": "$.conversation_id",
        "flags": "$.content_classification",
    }
)
FALLBACKS = {"actor": "$.user.id"}  # users without an email are named by their id
CONSTANTS = {"provider": "openai"}


class OpenAIComplianceConfig(S3AccessConfig):
    roleArn: str  # the cross-account role OpenAI's bucket owner grants; assumed on every run
    prefix: str = "compliance/"
    pollEverySec: int = Field(default=60, ge=5, le=86_400)

    _role_required = field_validator("roleArn")(check_role)


class OpenAIComplianceAdapter(S3DropAdapter):
    type_name = "openai_compliance"
    Config = OpenAIComplianceConfig
    default_max_lag_minutes = 180  # hourly drops, written some time after their hour

    def drop_options(self) -> dict:
        return {"parser": "ndjson", "mapping": MAPPING, "constants": dict(CONSTANTS), "fallbacks": dict(FALLBACKS)}
