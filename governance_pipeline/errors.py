"""The package's root exception, and whether an error is worth a retry, decided where it is raised.

Every error the package raises on purpose derives from ``GovernanceError`` and carries ``permanent``: True
when no retry can fix it (a missing credential, a refused key, a 4xx, a configuration problem, a request the
pipeline refuses to make), False when a later attempt may succeed (a 5xx, a timeout, a throttle). The retry
rule (``defs/failures.py``) reads that marker instead of guessing from types and messages after the fact.

Like dlt's ``TerminalException`` / ``TransientException`` (``dlt/common/exceptions.py``), the two marker
classes are mixed into concrete exceptions; an instance may also set ``permanent`` itself when the kind is
only known at run time (``HttpError`` from its status, ``S3AccessError`` from its AWS error code).
"""

from __future__ import annotations


class GovernanceError(Exception):
    """Root of the package's exceptions. ``permanent`` says whether retrying can help (default: it may)."""

    permanent: bool = False

    def __init__(self, *args: object, permanent: bool | None = None):
        super().__init__(*args)
        if permanent is not None:
            self.permanent = permanent


class PermanentError(GovernanceError):
    """No retry will fix this: fail at once, with one clear line."""

    permanent = True


class TransientError(GovernanceError):
    """A later attempt may succeed: retry with backoff."""

    permanent = False


def is_permanent(exc: BaseException) -> bool:
    """True when ``exc`` (or the package error it wraps, through ``raise ... from``) is marked permanent."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, GovernanceError):
            return bool(cur.permanent)
        cur = cur.__cause__
    return False
