"""Load the sources file: ``config.loader`` validates the document with the adapter registry and the export
destinations parser given to it from this layer, so ``config/`` never imports the adapters or the exports."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from governance_pipeline.adapters.registry import get_adapter
from governance_pipeline.config.errors import ConfigError, ConfigProblem
from governance_pipeline.config.loader import Resolvers, parse_document
from governance_pipeline.config.models import SourcesFile
from governance_pipeline.export.config import parse_destinations
from governance_pipeline.settings import sources_path

RESOLVERS = Resolvers(adapter=get_adapter, destinations=parse_destinations)


def parse_sources(text: str, file: str = "sources.yaml", today: date | None = None) -> SourcesFile:
    """Parse and validate sources-file text; raises ``ConfigError`` listing every problem (file, source, key)."""
    return parse_document(text, file, today, RESOLVERS)


def load_sources(path: str | Path | None = None) -> SourcesFile:
    """Load the sources file (default: ``GOVERNANCE_SOURCES``)."""
    p = Path(path) if path is not None else sources_path()
    try:
        text = p.read_text()
    except OSError as exc:
        raise ConfigError([ConfigProblem(str(p), None, "", f"cannot read: {exc.strerror}")]) from None
    return parse_sources(text, file=str(p) if path is not None else p.name if p.parent == Path(".") else str(p))
