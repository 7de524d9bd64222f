"""``govpipe sources secret``: a new bearer secret for an ``otel_generic`` source, printed once, with its sha256.

Only the sha256 goes into the sources file (``config.secretSha256``); the secret itself is stored nowhere.
"""

from __future__ import annotations

from governance_pipeline.receiver.auth import new_secret, secret_sha256


def secret_command(args) -> int:
    secret = new_secret()
    print(f"secret:       {secret}")
    print(f"secretSha256: {secret_sha256(secret)}")
    print("# The secret is shown only now: give it to the sender as 'Authorization: Bearer <secret>'")
    print("# and paste secretSha256 into the source's config in the sources file.")
    return 0
