"""``retry``: the bounded-retry knobs every HTTP source config carries, as the shared client's ``RetryPolicy``."""

from __future__ import annotations

from pydantic import Field

from governance_pipeline.config.models import StrictModel
from governance_pipeline.http.client import RetryPolicy


class RetryConfig(StrictModel):
    """Bounded retries for 429/5xx/connection errors (exponential backoff with jitter)."""

    maxAttempts: int = Field(default=6, ge=1, le=20)
    backoffBaseSeconds: float = Field(default=0.5, ge=0)
    backoffMaxSeconds: float = Field(default=30.0, ge=0)
    maxRetryAfterSeconds: float = Field(default=300.0, ge=0)
    timeoutSeconds: float = Field(default=60.0, gt=0)

    def policy(self) -> RetryPolicy:
        return RetryPolicy(self.maxAttempts, self.backoffBaseSeconds, self.backoffMaxSeconds, self.maxRetryAfterSeconds)
