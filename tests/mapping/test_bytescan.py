import numpy as np
import pytest

from governance_pipeline.mapping.bytescan import SLICE, positions_of


@pytest.mark.parametrize("size", [0, 1, SLICE - 1, SLICE, SLICE + 1, 3 * SLICE + 17])
def test_positions_match_a_whole_array_compare_across_slice_edges(size):
    rng = np.random.default_rng(size)
    data = rng.choice(np.frombuffer(b'{}[]"a,\n ', np.uint8), size).astype(np.uint8)
    for edge in (SLICE - 1, SLICE, 2 * SLICE - 1):  # hits on both sides of a slice boundary
        if edge < size:
            data[edge] = ord("\n")
    assert np.array_equal(positions_of(data, ord("\n")), np.flatnonzero(data == ord("\n")))
    brackets = positions_of(data, ord("}"), fold=0x20)
    assert np.array_equal(brackets, np.flatnonzero((data == ord("}")) | (data == ord("]"))))
    assert positions_of(data, ord("\n")).dtype == np.int64


def test_no_position_when_the_byte_is_absent():
    assert len(positions_of(np.frombuffer(b"abc" * 1000, np.uint8), ord("\n"))) == 0
