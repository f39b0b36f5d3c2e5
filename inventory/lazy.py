"""``cached_property`` without a lock, as Python 3.12 made it.

Python 3.11's :func:`functools.cached_property` takes one lock per property, shared by every
instance of the class. The dashboard's server runs analyses in several threads and forks worker
processes (and the analysis a child) from among them; a child forked while another thread held
such a lock waits for it for ever the first time it reads that property on any instance (seen: 9
of 25 dashboard analyses hung in the forked child). Without the lock, two threads reading the same
property of the same instance at once may both compute it; every property cached this way is a
pure function of its instance, so both get the same value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

_T = TypeVar("_T")


class cached_property(Generic[_T]):
    """A property computed on first access and stored in the instance's ``__dict__`` (which then
    shadows it); works on frozen dataclasses, like :func:`functools.cached_property`."""

    def __init__(self, func: Callable[[Any], _T]) -> None:
        self.func = func
        self.attrname: str | None = None
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.attrname = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> cached_property[_T]: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> _T: ...

    def __get__(self, instance: object | None, owner: type | None = None) -> _T | cached_property[_T]:
        if instance is None:
            return self
        if self.attrname is None:
            raise TypeError("cached_property used without __set_name__")
        value = self.func(instance)
        instance.__dict__[self.attrname] = value
        return value
