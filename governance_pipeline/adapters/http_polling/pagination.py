"""Where the next page is, and which cursor is safe to commit.

The next page comes from, in order: a ``Link: <...>; rel="next"`` header, then the value at
``cursorJsonPath`` (an absolute URL there is followed as a next-page URL, anything else is sent as the
cursor). Paging stops on an empty page, on ``hasMoreJsonPath`` false, when there is no next page, or when a
cursor comes back that this run already requested (a cycle, A->B->A as well as A->A).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit


def as_cursor(value: Any) -> str | None:
    """A cursor value from a JSON body as text (None and "" mean no cursor)."""
    if value is None or value == "" or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def is_url(cursor: str | None) -> bool:
    return cursor is not None and (cursor.startswith(("https://", "http://")))


def origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.rsplit("@", 1)[-1].lower()


def next_link(links: dict, base_url: str) -> str | None:
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


@dataclass
class CursorTracker:
    """The cursors of one run: which were requested, and the last one that is safe to commit.

    ``safe`` is the newest non-null cursor from which re-requesting returns nothing older than what has
    been written; on the last page (no next cursor) it stays the cursor that fetched that page, so the next
    run re-reads it (the lake drops what it already holds) and picks up whatever was appended since.
    """

    start: str | None
    seen: set[str] = field(default_factory=set)
    cycles: int = 0

    def __post_init__(self) -> None:
        self.safe = self.start
        self.current = self.start
        if self.start is not None:
            self.seen.add(self.start)

    def advance(self, next_cursor: str | None, page_size: int, has_more: bool | None) -> bool:
        """Record one fetched page; True when another page should be requested."""
        if page_size == 0:
            return False  # keep `safe`: the same position is re-read next run
        if next_cursor is None:
            return False
        if has_more is False:
            self.safe = next_cursor  # the API's own "resume from here" token
            return False
        if next_cursor in self.seen:
            self.cycles += 1
            return False
        self.seen.add(next_cursor)
        self.safe = next_cursor
        self.current = next_cursor
        return True
