"""The page loop of ``http_polling``: build each request from the compiled templates, send it through the
shared client, decode the body once, find events / next page / has-more, and track the safe cursor."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson
import requests
import simdjson

from governance_pipeline.adapters.http_polling.auth import Auth
from governance_pipeline.adapters.http_polling.config import Compiled, HttpPollingConfig
from governance_pipeline.adapters.http_polling.pagination import (
    CursorTracker,
    as_cursor,
    is_url,
    next_link,
    origin,
    strip_secrets,
)
from governance_pipeline.adapters.http_polling.templates import Context
from governance_pipeline.http.client import HttpClient, HttpError
from governance_pipeline.http.redact import redact_url

log = logging.getLogger("governance_pipeline.http_polling")


class PullError(RuntimeError):
    """A pull that cannot go on (bad body, foreign next-page host); the message names the source, no secret."""


@dataclass
class Page:
    records: list[Any]
    url: str  # redacted
    cursor: str | None  # safe to commit once this page and earlier ones are durable
    cycle: bool = False
    raw_count: int | None = None  # records before a source-side filter (default: len(records))
    lines: list[bytes] | None = None  # instead of records: each event (a JSON object) as compact JSON text


class _Split:
    """A body parsed by simdjson: the plain paths are read from it, and the events come out as compact JSON
    text (``mini``) without becoming Python objects, for the NDJSON block mapping. Any doubt (an event that is
    not an object, a path with wildcards, a body simdjson rejects) and the caller decodes the body with orjson."""

    def __init__(self, events: list[str], cursor: list[str] | None, has_more: list[str] | None):
        self.events, self.cursor, self.has_more = events, cursor, has_more

    @classmethod
    def of(cls, c: Compiled) -> _Split | None:
        return cls(*c.key_paths) if c.key_paths is not None else None

    def read(self, body: bytes) -> tuple[list[bytes], Any, Any] | None:
        """(event lines, cursor value, has-more value), or None to take the orjson path."""
        try:
            doc = simdjson.Parser().parse(body)
        except (ValueError, RuntimeError):  # RuntimeError: e.g. BIGINT_ERROR, an integer beyond 64 bits
            return None
        events = _walk(doc, self.events)
        if events is None:
            lines: list[bytes] = []
        elif isinstance(events, simdjson.Object):
            lines = [events.mini]
        elif isinstance(events, simdjson.Array):
            lines = [e.mini if isinstance(e, simdjson.Object) else None for e in events]
            if None in lines:
                return None  # an event that is not an object: the orjson path quarantines it
        else:
            return None
        cursor = _scalar(_walk(doc, self.cursor)) if self.cursor is not None else None
        has_more = _scalar(_walk(doc, self.has_more)) if self.has_more is not None else None
        return lines, cursor, has_more


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
        self.origin = origin(self.c.url.render(ctx) or "")
        self.split = _Split.of(self.c) if as_lines else None

    def pages(self, start: str | None) -> Iterator[Page]:
        tracker = CursorTracker(start)
        while True:
            method, url, kwargs = self._request(tracker.current)
            resp = self._send(method, url, kwargs)
            shown = redact_url(resp.url or url, self.client.secrets)
            split = self.split.read(resp.content) if self.split is not None else None
            lines: list[bytes] | None = None
            if split is not None:
                lines, cursor_value, flag = split
                records: list[Any] = []
            else:
                doc = self._decode(resp, method, shown)
                records = self.c.events(doc)
                cursor_value = self.c.cursor(doc) if self.c.cursor is not None else None
                flag = self.c.has_more(doc) if self.c.has_more is not None else None
            nxt = next_link(resp.links, resp.url or url)
            if nxt is None and self.c.cursor is not None:
                nxt = as_cursor(cursor_value)
            if is_url(nxt):
                nxt = strip_secrets(nxt, self.client.secrets)  # type: ignore[arg-type]
            has_more = None if flag is None else flag not in (False, "false", "False", 0)
            count = len(lines) if lines is not None else len(records)
            cycles = tracker.cycles
            more = tracker.advance(nxt, count, has_more)
            cycle = tracker.cycles > cycles
            if cycle:
                log.warning("source %s: cursor cycle at %s; stopped paging", self.source_id, shown)
            yield Page(records, shown, tracker.safe, cycle, lines=lines)
            if not more:
                return

    def _request(self, cursor: str | None) -> tuple[str, str, dict]:
        ctx = dataclasses.replace(self.ctx, cursor=None if is_url(cursor) else cursor)
        params = {k: v for k, t in self.c.params.items() if (v := t.render(ctx)) is not None}
        headers = {k: v for k, t in self.c.headers.items() if (v := t.render(ctx)) is not None}
        headers.update(self.auth.headers())
        kwargs: dict[str, Any] = {"headers": headers}
        if is_url(cursor):
            assert cursor is not None
            if origin(cursor) != self.origin:
                raise PullError(
                    f"source '{self.source_id}': refusing to follow a next-page URL to another host "
                    f"({redact_url(cursor, self.client.secrets)})"
                )
            present = {k for k, _ in parse_qsl(urlsplit(cursor).query, keep_blank_values=True)}
            kwargs["params"] = {k: v for k, v in params.items() if k not in present}
            url = cursor
        else:
            url = self.c.url.render(ctx) or ""
            if cursor is not None and not self.c.cursor_in_template:
                params[self.config.cursorParam] = cursor
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
