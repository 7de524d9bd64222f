"""Sources-file text for the S3 tests."""

from __future__ import annotations

import json

from tests.support.mappings import NESTED_MAPPING

NESTED = NESTED_MAPPING
CSV = {
    "source_event_id": "$.event_id",
    "event_timestamp": "$.timestamp",
    "actor": "$.user_email",
    "action": "$.action",
    "target": "$.model",
    "cost_usd": "$.cost_usd",
    "tokens_input": "$.input_tokens",
    "tokens_output": "$.output_tokens",
}

CREDENTIALS = """
credentials:
  aws:
    accessKeyId: {env: TEST_S3_KEY_ID}
    secretAccessKey: {env: TEST_S3_SECRET}
"""


def s3_polling(url: str, bucket: str, parser: str = "ndjson", prefix: str = "drops/", extra: dict | None = None) -> str:
    config = {
        "bucket": bucket,
        "prefix": prefix,
        "region": "us-east-1",
        "endpointUrl": url,
        "credentialRef": "aws",
        "parser": parser,
        "schedule": "0 * * * *",
        "eventMapping": CSV if parser == "csv" else NESTED,
        **(extra or {}),
    }
    source = {"id": "drops", "type": "s3_polling", "startDate": "2026-09-01", "config": config}
    return CREDENTIALS + "sources:\n  - " + json.dumps(source) + "\n"


def openai_compliance(url: str, bucket: str, role_arn: str, **extra) -> str:
    config = {
        "bucket": bucket,
        "roleArn": role_arn,
        "region": "us-east-1",
        "endpointUrl": url,
        "credentialRef": "aws",
        **extra,
    }
    source = {"id": "drops", "type": "openai_compliance", "startDate": "2026-09-01", "config": config}
    return CREDENTIALS + "sources:\n  - " + json.dumps(source) + "\n"
