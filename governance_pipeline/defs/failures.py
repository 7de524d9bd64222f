"""Which pull failures are worth a retry: configuration and permission problems are not."""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
from governance_pipeline.config.credentials import CredentialError, redact
from governance_pipeline.http.client import HttpError

# S3/STS error codes that no retry will fix
PERMANENT_AWS_CODES = frozenset(
    {
        "AccessDenied",
        "NoSuchBucket",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "InvalidClientTokenId",
        "AuthorizationHeaderMalformed",
        "AllAccessDisabled",
        "InvalidBucketName",
    }
)


def is_permanent(exc: BaseException) -> bool:
    if isinstance(exc, CredentialError):
        return True
    if _aws_code(exc) in PERMANENT_AWS_CODES:
        return True
    if isinstance(exc, HttpError):
        return exc.status is not None and 400 <= exc.status < 500 and exc.status not in (408, 429)
    return False


def _aws_code(exc: BaseException) -> str | None:
    """The AWS error code of an ``S3AccessError`` (what S3 pulls raise) or of a botocore ``ClientError``."""
    code = getattr(exc, "aws_code", None)
    if code is None and isinstance(getattr(exc, "response", None), dict):
        code = exc.response.get("Error", {}).get("Code")  # type: ignore[attr-defined]
    return code


@contextmanager
def fail_fast_on_permanent_errors() -> Iterator[None]:
    """Re-raise permanent errors as a Dagster ``Failure`` that skips the retry policy; others unchanged."""
    try:
        yield
    except Exception as exc:
        if not is_permanent(exc):
            raise
        raise dg.Failure(description=redact(f"{type(exc).__name__}: {exc}"), allow_retries=False) from exc
