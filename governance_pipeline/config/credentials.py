"""Credential sets, resolved from literals or environment variables at every run (never cached).

A value holding a control character (CR, LF, NUL, any C0 but TAB, or DEL) is refused: it cannot go in an HTTP
header, and the errors libraries raise about it quote the value. Redaction masks each secret as it is and in
the forms it takes on the way out: JSON/repr escaping, percent-encoding and base64 (at any byte alignment, so
``Basic`` credentials are caught too).
"""

from __future__ import annotations

import base64
import hmac
import json
import os
import re
import threading
from collections.abc import Iterable, Mapping
from urllib.parse import quote, quote_plus

from governance_pipeline.config.models import CredentialValue, EnvRef
from governance_pipeline.errors import PermanentError


class CredentialError(PermanentError):
    """A credential set cannot be resolved; the message names the set and key, never a value."""


_known_secrets: set[str] = set()
_lock = threading.Lock()
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_MIN_ENCODED = 8  # shorter encoded fragments would mask innocent text


def has_control_character(value: str) -> bool:
    return _CONTROL.search(value) is not None


def control_character_problem(what: str) -> str:
    """The message for a value with a control character: ``what`` names where it came from, never the value."""
    return (
        f"{what} holds a control character (CR, LF, NUL or similar), which no HTTP header may carry; "
        "a trailing newline from a file or `echo` is the usual cause"
    )


def _b64_cores(raw: bytes, urlsafe: bool) -> Iterable[str]:
    """The part of base64(x + raw + y) that is the same whatever x and y are, for each alignment of raw."""
    enc = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    for shift in range(3):
        text = enc(b"\0" * shift + raw).decode().rstrip("=")
        head = (shift * 4 + 2) // 3  # characters touched by the prefix bytes
        tail = len(text) % 4 if (shift + len(raw)) % 3 else 0  # a partial last group depends on what follows
        core = text[head : len(text) - tail]
        if len(core) >= _MIN_ENCODED:
            yield core


def encoded_forms(value: str) -> set[str]:
    """``value`` and how it looks escaped, percent-encoded and base64-encoded."""
    forms = {value}
    for escaped in (json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1], repr(value)[1:-1]):
        forms.add(escaped)
    forms.update({quote(value, safe=""), quote(value), quote_plus(value)})
    raw = value.encode()
    for urlsafe in (False, True):
        forms.update(_b64_cores(raw, urlsafe))
    return {f for f in forms if len(f) >= 4}


def _remember(value: str) -> None:
    if len(value) >= 4:
        forms = encoded_forms(value)
        with _lock:
            if len(_known_secrets) > 10_000:
                _known_secrets.clear()
            _known_secrets.update(forms)


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
            if has_control_character(resolved):
                raise CredentialError(
                    control_character_problem(f"credential set '{ref}' key '{key}': environment variable {value.env}")
                )
        else:
            resolved = value
        _remember(resolved)
        out[key] = resolved
    return out


def env_problems(credentials: Mapping[str, Mapping[str, CredentialValue]]) -> list[tuple[str, str]]:
    """(key path, message) for each ``{env: NAME}`` that is unset or holds a control character, now."""
    out = []
    for ref, values in credentials.items():
        for key, value in values.items():
            if not isinstance(value, EnvRef):
                continue
            resolved = os.environ.get(value.env)
            where = f"credentials.{ref}.{key}"
            if resolved is None:
                out.append((where, f"credential set '{ref}' key '{key}': environment variable {value.env} is not set"))
            elif has_control_character(resolved):
                out.append(
                    (
                        where,
                        control_character_problem(
                            f"credential set '{ref}' key '{key}': environment variable {value.env}"
                        ),
                    )
                )
    return out


def redact(text: str, extra: tuple[str, ...] = ()) -> str:
    """``text`` with every secret this process has resolved (and ``extra``), in any of its encoded forms,
    replaced by ``***``."""
    extra_forms: set[str] = set()
    for s in extra:
        if s and len(s) >= 4:
            extra_forms |= encoded_forms(s)
    with _lock:
        secrets = sorted(_known_secrets.union(extra_forms), key=len, reverse=True)
    for s in secrets:
        if s in text:
            text = text.replace(s, "***")
    return text


def secrets_equal(a: str | bytes, b: str | bytes) -> bool:
    """Constant-time comparison."""
    a_b = a.encode() if isinstance(a, str) else a
    b_b = b.encode() if isinstance(b, str) else b
    return hmac.compare_digest(a_b, b_b)
