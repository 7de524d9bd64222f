"""The worker-thread helpers behind the S3 and HTTP pulls: order, bounded look-ahead, errors, early stops."""

from __future__ import annotations

import threading
import time

import pytest

from governance_pipeline.read_ahead import ordered_map, read_ahead


def test_read_ahead_keeps_order_and_stays_a_bounded_number_of_items_ahead():
    produced = []

    def source():
        for i in range(20):
            produced.append(i)
            yield i

    consumed = []
    for item in read_ahead(source(), depth=2):
        time.sleep(0.005)
        # the worker holds at most `depth` queued items plus the one it is trying to hand over
        assert len(produced) - len(consumed) <= 4
        consumed.append(item)
    assert consumed == list(range(20))


def test_read_ahead_raises_the_sources_error_after_the_items_before_it():
    def source():
        yield 1
        yield 2
        raise ValueError("boom")

    got = []
    with pytest.raises(ValueError, match="boom"):
        for item in read_ahead(source()):
            got.append(item)
    assert got == [1, 2]


def test_a_consumer_that_stops_early_stops_and_closes_the_source():
    closed = threading.Event()

    def source():
        try:
            yield from range(10_000)
        finally:
            closed.set()

    items = read_ahead(source(), depth=1)
    assert next(items) == 0
    items.close()
    assert closed.wait(5)
    assert not any(t.name == "read-ahead" for t in threading.enumerate())


def test_ordered_map_yields_in_input_order_whatever_finishes_first():
    def slow_for_even(i):
        time.sleep(0.02 if i % 2 == 0 else 0)
        return i * 10

    assert list(ordered_map(slow_for_even, iter(range(9)), workers=2, ahead=2)) == [i * 10 for i in range(9)]


def test_ordered_map_raises_a_failed_item_in_its_place():
    def f(i):
        if i == 3:
            raise KeyError("three")
        return i

    got = []
    with pytest.raises(KeyError):
        for x in ordered_map(f, iter(range(6))):
            got.append(x)
    assert got == [0, 1, 2]
