"""The receiver's fast path for OTLP/JSON traces: the parsed document straight to its protobuf encoding, by the
compiled encoder (``_jsonspans.c``), without building protobuf messages in Python.

``encode(doc)`` gives the bytes ``json_decode.request_from_json(doc).SerializeToString()`` would, or None for a
document in a form the encoder leaves to ``json_decode`` (which also words the errors and leaves out the spans it
cannot decode); ``tests/otlp/test_json_spans.py`` checks both agree. Without the extension built, every document
takes ``json_decode``.
"""

from __future__ import annotations

from typing import Any

try:
    from governance_pipeline.otlp import _jsonspans
except ImportError:  # built by `pip install` where a C compiler is present (setup.py)
    _jsonspans = None  # type: ignore[assignment]


def available() -> bool:
    return _jsonspans is not None


def encode(doc: Any) -> bytes | None:
    """The protobuf ``ExportTraceServiceRequest`` of a parsed OTLP/JSON trace body, or None (see the module)."""
    return _jsonspans.encode(doc) if _jsonspans is not None else None
