"""advisor.api.without_cycle_collection: overlapping pauses, in one thread or several."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from advisor.api import without_cycle_collection


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_the_collector_is_back_only_when_the_last_overlapping_pause_ends() -> None:
    first, second = without_cycle_collection(), without_cycle_collection()
    first.__enter__()
    assert not gc.isenabled()
    second.__enter__()
    first.__exit__(None, None, None)  # the first ends while the second still runs (another thread's)
    assert not gc.isenabled()
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with without_cycle_collection():
        pass
    assert not gc.isenabled()


def test_pauses_in_several_threads_leave_the_collector_on() -> None:
    inside = threading.Barrier(4)
    leave = threading.Event()
    seen: list[bool] = []

    def pause() -> None:
        with without_cycle_collection():
            inside.wait()
            leave.wait()
            seen.append(gc.isenabled())

    threads = [threading.Thread(target=pause) for _ in range(3)]
    for t in threads:
        t.start()
    inside.wait()
    assert not gc.isenabled()
    leave.set()
    for t in threads:
        t.join()
    assert seen == [False, False, False]  # off in every thread until its own pause ended
    assert gc.isenabled()
