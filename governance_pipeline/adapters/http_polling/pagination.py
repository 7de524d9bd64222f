"""The ``paginator`` of an ``http_polling`` source as a strategy object, and which cursor is safe to commit.

``cursor`` paging (also what the flat ``cursorJsonPath``/``cursorParam``/``hasMoreJsonPath`` keys become, and
``link_header``/``json_link``): the next page comes from, in order, a ``Link: <...>; rel="next"`` header, then
the body value at the cursor path (an absolute URL there is followed as a next-page URL, anything else is sent
as the cursor). Paging stops on an empty page, on has-more false, when there is no next page, or when a cursor
comes back that this run already requested (a cycle, A->B->A as well as A->A).

``offset``, ``page_number`` and ``single_page`` are the shared strategies of ``governance_pipeline.http.paginators``;
they have no position worth committing (see docs/http_polling.md "Paging"), so their pages carry no cursor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from governance_pipeline.adapters.http_polling import config as cfg
from governance_pipeline.http.paginators import (
    OffsetPaginator,
    PageNumberPaginator,
    PageRequest,
    PageView,
    Paginator,
    SinglePagePaginator,
    as_cursor,
    is_url,
)


def next_link(links: Any, base_url: str) -> str | None:
    """The absolute ``rel=next`` URL from ``requests``' parsed ``Link`` header, if any."""
    nxt = links.get("next") if links else None
    url = nxt.get("url") if nxt else None
    return urljoin(base_url, url) if url else None


def strip_secrets(url: str, secrets: tuple[str, ...]) -> str:
    """A next-page URL fit to store as a cursor: query parameters carrying a secret are removed.

    They are added back from the configured params when the URL is requested again.
    """
    parts = urlsplit(url)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not any(s and s in v for s in secrets)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(kept), parts.fragment))


def has_more(flag: Any) -> bool | None:
    return None if flag is None else flag not in (False, "false", "False", 0)


class LinkOrCursorPaginator(Paginator):
    """``cursor`` paging: the Link header, else a body cursor that is a URL to follow or a value to send.

    ``current`` is the cursor of the next request (a URL, a value, or None for the configured request); ``safe``
    is the newest non-null cursor from which re-requesting returns nothing older than what has been written. On
    the last page (no next cursor) it stays the cursor that fetched that page, so the next run re-reads it (the
    lake drops what it already holds) and picks up whatever was appended since. ``cursor_param`` None: the
    cursor fills a ``${{cursor}}`` template instead of a query parameter.
    """

    type_name = "cursor"
    body_values = ("next", "has_more")

    def __init__(self, start: str | None, cursor_param: str | None, clean: Callable[[str], str] = lambda u: u):
        super().__init__()
        self.cursor_param, self.clean = cursor_param, clean
        self.current = self.safe = start
        self.cycles = 0
        self.seen: set[str] = {start} if start is not None else set()
        self._first = ""
        self._base = ""

    def init_request(self, request: PageRequest) -> None:
        super().init_request(request)
        self._first = request.url
        self._point(request)

    def update_state(self, page: PageView) -> None:
        self._base = page.url
        nxt = next_link(page.links, page.url)
        if nxt is None:
            nxt = as_cursor(page.value("next"))
        if nxt is not None and is_url(nxt):
            nxt = self.clean(nxt)
        more = has_more(page.value("has_more"))
        if page.count == 0 or nxt is None:
            self.has_next_page = False  # keep `safe`: the same position is re-read next run
        elif more is False:
            self.safe = nxt  # the API's own "resume from here" token
            self.has_next_page = False
        elif nxt in self.seen:
            self.cycles += 1
            self.has_next_page = False
        else:
            self.seen.add(nxt)
            self.safe = self.current = nxt

    def update_request(self, request: PageRequest) -> None:
        request.url, request.params = self._first, {}
        self._point(request)

    def _point(self, request: PageRequest) -> None:
        if is_url(self.current):
            assert self.current is not None
            self._follow(request, self.current, self._base or self._first)
        elif self.current is not None and self.cursor_param is not None:
            request.params[self.cursor_param] = self.current

    @property
    def template_cursor(self) -> str | None:
        """What ``${{cursor}}`` renders to for the next request."""
        return None if is_url(self.current) else self.current


def build(config: cfg.HttpPollingConfig, start: str | None, clean: Callable[[str], str]) -> Paginator:
    """A fresh paginator for one run of ``config``, resuming from the committed cursor ``start``."""
    p = config.paging
    if isinstance(p, (cfg.CursorPaging, cfg.LinkHeaderPaging, cfg.JsonLinkPaging)):
        cursor_param = p.cursorParam if isinstance(p, cfg.CursorPaging) else config.cursorParam
        param = None if config.compiled.cursor_in_template else cursor_param
        return LinkOrCursorPaginator(start, param, clean)
    if isinstance(p, cfg.OffsetPaging):
        return OffsetPaginator(p.limit, offset_param=p.offsetParam, limit_param=p.limitParam)
    if isinstance(p, cfg.PageNumberPaging):
        return PageNumberPaginator(base_page=p.basePage, page_param=p.pageParam)
    return SinglePagePaginator()
