from typing import Any

Strings = tuple[bytes, bytes]  # UTF-8 data, int32 offsets
KeyColumn = tuple[bytes, bytes, bytes, Strings, dict[int, Any]]

def scan(
    payload: bytes, wanted: tuple[str, ...], /
) -> (
    tuple[int, Strings, Strings, Strings, Strings, Strings, bytes, bytes, bytes, dict[int, KeyColumn], list[Any]] | None
): ...
