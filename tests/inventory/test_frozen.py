"""The quick ``__init__`` of frozen dataclasses (:mod:`inventory.frozen`) builds what theirs does."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import io
import pickle
from dataclasses import InitVar, dataclass, field

import pytest

import advisor.model  # noqa: F401  (registers its classes)
import inventory.kubernetes
import inventory.model  # noqa: F401
from inventory.frozen import ORIGINAL_INITS, quick_init
from inventory.lazy import cached_property


def _instances(cls: type) -> tuple[object, object]:
    """An instance by the quick __init__ and one by the dataclass's own, from the same arguments:
    a distinct object per required field, the defaults left to each."""
    required = [object() for f in dataclasses.fields(cls) if f.default is dataclasses.MISSING
                and f.default_factory is dataclasses.MISSING]
    quick = cls(*required)
    own = object.__new__(cls)
    ORIGINAL_INITS[cls](own, *required)
    return quick, own


@pytest.mark.parametrize("cls", sorted(ORIGINAL_INITS, key=lambda c: c.__qualname__), ids=lambda c: c.__name__)
def test_the_quick_init_builds_what_the_dataclass_init_builds(cls: type) -> None:
    quick, own = _instances(cls)
    assert vars(quick) == vars(own)
    assert list(vars(quick)) == [f.name for f in dataclasses.fields(cls)]  # the same order, for repr and pickle
    def shown(init: object) -> list[tuple[str, object, object, str]]:  # what a reader of the signature sees
        return [(p.name, p.kind, p.annotation, repr(p.default))
                for p in inspect.signature(init).parameters.values()]  # type: ignore[arg-type]

    assert shown(cls.__init__) == shown(ORIGINAL_INITS[cls])
    # by keyword, and through dataclasses.replace (which calls __init__ with every field)
    by_name = cls(**vars(quick))
    assert vars(by_name) == vars(quick)
    first = dataclasses.fields(cls)[0].name
    changed = dataclasses.replace(quick, **{first: "changed"})
    assert getattr(changed, first) == "changed"
    rest = {k: v for k, v in vars(quick).items() if k != first}
    assert {k: v for k, v in vars(changed).items() if k != first} == rest


@quick_init
@dataclass(frozen=True)
class Value:
    name: str
    count: int = 0
    tags: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)


def test_defaults_factories_and_keywords() -> None:
    a, b = Value("a"), Value("a")
    assert a == b and Value("x", 1) == Value(name="x", count=1)
    assert a.extra == {} and a.extra is not b.extra  # a new one each time, as with the dataclass
    given: dict[str, str] = {"k": "v"}
    assert Value("a", extra=given).extra is given
    assert repr(Value("a", 2)) == "Value(name='a', count=2, tags=(), extra={})"
    assert pickle.loads(pickle.dumps(Value("p", 3, ("t",)))) == Value("p", 3, ("t",))
    with pytest.raises(TypeError):
        Value()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Value("a", 1, (), {}, 5)  # type: ignore[call-arg]


def test_only_plain_frozen_dataclasses() -> None:
    @dataclass
    class Mutable:
        x: int

    @dataclass(frozen=True)
    class Checked:
        x: int

        def __post_init__(self) -> None:
            pass

    @dataclass(frozen=True)
    class KeywordOnly:
        x: int = field(kw_only=True)

    @dataclass(frozen=True)
    class WithInitVar:
        x: int
        y: InitVar[int] = 0

    for cls in (Mutable, Checked, KeywordOnly, WithInitVar):
        with pytest.raises(TypeError):
            quick_init(cls)


@pytest.mark.parametrize("cls", sorted(ORIGINAL_INITS, key=lambda c: c.__qualname__), ids=lambda c: c.__name__)
def test_pickled_by_its_fields_and_rebuilt_the_same(cls: type) -> None:
    values = [f"v{i}" for i, f in enumerate(dataclasses.fields(cls)) if f.default is dataclasses.MISSING
              and f.default_factory is dataclasses.MISSING]
    value = cls(*values)
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    back = pickle.loads(data)
    assert type(back) is cls and back == value and vars(back) == vars(value)
    assert list(vars(back)) == [f.name for f in dataclasses.fields(cls)]
    # smaller than the default, which pickles the field names with the values
    out = io.BytesIO()
    usual = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    usual.dispatch_table = {}  # copyreg's table left out: the dataclass's own pickling
    usual.dump(value)
    assert pickle.loads(out.getvalue()) == value
    assert len(data) < len(out.getvalue())


@quick_init
@dataclass(frozen=True)
class Cached:
    x: int

    @cached_property
    def twice(self) -> int:
        return self.x * 2


@dataclass(frozen=True)
class Wider(Value):
    more: int = 0


def test_a_cached_value_is_not_pickled_and_a_subclass_pickles_as_usual() -> None:
    value = Cached(21)
    assert value.twice == 42 and "twice" in vars(value)
    back = pickle.loads(pickle.dumps(value))
    assert "twice" not in vars(back) and back.twice == 42 and back == value
    wider = Wider("w", 1, (), {}, 5)
    again = pickle.loads(pickle.dumps(wider))
    assert type(again) is Wider and again == wider and again.more == 5
    assert copy.copy(wider) == wider and copy.deepcopy(value) == value
