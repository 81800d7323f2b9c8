"""The classify stage's read-ahead: the next batch is computed while the current one is written,
with the same calls, in the same order, and an error where that batch's result would be."""

import threading

import pytest

from detector.pipeline import read_ahead


def test_same_results_in_order_and_the_next_computed_while_the_current_is_handled():
    started: list[int] = []
    release = threading.Event()

    def fn(x):
        started.append(x)
        if x == 1:
            release.set()
        return x * 10

    out = []
    for r in read_ahead(fn, [0, 1, 2, 3]):
        if r == 0:
            # while the caller holds batch 0's result, batch 1 is being computed
            assert release.wait(5)
        out.append(r)
    assert out == [0, 10, 20, 30]
    assert started == [0, 1, 2, 3]  # each once, in order (one thread)


def test_an_error_comes_out_at_its_own_item_after_the_earlier_results():
    def fn(x):
        if x == 2:
            raise ValueError("bad batch 2")
        return x

    got = []
    with pytest.raises(ValueError, match="bad batch 2"):
        for r in read_ahead(fn, [0, 1, 2, 3]):
            got.append(r)
    assert got == [0, 1]


def test_closing_early_stops_the_thread_and_computes_at_most_one_more():
    calls: list[int] = []
    gen = read_ahead(lambda x: calls.append(x) or x, list(range(10)))
    assert next(gen) == 0
    gen.close()
    assert calls in ([0, 1], [0])
    assert not [t for t in threading.enumerate() if t.name.startswith("classify-ahead")]


def test_nothing_to_do():
    assert list(read_ahead(lambda x: x, [])) == []
