"""The sources file: typed models, loading with path-precise errors, and credentials resolved per run."""

from governance_pipeline.config.errors import ConfigError, ConfigProblem
from governance_pipeline.config.loader import load_sources, parse_sources
from governance_pipeline.config.models import Source, SourcesFile

__all__ = ["ConfigError", "ConfigProblem", "Source", "SourcesFile", "load_sources", "parse_sources"]
