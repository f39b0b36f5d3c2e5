"""The compiled builder of YAML values (``inventory._fastyaml``): what it takes on, what it leaves
to the builder in Python, and that it keeps no references it should not.

That its values are exactly ``CSafeLoader``'s is tested in test_fast_yaml.py, which runs every
comparison with it and without it.
"""

from __future__ import annotations

import sys
import tracemalloc
from collections.abc import Iterator

import pytest
import yaml

from inventory import documents
from inventory.cache import runtime_version
from inventory.documents import Limits
from inventory.errors import LimitExceeded

_fastyaml = pytest.importorskip(
    "inventory._fastyaml", reason="inventory._fastyaml was not built (no C compiler or no libyaml headers)")

LEFT = documents._LEFT


def _load(text: str) -> object:
    return _fastyaml.load(text, LEFT)


def test_safe_load_uses_it_for_plain_documents(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Kubernetes-shaped document never reaches libyaml's composer in PyYAML."""

    def refuse(*args: object) -> object:
        raise AssertionError("read by the builder in Python")

    monkeypatch.setattr(documents, "_FastLoader", refuse)
    text = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: orders, labels: {on: 'yes'}}\n"
            "spec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n      - name: app\n"
            "        env:\n        - {name: DB_URL, value: 'postgres://db:5432/x'}\n"
            "        - name: RATIO\n          value: .5\n        ports: [{containerPort: 8080}]\n")
    assert documents.safe_load(text) == yaml.load(text, Loader=yaml.CSafeLoader)


@pytest.mark.parametrize("text", [
    "a: &x 1\n",                       # an anchor
    "a: &x [1]\nb: *x\n",              # an alias
    "a: !!str 1\n",                    # an explicit tag
    "a: ! 1\n",                        # the non-specific tag
    "!!map {a: 1}",                    # a tag on a collection
    "%YAML 1.1\n---\na: 1\n",          # a directive
    "%TAG !e! tag:example.com:\n---\na: 1\n",
    "a: 1\n---\nb: 2\n",               # a second document
    "a: [1, 2",                        # a parse error
    "? [1, 2]\n: v\n",                 # a key that is not a scalar
    "? {a: 1}\n: v\n",
    "a: <<\n",                         # a merge key's tag, from the callable
    "a: 2023-02-30\n",                 # the callable raises (a date that is not one)
    "a: " + "9" * 1200 + "\n",         # a long integer, left to PyYAML by the callable
    "a: \ud800\n",                     # a lone surrogate: no UTF-8 for libyaml
    "[" * 257 + "]" * 257,             # deeper than it takes on
])
def test_what_it_leaves_to_the_builder_in_python(text: str) -> None:
    assert _load(text) is LEFT
    # and the reading as a whole still gives CSafeLoader's value or error
    try:
        expected: object = ("value", yaml.load(text, Loader=yaml.CSafeLoader))
    except Exception as exc:  # the error is what is compared
        expected = ("error", type(exc).__name__, str(exc))
    try:
        got: object = ("value", documents.safe_load(text))
    except Exception as exc:
        got = ("error", type(exc).__name__, str(exc))
    assert got == expected


def test_depth_it_takes_on() -> None:
    value = _load("[" * 256 + "]" * 256)
    for _ in range(255):
        assert isinstance(value, list) and len(value) == 1
        value = value[0]
    assert value == []


def test_empty_documents() -> None:
    assert _load("") is None
    assert _load("# a comment\n") is None
    assert _load("---\n") is None
    assert _load("---\n...\n") is None


@pytest.fixture
def asked() -> Iterator[list[str]]:
    """The plain scalars the compiled builder hands to Python, configured afresh (nothing
    remembered from other tests); configured back as the module configures it afterwards."""
    texts: list[str] = []

    def plain(value: str) -> object:
        texts.append(value)
        return documents._plain_value(value)

    _fastyaml.configure("".join(first for first in documents._IMPLICIT if first), plain)
    try:
        yield texts
    finally:
        documents._compiled_builder()


