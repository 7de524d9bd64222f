"""The OTLP receiver on loopback with the OTLP tests' sources file (tests/otlp/conftest.py)."""

from tests.otlp.conftest import lake, receiver, sources_file  # noqa: F401  (pytest fixtures)
