"""Credential sets, resolved from literals or environment variables at every run (never cached)."""

from __future__ import annotations

import hmac
import os
import threading
from collections.abc import Mapping

from governance_pipeline.config.models import CredentialValue, EnvRef
from governance_pipeline.errors import PermanentError


class CredentialError(PermanentError):
    """A credential set cannot be resolved; the message names the set and key, never a value."""


_known_secrets: set[str] = set()
_lock = threading.Lock()


def _remember(value: str) -> None:
    if len(value) >= 4:
        with _lock:
            if len(_known_secrets) > 10_000:
                _known_secrets.clear()
            _known_secrets.add(value)


def resolve_credentials(credentials: Mapping[str, Mapping[str, CredentialValue]], ref: str) -> dict[str, str]:
    """The credential set ``ref`` with every ``{env: NAME}`` read from the environment now."""
    if ref not in credentials:
        raise CredentialError(f"unknown credential set '{ref}'")
    out: dict[str, str] = {}
    for key, value in credentials[ref].items():
        if isinstance(value, EnvRef):
            resolved = os.environ.get(value.env)
            if resolved is None:
                raise CredentialError(
                    f"credential set '{ref}' key '{key}': environment variable {value.env} is not set"
                )
        else:
            resolved = value
        _remember(resolved)
        out[key] = resolved
    return out


def redact(text: str, extra: tuple[str, ...] = ()) -> str:
    """``text`` with every secret this process has resolved (and ``extra``) replaced by ``***``."""
    with _lock:
        secrets = sorted(_known_secrets.union(s for s in extra if s and len(s) >= 4), key=len, reverse=True)
    for s in secrets:
        if s in text:
            text = text.replace(s, "***")
    return text


def secrets_equal(a: str | bytes, b: str | bytes) -> bool:
    """Constant-time comparison."""
    a_b = a.encode() if isinstance(a, str) else a
    b_b = b.encode() if isinstance(b, str) else b
    return hmac.compare_digest(a_b, b_b)
