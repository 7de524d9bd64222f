"""boto3/botocore failures in plain words: what went wrong with a destination, never a secret."""

from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
)

from governance_pipeline.config.credentials import CredentialError, redact
from governance_pipeline.errors import GovernanceError
from governance_pipeline.export.config import Destination
from governance_pipeline.export.s3 import DeleteError

ACCESS_DENIED = "access_denied"
NO_BUCKET = "bucket_not_writable"
BAD_KEY_ID = "key_id_not_found"
BAD_SECRET = "secret_mismatch"
BAD_ENDPOINT = "invalid_endpoint"
NO_CREDENTIALS = "no_credentials"
OTHER = "error"


@dataclass(frozen=True)
class DestinationProblem:
    kind: str
    message: str

    def __str__(self) -> str:
        return self.message


class DestinationError(GovernanceError):
    """An export or check failed for a reason the user can fix; ``kind`` is one of the constants above."""

    def __init__(self, problem: DestinationProblem):
        self.kind = problem.kind
        super().__init__(problem.message, permanent=problem.kind != OTHER)


def describe(exc: BaseException, dest: Destination, action: str = "write to") -> DestinationProblem:
    """The plain-words problem behind ``exc`` for ``dest`` (``action``: what we were doing)."""
    where = f"s3://{dest.bucket}/{dest.prefix}" if dest.prefix else f"s3://{dest.bucket}"
    endpoint = dest.endpointUrl or f"AWS S3 ({dest.region or 'us-east-1'})"
    code = _code(exc)
    if code in ("AccessDenied", "AllAccessDisabled", "Forbidden", "403", "AccountProblem"):
        return DestinationProblem(
            ACCESS_DENIED,
            f"access denied: the credentials may not {action} {where} "
            "(check the bucket policy and the key's permissions)",
        )
    if code in ("NoSuchBucket", "InvalidBucketName", "PermanentRedirect", "AuthorizationHeaderMalformed", "404"):
        return DestinationProblem(
            NO_BUCKET,
            f"bucket '{dest.bucket}' does not exist or is not writable "
            f"at {endpoint} (check the bucket name and region)",
        )
    if code == "InvalidAccessKeyId":
        return DestinationProblem(
            BAD_KEY_ID,
            "the access key id you provided does not exist "
            f"(credential set '{dest.credentialRef or 'AWS default chain'}')",
        )
    if code == "SignatureDoesNotMatch":
        return DestinationProblem(
            BAD_SECRET,
            "the secret access key does not match the access key id "
            f"(credential set '{dest.credentialRef or 'AWS default chain'}')",
        )
    if isinstance(exc, (EndpointConnectionError, ConnectTimeoutError)) or _is_bad_url(exc):
        return DestinationProblem(
            BAD_ENDPOINT,
            f"invalid endpoint: cannot reach an S3-compatible API at "
            f"{endpoint} (only S3-compatible endpoints are supported; omit "
            "endpointUrl for AWS)",
        )
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        return DestinationProblem(NO_CREDENTIALS, "no credentials: set credentialRef or the AWS_* variables")
    if isinstance(exc, CredentialError):
        return DestinationProblem(NO_CREDENTIALS, redact(str(exc)))
    return DestinationProblem(OTHER, redact(f"{type(exc).__name__}: {exc}"))


def _code(exc: BaseException) -> str | None:
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        return str(err.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode"))
    if isinstance(exc, DeleteError):
        return exc.code
    return None


def _is_bad_url(exc: BaseException) -> bool:
    text = str(exc)
    if isinstance(exc, ValueError) and "Invalid endpoint" in text:
        return True
    return isinstance(exc, BotoCoreError) and type(exc).__name__ in ("InvalidEndpointConfigurationError",)
