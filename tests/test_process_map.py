"""``process_map``: results in order from worker processes; a failure in ``fn`` reaches the caller unchanged."""

from __future__ import annotations

import os

import pytest

from governance_pipeline.process_map import process_map


def square_and_pid(n: int) -> tuple[int, int]:
    return n * n, os.getpid()


def fail_on_three(n: int) -> int:
    if n == 3:
        raise ValueError("three")
    return n


def test_results_arrive_in_order_from_other_processes():
    results = list(process_map(square_and_pid, list(range(20)), workers=2))
    assert [r for r, _ in results] == [n * n for n in range(20)]
    assert os.getpid() not in {pid for _, pid in results}


def test_an_exception_in_fn_reaches_the_caller_after_the_earlier_results():
    got = []
    with pytest.raises(ValueError, match="three"):
        for r in process_map(fail_on_three, list(range(6)), workers=2):
            got.append(r)
    assert got == [0, 1, 2]
