"""HTTP paging as small strategy objects (the shape of dlt's ``rest_client/paginators.py``).

A paginator is told about each page it fetched (``update_state``) and then shapes the next request
(``update_request``) while ``has_next_page`` is true. Pages are read through a ``PageView``: the response's
headers and parsed ``Link`` header, the number of records, and ``value(name)``, the values the caller extracted
from the body (a JSON path the caller compiled once, e.g. ``next``, ``has_more``, ``total``). Paginators never
decode a body themselves, so a caller that splits pages without building Python objects keeps doing so.

Strategies, registered by ``type`` in ``PAGINATORS`` (the ``paginator`` key of an ``http_polling`` source):

- ``link_header``: the ``Link: <...>; rel="next"`` URL.
- ``header_link``: a next-page URL in a named response header (the Office 365 API's ``NextPageUri``).
- ``json_link``: a next-page URL at a JSON path of the body.
- ``cursor``: a cursor at a JSON path, sent back as a query parameter; an optional has-more flag stops it. It keeps
  the newest cursor that is safe to commit (``safe``) and stops on a cursor this run already sent (a cycle).
- ``offset``: ``offset``/``limit`` query parameters; stops on a short or empty page, or at a ``total``.
- ``page_number``: a page number parameter; stops on an empty page or after ``total_pages``.

Every strategy stops on an empty page. Next-page URLs must stay on the origin of the first request: following one
to another host would hand it the request's credentials, so ``NextUrlRefused`` is raised instead.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar
from urllib.parse import parse_qsl, urljoin, urlsplit


class NextUrlRefused(RuntimeError):
    """A next-page URL points at another origin than the first request's; it is never followed."""

    permanent = True


def origin(url: str) -> tuple[str, str]:
    """(scheme, host[:port]) of a URL, lower-cased, without user info."""
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.rsplit("@", 1)[-1].lower()


def as_cursor(value: Any) -> str | None:
    """A cursor value from a JSON body as text (None, "" and containers mean no cursor)."""
    if value is None or value == "" or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def is_url(cursor: str | None) -> bool:
    return cursor is not None and cursor.startswith(("https://", "http://"))


def truthy(flag: Any) -> bool | None:
    """A has-more flag as a bool (None: the page did not say)."""
    if flag is None:
        return None
    return flag not in (False, "false", "False", 0, "0")


@dataclass
class PageRequest:
    """The next request: its URL and query parameters (the caller adds headers and body)."""

    url: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class PageView:
    """What a paginator may read of a fetched page."""

    url: str  # the URL that was fetched (after redirects)
    count: int  # records on the page
    headers: Mapping[str, str] = field(default_factory=dict)
    links: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # requests' parsed Link header
    values: Mapping[str, Any] = field(default_factory=dict)  # body values the caller extracted, by name

    def value(self, name: str) -> Any:
        return self.values.get(name)


class Paginator(ABC):
    """One run's paging state. ``init_request`` once, then per page ``update_state`` and ``update_request``."""

    type_name: ClassVar[str]
    #: names of body values ``update_state`` reads (the caller extracts them at the configured JSON paths)
    body_values: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        self.has_next_page = True
        self._origin: tuple[str, str] | None = None

    def init_request(self, request: PageRequest) -> None:
        self._origin = origin(request.url)

    @abstractmethod
    def update_state(self, page: PageView) -> None: ...

    @abstractmethod
    def update_request(self, request: PageRequest) -> None: ...

    def _follow(self, request: PageRequest, next_url: str, base: str) -> None:
        url = urljoin(base, next_url)
        if self._origin is not None and origin(url) != self._origin:
            scheme, host = origin(url)
            raise NextUrlRefused(f"refusing to follow a next-page URL to another host ({scheme}://{host})")
        present = {k for k, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)}
        request.url = url
        request.params = {k: v for k, v in request.params.items() if k not in present}


class _NextUrl(Paginator):
    def __init__(self) -> None:
        super().__init__()
        self.next_url: str | None = None
        self._base = ""
        self._seen: set[str] = set()

    def _set(self, page: PageView, url: str | None) -> None:
        self._base = page.url
        if page.count == 0 or not url or url in self._seen:
            self.has_next_page, self.next_url = False, None
            return
        self._seen.add(url)
        self.next_url = url

    def update_request(self, request: PageRequest) -> None:
        if self.next_url is not None:
            self._follow(request, self.next_url, self._base)


class LinkHeaderPaginator(_NextUrl):
    type_name = "link_header"

    def __init__(self, rel: str = "next") -> None:
        super().__init__()
        self.rel = rel

    def update_state(self, page: PageView) -> None:
        link = page.links.get(self.rel) if page.links else None
        self._set(page, link.get("url") if link else None)


