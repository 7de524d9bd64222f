"""``authMode``: the headers each request carries, built from this run's credentials.

``bearer``, ``basic`` and ``api_key`` read the keys ``token``, ``username``/``password`` and ``apiKey`` unless
the configured headers already carry the credential through a template; ``oauth2_client_credentials`` fetches
a token from ``tokenUrl`` with ``clientId``/``clientSecret`` and refreshes it on expiry or after a 401.
"""

from __future__ import annotations

import base64

from governance_pipeline.adapters.http_polling.config import HttpPollingConfig
from governance_pipeline.adapters.http_polling.templates import Context
from governance_pipeline.http.client import HttpClient
from governance_pipeline.http.oauth2 import ClientCredentialsToken


class Auth:
    def __init__(self, config: HttpPollingConfig, ctx: Context, client: HttpClient):
        self.mode = config.auth_mode
        self._static: dict[str, str] = {}
        self._token: ClientCredentialsToken | None = None
        creds = ctx.credentials
        compiled = config.compiled
        if self.mode == "oauth2_client_credentials":
            assert compiled.token_url is not None
            self._token = ClientCredentialsToken(
                client,
                compiled.token_url.render(ctx) or "",
                creds["clientId"],
                creds["clientSecret"],
                scope=config.oauth_scope,
            )
        elif compiled.header_has_auth or self.mode == "none":
            pass
        elif self.mode == "bearer":
            self._static = {"Authorization": f"Bearer {creds['token']}"}
        elif self.mode == "basic":
            raw = f"{creds['username']}:{creds['password']}".encode()
            encoded = base64.b64encode(raw).decode()
            client.add_secret(encoded)
            self._static = {"Authorization": f"Basic {encoded}"}
        elif self.mode == "api_key":
            self._static = {config.api_key_header: creds["apiKey"]}

    def headers(self) -> dict[str, str]:
        if self._token is not None:
            return self._token.header()
        return self._static

    def refresh(self) -> bool:
        """After a 401: drop a cached OAuth2 token; True when retrying can help."""
        if self._token is None:
            return False
        self._token.invalidate()
        return True
