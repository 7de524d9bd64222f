"""The page loop of ``http_polling``: the configured paginator driven by ``paginate``; each request is built from
the compiled templates plus the paginator's URL and parameters, sent through the shared client, and its body
decoded once (or split by simdjson) for the events and the body values the paginator reads."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterator
from typing import Any, cast
from urllib.parse import parse_qsl, urlsplit

import orjson
import requests
import simdjson

from governance_pipeline.adapters.http_polling import pagination
from governance_pipeline.adapters.http_polling.auth import Auth
from governance_pipeline.adapters.http_polling.config import Compiled, HttpPollingConfig
from governance_pipeline.adapters.http_polling.pagination import LinkOrCursorPaginator, strip_secrets
from governance_pipeline.adapters.http_polling.templates import Context
from governance_pipeline.adapters.pages import Page
from governance_pipeline.errors import PullError
from governance_pipeline.http.client import HttpClient, HttpError
from governance_pipeline.http.paginators import CrossOriginRefused, PageRequest, PageView, paginate
from governance_pipeline.http.redact import redact_url

log = logging.getLogger("governance_pipeline.http_polling")


class _Split:
    """A body parsed by simdjson: the plain paths are read from it, and the events come out as compact JSON
    text (``mini``) without becoming Python objects, for the NDJSON block mapping. Any doubt (an event that is
    not an object, a path with wildcards, a body simdjson rejects) and the caller decodes the body with orjson."""

    def __init__(self, events: list[str], values: dict[str, list[str]]):
        self.events, self.values = events, values

    @classmethod
    def of(cls, c: Compiled) -> _Split | None:
        return cls(*c.key_paths) if c.key_paths is not None else None

    def read(self, body: bytes) -> tuple[list[bytes], dict[str, Any]] | None:
        """(event lines, the paginator's body values by name), or None to take the orjson path."""
        try:
            doc = simdjson.Parser().parse(body)
        except (ValueError, RuntimeError):  # RuntimeError: e.g. BIGINT_ERROR, an integer beyond 64 bits
            return None
        events = _walk(doc, self.events)
        if events is None:
            lines: list[bytes] = []
        elif isinstance(events, simdjson.Object):
            lines = [_mini(events)]
        elif isinstance(events, simdjson.Array):
            found = [_mini(e) if isinstance(e, simdjson.Object) else None for e in events]
            if None in found:
                return None  # an event that is not an object: the orjson path quarantines it
            lines = cast(list[bytes], found)
        else:
            return None
        return lines, {name: _scalar(_walk(doc, steps)) for name, steps in self.values.items()}


def _mini(obj: simdjson.Object) -> bytes:
    """The object's compact JSON text (pysimdjson returns bytes; its stubs say str)."""
    return cast(bytes, obj.mini)


def _walk(doc: Any, steps: list[str]) -> Any:
    for key in steps:
        if not isinstance(doc, simdjson.Object):
            return None
        try:
            doc = doc[key]
        except KeyError:
            return None
    return doc


def _scalar(value: Any) -> Any:
    return None if isinstance(value, (simdjson.Object, simdjson.Array)) else value


class PageFetcher:
    def __init__(
        self,
        source_id: str,
        config: HttpPollingConfig,
        ctx: Context,
        client: HttpClient,
        auth: Auth,
        as_lines: bool = False,
    ):
        """``as_lines``: hand events over as compact JSON lines (``Page.lines``) where the body allows it."""
        self.source_id = source_id
        self.config = config
        self.c = config.compiled
        self.ctx = ctx
        self.client = client
        self.auth = auth
        self.split = _Split.of(self.c) if as_lines else None

    def pages(self, start: str | None) -> Iterator[Page]:
        """The configured paginator driven by ``paginate``; each page carries the cursor safe to commit once it
        and the pages before it are durable (None for paging without a committable position)."""
        secrets = self.client.secrets
        paginator = pagination.build(self.config, start, lambda url: strip_secrets(url, secrets))
        cursor_of = paginator if isinstance(paginator, LinkOrCursorPaginator) else None
        start_cursor = cursor_of.template_cursor if cursor_of is not None else None
        first = self.c.url.render(dataclasses.replace(self.ctx, cursor=start_cursor)) or ""

        started = time.monotonic()
        fetched = 0

        def fetch(request: PageRequest) -> tuple[tuple[list[Any], list[bytes] | None, str], PageView]:
            nonlocal fetched
            if fetched >= self.config.maxPages:
                raise PullError(
                    f"source '{self.source_id}': still paging after maxPages={self.config.maxPages} pages; "
                    "the run stops without moving the cursor (raise maxPages if the API really has that many)"
                )
            if time.monotonic() - started > self.config.maxRunSeconds:
                raise PullError(
                    f"source '{self.source_id}': still paging after maxRunSeconds={self.config.maxRunSeconds:g} "
                    f"({fetched} pages); the run stops without moving the cursor"
                )
            fetched += 1
            method, url, kwargs = self._request(request, first, cursor_of.template_cursor if cursor_of else None)
            resp = self._send(method, url, kwargs)
            shown = redact_url(resp.url or url, secrets)
            split = self.split.read(resp.content) if self.split is not None else None
            lines: list[bytes] | None = None
            if split is not None:
                lines, values = split
                records: list[Any] = []
            else:
                doc = self._decode(resp, method, shown)
                records = self.c.events(doc)
                values = {name: get(doc) for name, get in self.c.values.items()}
            count = len(lines) if lines is not None else len(records)
            return (records, lines, shown), PageView(resp.url or url, count, resp.headers, resp.links, values)

        cycles = 0
        try:
            for records, lines, shown in paginate(paginator, PageRequest(first), fetch):
                cycle = cursor_of is not None and cursor_of.cycles > cycles
                if cursor_of is not None:
                    cycles = cursor_of.cycles
                if cycle:
                    log.warning("source %s: cursor cycle at %s; stopped paging", self.source_id, shown)
                yield Page(records, shown, cursor_of.safe if cursor_of else None, cycle, lines=lines)
        except CrossOriginRefused as exc:
            raise CrossOriginRefused(f"source '{self.source_id}': {exc}") from None

    def _request(self, request: PageRequest, first: str, cursor: str | None) -> tuple[str, str, dict]:
        ctx = dataclasses.replace(self.ctx, cursor=cursor)
        params = {k: v for k, t in self.c.params.items() if (v := t.render(ctx)) is not None}
        headers = {k: v for k, t in self.c.headers.items() if (v := t.render(ctx)) is not None}
        headers.update(self.auth.headers())
        kwargs: dict[str, Any] = {"headers": headers}
        if request.url != first:  # a next-page URL (its origin checked by the paginator): its own query wins
            present = {k for k, _ in parse_qsl(urlsplit(request.url).query, keep_blank_values=True)}
            params = {k: v for k, v in params.items() if k not in present}
            url = request.url
        else:
            url = self.c.url.render(ctx) or ""
        params.update(request.params)
        kwargs["params"] = params
        if self.config.method == "POST" and self.c.body is not None:
            kwargs["data"] = orjson.dumps(self.c.body.render(ctx))
            headers.setdefault("Content-Type", "application/json")
        return self.config.method, url, kwargs

    def _send(self, method: str, url: str, kwargs: dict) -> requests.Response:
        try:
            return self.client.request(method, url, **kwargs)
        except HttpError as exc:
            if exc.status == 401 and self.auth.refresh():
                kwargs["headers"].update(self.auth.headers())
                return self.client.request(method, url, **kwargs)
            raise

    def _decode(self, resp: requests.Response, method: str, shown: str) -> Any:
        try:
            return orjson.loads(resp.content)
        except orjson.JSONDecodeError as exc:
            raise PullError(f"source '{self.source_id}': response to {method} {shown} is not JSON ({exc})") from None
