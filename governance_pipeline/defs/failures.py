"""Which pull failures are worth a retry: the error says so itself (``governance_pipeline.errors``).

A ``GovernanceError`` marked ``permanent`` (a missing credential, a 4xx other than 408/429, an S3 or STS
error such as ``AccessDenied``, a refused cross-origin link, a backfill the source cannot do, a bad sources
file) fails the step at once, skipping the step retry policy; everything else, including errors the package
did not raise on purpose, keeps the retry policy.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
from governance_pipeline.config.credentials import redact
from governance_pipeline.errors import is_permanent

__all__ = ["fail_fast_on_permanent_errors", "is_permanent"]


@contextmanager
def fail_fast_on_permanent_errors() -> Iterator[None]:
    """Re-raise permanent errors as a Dagster ``Failure`` that skips the retry policy; others unchanged."""
    try:
        yield
    except Exception as exc:
        if not is_permanent(exc):
            raise
        raise dg.Failure(description=redact(f"{type(exc).__name__}: {exc}"), allow_retries=False) from exc
