"""From raw source records to normalized event columns: compiled JSONPath, coercion, precedence lists."""

from governance_pipeline.mapping.event_mapping import EventMapping
from governance_pipeline.mapping.jsonpath import compile_path, compile_path_all

__all__ = ["EventMapping", "compile_path", "compile_path_all"]