def test_the_callable_is_asked_about_plain_scalars_some_resolver_may_claim(asked: list[str]) -> None:
    text = "apple: [nectarine, xyz, 12, '13', \"yes\", -, é, .5, '', ~]\nblock: |\n  7\nzebra:\n"
    value = _fastyaml.load(text, LEFT)
    assert value == yaml.load(text, Loader=yaml.CSafeLoader)
    # plain scalars whose first character no implicit resolver starts with are strings outright;
    # quoted and block ones are strings whatever they hold
    assert "apple" not in asked and "xyz" not in asked and "zebra" not in asked and "é" not in asked
    assert "13" not in asked and "yes" not in asked and "7\n" not in asked
    assert {"12", "-", ".5", "~", ""} <= set(asked)
    # a plain string the callable gave back is remembered: not asked about again
    asked.clear()
    _fastyaml.load("[nectarine, nectarine, 12]", LEFT)
    assert asked == ["12"]


def test_no_reference_is_kept() -> None:
    value = _load("a: {b: [1, x, {c: d}]}\ne: f\n")
    assert isinstance(value, dict)
    assert sys.getrefcount(value) == 2  # ``value`` and the call's argument
    # the container holding it, the subscript's result and the call's argument
    assert sys.getrefcount(value["a"]) == 3
    assert sys.getrefcount(value["a"]["b"]) == 3
    assert sys.getrefcount(value["a"]["b"][2]) == 3


def test_no_memory_is_kept_when_it_leaves_a_document() -> None:
    texts = ["a:\n  b: [1, 2, {c: " + "x" * 200 + "}]\n  d: &x 1\n", "a: {b: [1, 2]}\n? [k]\n: v\n",
             "a: [1, {b: " + "y" * 200 + "}\n", "a: {b: [" + "z" * 200 + "]}\n---\nc: 1\n"]
    for text in texts:
        assert _load(text) is LEFT
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(2000):
            for text in texts:
                _load(text)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 50_000, grown  # 8,000 documents left: nothing of them stays


def test_configure_takes_ascii_first_characters_only_and_changes_nothing_when_it_fails() -> None:
    with pytest.raises(ValueError, match="ASCII"):
        _fastyaml.configure("ab\u00e9", documents._plain_value)
    assert _load("a: yes\nb: 1\nn: ~\n") == {"a": True, "b": 1, "n": None}  # configured as before
    with pytest.raises(TypeError):
        _fastyaml.configure("a", "not callable")
    assert _load("a: yes\n") == {"a": True}


def test_the_cache_keys_change_with_the_builder(monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled builder may be linked with another libyaml than PyYAML's, or be another build:
    parse-cache entries made with one builder are not taken for another's."""
    from inventory import cache as cache_module

    def key_with(libyaml: str | None, digest: str | None) -> str:
        monkeypatch.setattr(documents, "compiled_libyaml", lambda: libyaml)
        monkeypatch.setattr(documents, "compiled_builder_digest", lambda: digest)
        runtime_version.cache_clear()
        return cache_module.code_version()

    try:
        keys = {key_with("0.2.5", "a" * 16), key_with("0.2.6", "a" * 16), key_with("0.2.5", "b" * 16),
                key_with(None, None)}
    finally:
        runtime_version.cache_clear()
    assert len(keys) == 4


@pytest.mark.parametrize("text", ["[[1]]", "{a: 1}", "{a: {b: [x]}}", "a:\n  b:\n    c: [1, {d: e}]\n", "[]", "x",
                                  "{a: [], b: {}}", "- - - - 1\n"])
@pytest.mark.parametrize("limit", [0, 1, 2, 3, 4])
def test_the_depth_limit_is_the_readers(text: str, limit: int) -> None:
    """A document nested deeper than the limit is left to the builder in Python, whose check
    raises; one within it is read the same with the compiled builder and without."""
    limits = Limits(max_depth=limit)

    def outcome() -> object:
        try:
            return ("value", documents.load_yaml_chunk(text, "f.yaml", limits))
        except LimitExceeded as exc:
            return ("limit", exc.reason)

    with_it = outcome()
    compiled, documents._COMPILED = documents._COMPILED, None
    try:
        assert outcome() == with_it
    finally:
        documents._COMPILED = compiled


def test_streams_of_documents() -> None:
    text = "---\na: 1\n---\n- x\n- yes\n---\n---\n'q'\n"
    assert _fastyaml.load_all(text, LEFT) == list(yaml.load_all(text, Loader=yaml.CSafeLoader))
    assert _fastyaml.load_all("", LEFT) == []
    assert _fastyaml.load_all("---\na: &x 1\n---\nb: 2\n", LEFT) is LEFT
    assert _fastyaml.load_all("---\na: 1\n---\nb: [\n", LEFT) is LEFT


def test_without_it_values_are_built_in_python(monkeypatch: pytest.MonkeyPatch) -> None:
    """An install without a C compiler or libyaml's headers has no inventory._fastyaml: the module
    finds none and the builder in Python reads everything, with the same values."""
    import builtins

    real_import = builtins.__import__

    def no_extension(name: str, globals: object = None, locals: object = None, fromlist: object = (),
                     level: int = 0) -> object:
        if fromlist and "_fastyaml" in fromlist:  # type: ignore[operator]
            raise ImportError("inventory._fastyaml was not built")
        return real_import(name, globals, locals, fromlist, level)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_extension)
    assert documents._compiled_builder() is None
    monkeypatch.setattr(builtins, "__import__", real_import)
    monkeypatch.setattr(documents, "_COMPILED", None)
    assert documents.compiled_libyaml() is None
    text = "a: [1, yes, x]\nb: {c: 2001-12-14}\n"
    assert documents.safe_load(text) == yaml.load(text, Loader=yaml.CSafeLoader)
    documents._compiled_builder()  # configured again as the module configures it


