"""One HTTP client for every pull adapter.

429 and 503 honour ``Retry-After`` (seconds or an HTTP date, capped); other 5xx and connection errors are
retried with exponential backoff and full jitter, a bounded number of times; any other 4xx fails at once with
the status and the (redacted) URL. Time spent waiting on the network and sleeping is measured, so callers can
report the share of a pull spent outside HTTP.

Against hostile peers (docs/http_polling.md, "Client limits"): redirects are followed here, not by
``requests``, and a hop to another origin (scheme, host, port) drops every credential-bearing header (any
header whose value holds a known secret, and ``Authorization``/``Proxy-Authorization``/``Cookie``/``x-api-key``
whatever their value) and refuses to resend a body holding a secret; each attempt, redirects and body included,
has an overall deadline; each response body a byte cap.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from governance_pipeline.errors import GovernanceError
from governance_pipeline.http.deadline import Watch, WatchedAdapter
from governance_pipeline.http.redact import install_log_redaction, redact_text, redact_url, remember_secret

DEFAULT_DEADLINE_SECONDS = 300.0
DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024 * 1024
MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})
# sent only to the origin they were meant for, whatever their value
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key", "api-key"})
_DEFAULT_PORTS = {"http": 80, "https": 443}

_RETRYABLE_EXC = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    max_retry_after: float = 300.0
    retry_statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504})


class HttpError(GovernanceError):
    """A request that failed for good; the message carries the status and the redacted URL, never a secret."""

    def __init__(self, status: int | None, method: str, url: str, detail: str = ""):
        self.status = status
        self.url = url
        # a 4xx will be refused again (except a timeout or a throttle); 5xx and network errors may pass later
        self.permanent = status is not None and 400 <= status < 500 and status not in (408, 429)
        what = f"HTTP {status}" if status is not None else "request failed"
        super().__init__(f"{what} for {method} {url}" + (f": {detail}" if detail else ""))


class _Refused(Exception):
    """Not retryable: the exchange broke a limit (deadline, size, redirects, a credential's origin)."""

    def __init__(self, detail: str, status: int | None = None):
        super().__init__(detail)
        self.status = status


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the scheme's default port filled in: what a credential is bound to."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class HttpClient:
    def __init__(
        self,
        policy: RetryPolicy | None = None,
        timeout: float = 60.0,
        secrets: tuple[str, ...] = (),
        sleep: Callable[[float], None] = time.sleep,
        deadline: float = DEFAULT_DEADLINE_SECONDS,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ):
        self.policy = policy or RetryPolicy()
        self.timeout = timeout
        self.deadline = deadline
        self.max_response_bytes = max_response_bytes
        self.secrets = tuple(s for s in secrets if s)
        for s in self.secrets:
            remember_secret(s)
        install_log_redaction()
        self.session = requests.Session()
        adapter = WatchedAdapter()
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self._sleep = sleep
        self.requests = 0
        self.retries = 0
        self.wait_seconds = 0.0  # time inside HTTP calls and retry sleeps

    def close(self) -> None:
        self.session.close()

    def add_secret(self, secret: str) -> None:
        """Mask ``secret`` too (e.g. an OAuth2 access token fetched during the run)."""
        if secret and secret not in self.secrets:
            self.secrets = self.secrets + (secret,)
            remember_secret(secret)

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """Send with retries; returns a 2xx response (or a 3xx without Location) or raises ``HttpError``."""
        kwargs.setdefault("timeout", self.timeout)
        attempt = 0
        while True:
            attempt += 1
            started = time.perf_counter()
            try:
                self.requests += 1
                resp = self._exchange(method, url, dict(kwargs))
            except _Refused as exc:
                self.wait_seconds += time.perf_counter() - started
                raise HttpError(exc.status, method, redact_url(url, self.secrets), str(exc)) from None
            except _RETRYABLE_EXC as exc:
                self.wait_seconds += time.perf_counter() - started
                if attempt >= self.policy.max_attempts:
                    raise HttpError(
                        None, method, redact_url(url, self.secrets), redact_text(type(exc).__name__, self.secrets)
                    ) from None
                self._backoff(attempt, None)
                continue
            except (requests.exceptions.InvalidHeader, requests.exceptions.InvalidURL, ValueError) as exc:
                # their messages quote the offending value, which may be a secret with a stray newline
                raise HttpError(
                    None, method, redact_url(url, self.secrets), f"invalid request ({type(exc).__name__})"
                ) from None
            self.wait_seconds += time.perf_counter() - started
            if resp.status_code < 400:
                return resp
            if resp.status_code in self.policy.retry_statuses and attempt < self.policy.max_attempts:
                delay = parse_retry_after(resp.headers.get("Retry-After")) if resp.status_code in (429, 503) else None
                self._backoff(attempt, delay)
                continue
            detail = redact_text(resp.text[:300].replace("\n", " "), self.secrets) if resp.text else ""
            raise HttpError(resp.status_code, method, redact_url(resp.url or url, self.secrets), detail)

    def _exchange(self, method: str, url: str, kwargs: dict[str, Any]) -> requests.Response:
        """One attempt: the request and the redirects it leads to, under one deadline, each body capped."""
        with Watch(self.deadline) as watch:
            try:
                for hop in range(MAX_REDIRECTS + 1):
                    resp = self._fetch(method, url, kwargs)
                    location = resp.headers.get("Location") if resp.status_code in REDIRECTS else None
                    if not location:
                        return resp
                    if hop == MAX_REDIRECTS:
                        raise _Refused(f"more than {MAX_REDIRECTS} redirects", resp.status_code)
                    nxt = urljoin(resp.url or url, location)
                    if origin(nxt) != origin(resp.url or url):
                        self._drop_credentials(kwargs)
                    if resp.status_code == 303 or (resp.status_code in (301, 302) and method == "POST"):
                        method = "GET"
                        kwargs.pop("data", None)
                        kwargs.pop("json", None)
                    kwargs.pop("params", None)  # the Location is the complete next URL
                    url = nxt
            except _Refused:
                raise
            except Exception:
                if watch.expired:
                    raise _Refused(f"no complete response within the {self.deadline:g} s deadline") from None
                raise
            if watch.expired:  # pragma: no cover - the timer fired as the last byte arrived
                raise _Refused(f"no complete response within the {self.deadline:g} s deadline")
        raise AssertionError("unreachable")

    def _fetch(self, method: str, url: str, kwargs: dict[str, Any]) -> requests.Response:
        resp = self.session.request(method, url, allow_redirects=False, stream=True, **kwargs)
        cap = self.max_response_bytes
        try:
            declared = resp.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > cap:
                raise _Refused(f"response body over the limit of {cap} bytes", resp.status_code)
            chunks, size = [], 0
            for chunk in resp.iter_content(1 << 20):
                chunks.append(chunk)
                size += len(chunk)
                if size > cap:
                    raise _Refused(f"response body over the limit of {cap} bytes", resp.status_code)
        except BaseException:
            resp.raw.close()  # never hand a half-read connection back to the pool
            resp.close()
            raise
        resp._content = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        resp._content_consumed = True  # type: ignore[attr-defined]  # requests marks a read body this way
        resp.close()  # the body is read: the connection goes back to the pool
        return resp

    def _drop_credentials(self, kwargs: dict[str, Any]) -> None:
        """Before a hop to another origin: no credential header (the session's included), no secret body."""
        merged = {**self.session.headers, **(kwargs.get("headers") or {})}
        headers = dict(kwargs.get("headers") or {})
        for name, value in merged.items():
            if value is not None and self._is_credential(name, str(value)):
                headers[name] = None  # None removes a session header too
        kwargs["headers"] = headers
        body = kwargs.get("data") if kwargs.get("data") is not None else kwargs.get("json")
        if body is not None and self._holds_secret(str(body)):
            raise _Refused("refusing to resend a request body holding a credential to another origin")

    def _is_credential(self, name: str, value: str) -> bool:
        return name.lower() in CREDENTIAL_HEADERS or self._holds_secret(value)

    def _holds_secret(self, text: str) -> bool:
        return any(len(s) >= 4 and (s in text or redact_text(text, (s,)) != text) for s in self.secrets)

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", url, **kwargs)

    def _backoff(self, attempt: int, retry_after: float | None) -> None:
        self.retries += 1
        if retry_after is not None:
            delay = min(retry_after, self.policy.max_retry_after)
        else:
            cap = min(self.policy.backoff_max, self.policy.backoff_base * (2 ** (attempt - 1)))
            delay = random.uniform(cap / 2, cap)
        started = time.perf_counter()
        self._sleep(delay)
        self.wait_seconds += time.perf_counter() - started
