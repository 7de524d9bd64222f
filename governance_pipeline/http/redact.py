"""Keep secrets out of URLs and messages before they reach a log, an error or the lake."""

from __future__ import annotations

import logging
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
    query = urlencode(
        [(k, "***" if _SENSITIVE.search(k) else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    )
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return redact(urlunsplit((parts.scheme, netloc, parts.path, query, "")), secrets)


def redact_text(text: str, secrets: tuple[str, ...] = ()) -> str:
    return redact(text, secrets)


def remember_secret(secret: str) -> None:
    """Mask ``secret`` from now on in every redaction, the library log filter included."""
    from governance_pipeline.config import credentials

    if secret:
        credentials._remember(secret)


class RedactingFilter(logging.Filter):
    """Rewrites library log records (urllib3 logs request URLs with their query) with secrets masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the emitter's problem; keep it as is
            return True
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


_FILTER = RedactingFilter()


def install_log_redaction(logger_names: tuple[str, ...] = ("urllib3.connectionpool", "urllib3")) -> None:
    """Idempotently attach the redacting filter to the loggers that echo request URLs."""
    for name in logger_names:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
