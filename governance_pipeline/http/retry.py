"""``retry``: the bounded-retry knobs every HTTP source config carries, as the shared client's ``RetryPolicy``."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from governance_pipeline.config.models import StrictModel
from governance_pipeline.http.client import DEFAULT_DEADLINE_SECONDS, DEFAULT_MAX_RESPONSE_BYTES, RetryPolicy


class RetryConfig(StrictModel):
    """Bounded retries for 429/5xx/connection errors (exponential backoff with jitter)."""

    maxAttempts: int = Field(default=6, ge=1, le=20)
    backoffBaseSeconds: float = Field(default=0.5, ge=0)
    backoffMaxSeconds: float = Field(default=30.0, ge=0)
    maxRetryAfterSeconds: float = Field(default=300.0, ge=0)
    timeoutSeconds: float = Field(default=60.0, gt=0)
    # whole exchange (redirects and body included) and response body size, per attempt
    deadlineSeconds: float = Field(default=DEFAULT_DEADLINE_SECONDS, gt=0)
    maxResponseMiB: float = Field(default=DEFAULT_MAX_RESPONSE_BYTES / (1 << 20), gt=0)

    def policy(self) -> RetryPolicy:
        return RetryPolicy(self.maxAttempts, self.backoffBaseSeconds, self.backoffMaxSeconds, self.maxRetryAfterSeconds)

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for ``HttpClient``: policy, per-read timeout, deadline and byte cap."""
        return {
            "policy": self.policy(),
            "timeout": self.timeoutSeconds,
            "deadline": self.deadlineSeconds,
            "max_response_bytes": int(self.maxResponseMiB * (1 << 20)),
        }
