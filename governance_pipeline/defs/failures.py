"""Which pull failures are worth a retry: configuration and permission problems are not."""

import dagster as dg

from governance_pipeline.config.credentials import CredentialError, redact
from governance_pipeline.http.client import HttpError


# S3/STS error codes that no retry will fix
PERMANENT_AWS_CODES = frozenset({
    "AccessDenied", "NoSuchBucket", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidClientTokenId",
    "AuthorizationHeaderMalformed", "AllAccessDisabled", "InvalidBucketName",
})


def is_permanent(exc: BaseException) -> bool:
    if isinstance(exc, CredentialError):
        return True
    code = getattr(exc, "response", None)
    if isinstance(code, dict) and code.get("Error", {}).get("Code") in PERMANENT_AWS_CODES:
        return True
    if isinstance(exc, HttpError):
        return exc.status is not None and 400 <= exc.status < 500 and exc.status not in (408, 429)
    return False


def as_failure(exc: BaseException) -> BaseException:
    """A Dagster ``Failure`` that skips the retry policy for permanent errors; other errors unchanged."""
    if is_permanent(exc):
        return dg.Failure(description=redact(f"{type(exc).__name__}: {exc}"), allow_retries=False)
    return exc
