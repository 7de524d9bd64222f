"""Bearer secrets: generation, hashing, and the constant-time check against ``secretSha256``."""

from __future__ import annotations

import base64
import hashlib
import secrets

from governance_pipeline.config.credentials import secrets_equal

SECRET_PREFIX = "gp_is_"


def new_secret() -> str:
    """A fresh bearer secret: ``gp_is_`` and the URL-safe base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()


def secret_sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def authorized(authorization: str | None, expected_sha256: str) -> bool:
    """True when the header carries a bearer secret whose sha256 is ``expected_sha256`` (constant time)."""
    token = bearer_token(authorization)
    presented = secret_sha256(token) if token is not None else "0" * 64
    return secrets_equal(presented, expected_sha256.lower()) and token is not None
