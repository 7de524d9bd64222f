"""OAuth2 client-credentials tokens: fetched on first use, refreshed before expiry or after a 401.

The token lives only in this object (one run); it is registered with the client so errors mask it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import orjson

from governance_pipeline.http.client import HttpClient, HttpError

EXPIRY_SKEW_SECONDS = 60.0


class ClientCredentialsToken:
    def __init__(
        self,
        client: HttpClient,
        token_url: str,
        client_id: str,
        client_secret: str,
        scope: str | None = None,
        extra: dict[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.client = client
        self.token_url = token_url
        self._form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}
        if scope:
            self._form["scope"] = scope
        self._form.update(extra or {})
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self.fetches = 0
        client.add_secret(client_secret)

    def get(self) -> str:
        if self._token is None or self._clock() >= self._expires_at:
            self._fetch()
        assert self._token is not None
        return self._token

    def invalidate(self) -> None:
        self._token = None

    def header(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.get()}"}

    def _fetch(self) -> None:
        resp = self.client.post(self.token_url, data=self._form, headers={"Accept": "application/json"})
        try:
            doc = orjson.loads(resp.content)
            token = doc["access_token"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            raise HttpError(resp.status_code, "POST", self.token_url, "token response has no access_token") from None
        self.client.add_secret(token)
        expires_in = float(doc.get("expires_in") or 3600)
        self._token = token
        self._expires_at = self._clock() + max(0.0, expires_in - EXPIRY_SKEW_SECONDS)
        self.fetches += 1
