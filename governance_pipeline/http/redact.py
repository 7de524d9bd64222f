"""Keep secrets out of URLs and messages before they reach a log, an error or the lake."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from governance_pipeline.config.credentials import redact

_SENSITIVE = re.compile(r"(token|key|secret|password|passwd|signature|sig|auth|code|credential)", re.I)


def redact_url(url: str, secrets: tuple[str, ...] = ()) -> str:
    """``url`` with sensitive query values and user info masked, and every known secret replaced."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact(url, secrets)
    query = urlencode([(k, "***" if _SENSITIVE.search(k) else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)])
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return redact(urlunsplit((parts.scheme, netloc, parts.path, query, "")), secrets)


def redact_text(text: str, secrets: tuple[str, ...] = ()) -> str:
    return redact(text, secrets)