@pytest.mark.parametrize("text", [
    "[?]]", "ports: [80, ? ] ]\n", "a: [x, ? ] ]", "- [?]]\n- 2", "[? ]\n]",  # libyaml 0.2.5 reads these
    "[a: 1]", "[? x]", "[? x : y, z]", "[{a: 1}, b: 2]", "{a: [b: 1]}", "[é: 1]", "[{é: 1}]",
])
def test_single_pairs_in_flow_sequences_are_left_to_pyyaml(text: str) -> None:
    """libyaml 0.2.5 (which the compiled builder may be linked with) reads ``[?]]`` without the
    error later versions, PyYAML's own among them, give: single pairs in flow sequences are left
    to PyYAML's libyaml, so safe_load gives its value or error for them all."""
    if text.startswith("[{") and text.isascii():
        assert _load("[{a: 1}]") == [{"a": 1}]  # a braced mapping is taken on
    try:
        expected: object = ("value", yaml.load(text, Loader=yaml.CSafeLoader))
    except yaml.YAMLError as exc:
        expected = ("error", str(exc))
    try:
        got: object = ("value", documents.safe_load(text))
    except yaml.YAMLError as exc:
        got = ("error", str(exc))
    assert got == expected


def test_only_a_str_is_taken() -> None:
    class Text(str):
        pass

    assert _load(Text("a: 1")) is LEFT  # type: ignore[arg-type]
    assert _fastyaml.load(b"a: 1", LEFT) is LEFT


def test_an_interrupt_in_the_callable_is_not_swallowed(asked: list[str]) -> None:
    def interrupted(value: str) -> object:
        raise KeyboardInterrupt

    _fastyaml.configure("1", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _fastyaml.load("a: [x, 1]\n", LEFT)
    with pytest.raises(KeyboardInterrupt):
        _fastyaml.load_all("---\na: 1\n", LEFT)

    def failing(value: str) -> object:
        raise ValueError("an ordinary error: the document is unusual")

    _fastyaml.configure("1", failing)
    assert _fastyaml.load("a: [x, 1]\n", LEFT) is LEFT


def test_any_depth_limit_is_taken() -> None:
    assert documents.load_yaml_chunk("a: [1]\n", "f.yaml", Limits(max_depth=2**40)) == {"a": [1]}
    assert _fastyaml.load("a: [1]\n", LEFT, 2**40) == {"a": [1]}
    assert _fastyaml.load("a: [1]\n", LEFT, -1) is LEFT


def test_non_ascii_text_keeps_no_copy() -> None:
    """PyYAML encodes a str into a bytes object it drops; a copy kept inside the str (as
    PyUnicode_AsUTF8AndSize keeps one) would live as long as the document's text does."""
    text = "a: " + "é" * 100_000 + "\n"
    before = sys.getsizeof(text)
    assert _load(text) == {"a": "é" * 100_000}
    assert sys.getsizeof(text) == before
