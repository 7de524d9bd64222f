from collections.abc import Sequence
from typing import Any

Strings = tuple[bytes, bytes]  # UTF-8 data, int32 offsets
KeyColumn = tuple[bytes, bytes, bytes, Strings, dict[int, Any]]

def scan(
    payloads: Sequence[bytes], wanted: tuple[str, ...], /
) -> tuple[
    int,
    list[int],
    int,
    Strings,
    Strings,
    Strings,
    Strings,
    Strings,
    bytes,
    bytes,
    bytes,
    dict[int, KeyColumn],
    list[Any],
]: ...
