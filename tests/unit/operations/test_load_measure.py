"""What a load measures is the service's, not the measuring process's (pure, in-process)."""

from __future__ import annotations

import gc

from minwon.operations.load import Ack, FrozenHeap, longest_gap


def test_the_longest_gap_is_found_with_where_it_began() -> None:
    times = [10.2, 10.4, 13.9, 14.0]
    assert longest_gap(times, 10.0, 15.0) == (3.5, 10.4)
    # Nothing inside the window: the whole window, from its start.
    assert longest_gap([1.0, 20.0], 10.0, 15.0) == (5.0, 10.0)
    # The window's edges count: a load that stopped answering before the end.
    assert longest_gap([10.1, 10.5], 10.0, 15.0) == (4.5, 10.5)


def test_acks_are_measured_by_when_their_answer_arrived() -> None:
    ack = Ack("k", "n", at=12.5, attempts=1, replayed=False, began=10.0)
    assert ack.seconds == 2.5
    assert longest_gap([ack.at], 10.0, 13.0) == (2.5, 10.0)


def test_a_load_freezes_the_heap_it_found_and_thaws_it_after() -> None:
    """While a load runs, the objects the process held before it are out of every
    collection's scan; the pauses that remain are recorded; afterwards all is as it was."""
    held = [{"n": i} for i in range(50_000)]
    heap = FrozenHeap()
    heap.start()
    try:
        assert gc.get_freeze_count() >= len(held)
        garbage = [[i] for i in range(10_000)]
        garbage.append(garbage)  # a cycle only a collection frees
        del garbage
        gc.collect()
        assert heap.longest > 0.0
    finally:
        heap.stop()
    assert gc.get_freeze_count() == 0
    assert heap._observe not in gc.callbacks
    heap.stop()  # a second stop (a failed run's cleanup) changes nothing
    assert gc.get_freeze_count() == 0
