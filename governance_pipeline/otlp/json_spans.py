"""The receiver's fast path for OTLP/JSON traces: the body's text straight to its protobuf encoding, in one pass
by the compiled encoder (``_jsonspans.c``), with no Python object per value.

``encode(body)`` gives a protobuf encoding of the request ``json_decode.request_from_json(orjson.loads(body))``
builds, or None for a body the encoder leaves to ``json_decode`` (which also words the errors and leaves out the
spans it cannot decode); ``tests/otlp/test_json_spans.py`` checks both agree. Without the extension built, every
body takes ``json_decode``.
"""

from __future__ import annotations

from governance_pipeline.otlp.compiled import COMPILED_ERRORS

try:
    from governance_pipeline.otlp import _jsonspans
except ImportError:  # built by `pip install` where a C compiler is present (setup.py)
    _jsonspans = None  # type: ignore[assignment]


def available() -> bool:
    return _jsonspans is not None


def encode(body: bytes) -> bytes | None:
    """The protobuf ``ExportTraceServiceRequest`` of an OTLP/JSON trace body, or None (see the module)."""
    if _jsonspans is None:
        return None
    try:
        return _jsonspans.encode(body)
    except COMPILED_ERRORS:  # past a limit of the encoder's: json_decode takes the body
        return None
