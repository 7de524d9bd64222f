"""The shared HTTP client: bounded retries, Retry-After, backoff with jitter, redacted errors."""

from governance_pipeline.http.client import HttpClient, HttpError, RetryPolicy, parse_retry_after

__all__ = ["HttpClient", "HttpError", "RetryPolicy", "parse_retry_after"]
