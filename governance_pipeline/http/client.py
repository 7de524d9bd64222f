"""One HTTP client for every pull adapter.

429 and 503 honour ``Retry-After`` (seconds or an HTTP date, capped); other 5xx and connection errors are
retried with exponential backoff and full jitter, a bounded number of times; any other 4xx fails at once with
the status and the (redacted) URL. Time spent waiting on the network and sleeping is measured, so callers can
report the share of a pull spent outside HTTP.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests

from governance_pipeline.errors import GovernanceError
from governance_pipeline.http.redact import install_log_redaction, redact_text, redact_url, remember_secret

_RETRYABLE_EXC = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    max_retry_after: float = 300.0
    retry_statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504})


class HttpError(GovernanceError):
    """A request that failed for good; the message carries the status and the redacted URL, never a secret."""

    def __init__(self, status: int | None, method: str, url: str, detail: str = ""):
        self.status = status
        self.url = url
        # a 4xx will be refused again (except a timeout or a throttle); 5xx and network errors may pass later
        self.permanent = status is not None and 400 <= status < 500 and status not in (408, 429)
        what = f"HTTP {status}" if status is not None else "request failed"
        super().__init__(f"{what} for {method} {url}" + (f": {detail}" if detail else ""))


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class HttpClient:
    def __init__(
        self,
        policy: RetryPolicy | None = None,
        timeout: float = 60.0,
        secrets: tuple[str, ...] = (),
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.policy = policy or RetryPolicy()
        self.timeout = timeout
        self.secrets = tuple(s for s in secrets if s)
        for s in self.secrets:
            remember_secret(s)
        install_log_redaction()
        self.session = requests.Session()
        self._sleep = sleep
        self.requests = 0
        self.retries = 0
        self.wait_seconds = 0.0  # time inside HTTP calls and retry sleeps

    def close(self) -> None:
        self.session.close()

    def add_secret(self, secret: str) -> None:
        """Mask ``secret`` too (e.g. an OAuth2 access token fetched during the run)."""
        if secret and secret not in self.secrets:
            self.secrets = self.secrets + (secret,)
            remember_secret(secret)

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """Send with retries; returns a 2xx/3xx response or raises ``HttpError``."""
        kwargs.setdefault("timeout", self.timeout)
        attempt = 0
        while True:
            attempt += 1
            started = time.perf_counter()
            try:
                self.requests += 1
                resp = self.session.request(method, url, **kwargs)
                _ = resp.content  # read the body inside the timed span
            except _RETRYABLE_EXC as exc:
                self.wait_seconds += time.perf_counter() - started
                if attempt >= self.policy.max_attempts:
                    raise HttpError(
                        None, method, redact_url(url, self.secrets), redact_text(type(exc).__name__, self.secrets)
                    ) from None
                self._backoff(attempt, None)
                continue
            self.wait_seconds += time.perf_counter() - started
            if resp.status_code < 400:
                return resp
            if resp.status_code in self.policy.retry_statuses and attempt < self.policy.max_attempts:
                delay = parse_retry_after(resp.headers.get("Retry-After")) if resp.status_code in (429, 503) else None
                self._backoff(attempt, delay)
                continue
            detail = redact_text(resp.text[:300].replace("\n", " "), self.secrets) if resp.text else ""
            raise HttpError(resp.status_code, method, redact_url(resp.url or url, self.secrets), detail)

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", url, **kwargs)

    def _backoff(self, attempt: int, retry_after: float | None) -> None:
        self.retries += 1
        if retry_after is not None:
            delay = min(retry_after, self.policy.max_retry_after)
        else:
            cap = min(self.policy.backoff_max, self.policy.backoff_base * (2 ** (attempt - 1)))
            delay = random.uniform(cap / 2, cap)
        started = time.perf_counter()
        self._sleep(delay)
        self.wait_seconds += time.perf_counter() - started
