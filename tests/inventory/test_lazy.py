"""inventory.lazy.cached_property: computed once per instance, and no lock shared between instances
(a process forked while one thread computed such a property would wait for that lock for ever)."""

from __future__ import annotations

import pickle
import threading
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


def test_the_models_cached_properties_are_the_lock_free_ones() -> None:
    assert isinstance(vars(Dependency)["bases"], cached_property)
    assert isinstance(vars(Evidence)["sort_key"], cached_property)
