"""The sources file: typed models, validation with path-precise errors (``loader``; loaded through
``governance_pipeline.sources_file``), and credentials resolved per run."""

from governance_pipeline.config.errors import ConfigError, ConfigProblem
from governance_pipeline.config.models import Source, SourcesFile

__all__ = ["ConfigError", "ConfigProblem", "Source", "SourcesFile"]
