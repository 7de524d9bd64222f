"""Byte positions in a block of many MB, found without temporaries the size of the block.

``data == 10`` over a 16 MB block allocates a 16 MB mask. An allocation that size is fresh memory from the OS
each time, and the kernel zero-fills every page of it on first touch: across a 1M-event pull, that page
clearing cost more CPU than the compares. Here the compares run a slice at a time into small per-thread
arrays that are reused, so only the (small) array of positions is new.
"""

from __future__ import annotations

import threading

import numpy as np

SLICE = 1 << 20
_local = threading.local()


def _scratch() -> tuple[np.ndarray, np.ndarray]:
    arrays = getattr(_local, "arrays", None)
    if arrays is None:
        arrays = _local.arrays = (np.empty(SLICE, np.uint8), np.empty(SLICE, np.bool_))
    return arrays


def positions_of(data: np.ndarray, byte: int, fold: int = 0) -> np.ndarray:
    """The indices (int64, ascending) of ``data`` (uint8) where ``value | fold == byte``; ``fold=0x20`` finds
    ``}`` and ``]`` together when ``byte`` is ``}``."""
    folded, mask = _scratch()
    found = []
    for start in range(0, len(data), SLICE):
        part = data[start : start + SLICE]
        n = len(part)
        if fold:
            part = np.bitwise_or(part, fold, out=folded[:n])
        hits = np.flatnonzero(np.equal(part, byte, out=mask[:n]))
        if len(hits):
            found.append(hits + start if start else hits)
    if not found:
        return np.empty(0, np.int64)
    return found[0] if len(found) == 1 else np.concatenate(found)