class HeaderLinkPaginator(_NextUrl):
    type_name = "header_link"

    def __init__(self, header: str) -> None:
        super().__init__()
        self.header = header

    def update_state(self, page: PageView) -> None:
        self._set(page, page.headers.get(self.header))


class JSONLinkPaginator(_NextUrl):
    type_name = "json_link"
    body_values = ("next",)

    def update_state(self, page: PageView) -> None:
        self._set(page, as_cursor(page.value("next")))


class JSONCursorPaginator(Paginator):
    """A cursor from the body, sent back as ``cursor_param``.

    ``safe`` is the newest cursor from which re-requesting returns nothing older than what was fetched: on the
    last page (no next cursor) it stays the cursor that fetched that page, so a later run re-reads it and picks up
    what was appended since; when the API says ``has_more: false`` together with a cursor, that cursor is its own
    "resume from here" token and becomes ``safe``.
    """

    type_name = "cursor"
    body_values = ("next", "has_more")

    def __init__(self, cursor_param: str = "cursor", start: str | None = None) -> None:
        super().__init__()
        self.cursor_param = cursor_param
        self.current = start
        self.safe = start
        self.cycles = 0
        self._seen: set[str] = {start} if start is not None else set()

    def init_request(self, request: PageRequest) -> None:
        super().init_request(request)
        if self.current is not None:
            request.params[self.cursor_param] = self.current

    def update_state(self, page: PageView) -> None:
        nxt = as_cursor(page.value("next"))
        more = truthy(page.value("has_more"))
        if page.count == 0 or nxt is None:
            self.has_next_page = False
            return
        if more is False:
            self.safe = nxt
            self.has_next_page = False
            return
        if nxt in self._seen:
            self.cycles += 1
            self.has_next_page = False
            return
        self._seen.add(nxt)
        self.safe = self.current = nxt

    def update_request(self, request: PageRequest) -> None:
        request.params[self.cursor_param] = self.current


class OffsetPaginator(Paginator):
    type_name = "offset"
    body_values = ("total",)

    def __init__(self, limit: int, offset: int = 0, offset_param: str = "offset", limit_param: str = "limit") -> None:
        super().__init__()
        self.limit, self.offset = limit, offset
        self.offset_param, self.limit_param = offset_param, limit_param

    def init_request(self, request: PageRequest) -> None:
        super().init_request(request)
        request.params[self.offset_param] = self.offset
        request.params[self.limit_param] = self.limit

    def update_state(self, page: PageView) -> None:
        self.offset += page.count
        total = page.value("total")
        if page.count < self.limit or (isinstance(total, int) and self.offset >= total):
            self.has_next_page = False

    def update_request(self, request: PageRequest) -> None:
        request.params[self.offset_param] = self.offset
        request.params[self.limit_param] = self.limit


class PageNumberPaginator(Paginator):
    type_name = "page_number"
    body_values = ("total_pages",)

    def __init__(self, base_page: int = 1, page_param: str = "page") -> None:
        super().__init__()
        self.page = base_page
        self.base_page = base_page
        self.page_param = page_param

    def init_request(self, request: PageRequest) -> None:
        super().init_request(request)
        request.params[self.page_param] = self.page

    def update_state(self, page: PageView) -> None:
        total = page.value("total_pages")
        self.page += 1
        if page.count == 0 or (isinstance(total, int) and self.page - self.base_page >= total):
            self.has_next_page = False

    def update_request(self, request: PageRequest) -> None:
        request.params[self.page_param] = self.page


class SinglePagePaginator(Paginator):
    """One request, no paging."""

    type_name = "single_page"

    def update_state(self, page: PageView) -> None:
        self.has_next_page = False

    def update_request(self, request: PageRequest) -> None:
        return None


T = TypeVar("T")


def paginate(
    paginator: Paginator, request: PageRequest, fetch: Callable[[PageRequest], tuple[T, PageView]]
) -> Iterator[T]:
    """Fetch pages until the paginator stops; ``fetch`` sends one request and returns (its result, its view).

    The paginator has seen a page before that page's result is yielded (so e.g. ``JSONCursorPaginator.safe`` is
    current), and the next request is sent only when the consumer asks for the next result.
    """
    paginator.init_request(request)
    while True:
        result, view = fetch(request)
        paginator.update_state(view)
        yield result
        if not paginator.has_next_page:
            return
        paginator.update_request(request)


PAGINATORS: dict[str, Callable[..., Paginator]] = {
    cls.type_name: cls
    for cls in (
        LinkHeaderPaginator,
        HeaderLinkPaginator,
        JSONLinkPaginator,
        JSONCursorPaginator,
        OffsetPaginator,
        PageNumberPaginator,
        SinglePagePaginator,
    )
}
