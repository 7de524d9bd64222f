"""Config errors that name the file, the source and the key path."""

from __future__ import annotations

from dataclasses import dataclass

from governance_pipeline.errors import PermanentError


@dataclass(frozen=True)
class ConfigProblem:
    file: str
    source_id: str | None
    key_path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: "
        if self.source_id is not None:
            where += f"source '{self.source_id}': "
        return f"{where}{self.key_path}: {self.message}" if self.key_path else f"{where}{self.message}"


class ConfigError(PermanentError):
    """One or more problems in the sources file; ``str()`` gives one line per problem."""

    def __init__(self, problems: list[ConfigProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class ConfigValueError(ValueError):
    """Raised by adapter config validators; ``key_path`` is relative to the adapter's config."""

    def __init__(self, key_path: str, message: str):
        self.key_path = key_path
        super().__init__(message)


def format_loc(loc: tuple[str | int, ...]) -> str:
    """Pydantic ``loc`` tuple -> ``eventMapping.actor`` / ``headers[0]`` style key path."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out
