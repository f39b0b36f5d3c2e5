"""inventory.lazy.cached_property: computed once per instance, and no lock shared between instances
(a process forked while one thread computed such a property would wait for that lock for ever)."""

from __future__ import annotations

import pickle
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from inventory.lazy import cached_property
from inventory.model import Dependency, Evidence


@dataclass(frozen=True)
class Point:
    x: int
    calls: list[int]

    @cached_property
    def double(self) -> int:
        self.calls.append(1)
        return self.x * 2


def test_computed_once_per_instance_even_when_frozen_and_kept_through_pickling() -> None:
    p = Point(3, [])
    assert (p.double, p.double, len(p.calls)) == (6, 6, 1)
    assert Point(4, []).double == 8
    copy = pickle.loads(pickle.dumps(p))
    assert copy.double == 6 and copy == p
    assert isinstance(Point.double, cached_property)


def test_one_instance_being_computed_never_holds_up_another() -> None:
    started, release = threading.Event(), threading.Event()

    class Slow:
        def __init__(self, block: bool) -> None:
            self.block = block

        @cached_property
        def value(self) -> int:
            if self.block:
                started.set()
                release.wait(10)
            return 42

    blocked = threading.Thread(target=lambda: Slow(True).value)
    blocked.start()
    assert started.wait(5)
    done: list[int] = []
    other = threading.Thread(target=lambda: done.append(Slow(False).value))
    other.start()
    try:
        other.join(2)
        assert done == [42]  # while the first is still being computed
    finally:
        release.set()
        blocked.join()
        other.join()


class _Blocking(tuple[Evidence, ...]):
    """Evidence whose iteration waits until released: ``Dependency.bases`` is computed from it."""

    started = threading.Event()
    release = threading.Event()

    def __iter__(self) -> Iterator[Evidence]:
        _Blocking.started.set()
        _Blocking.release.wait(10)
        return super().__iter__()


def test_the_models_cached_properties_never_wait_for_another_instance() -> None:
    """Reading ``bases`` of one dependency while another thread computes it for another one returns at
    once (functools' version on Python 3.11 makes it wait: a child process forked meanwhile waited
    for ever)."""
    seen = Evidence("kubernetes", "a.yaml:3", "seen")
    slow = Dependency("a", "b", "sync", _Blocking((seen,)))
    quick = Dependency("a", "c", "sync", (seen,))
    blocked = threading.Thread(target=lambda: slow.bases)
    blocked.start()
    assert _Blocking.started.wait(5)
    done: list[tuple[str, ...]] = []
    other = threading.Thread(target=lambda: done.append(quick.bases))
    other.start()
    try:
        other.join(2)
        assert done == [("static",)]
    finally:
        _Blocking.release.set()
        blocked.join()
        other.join()
