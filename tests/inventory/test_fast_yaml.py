"""The fast YAML builder of :func:`inventory.documents.safe_load` gives exactly what libyaml's
``CSafeLoader`` gives: the same values of the same types, the same sharing of aliased objects, and
for bad input the same exception with the same message and marks.

The reference is ``_stock_load`` (``CSafeLoader(text).get_single_data()``). Values are compared
through :func:`_shape`, which spells out types (``1``, ``1.0`` and ``True`` are equal in Python),
NaN, and which collections are one same object.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Iterator

import pytest
import yaml
from fuzzing import fuzz_settings
from hypothesis import given
from hypothesis import strategies as st
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from inventory import documents
from inventory.documents import LIBYAML, Limits, _stock_load, safe_load
from inventory.errors import InputError

pytestmark = pytest.mark.skipif(not LIBYAML, reason="the fast builder runs on libyaml only")


@pytest.fixture(scope="module", autouse=True, params=["compiled", "python"])
def builder(request: pytest.FixtureRequest) -> Iterator[str]:
    """Every test runs with the compiled builder (:mod:`inventory._fastyaml`, when it was built) and
    with the builder in Python alone: each must give exactly what ``CSafeLoader`` gives."""
    compiled = documents._COMPILED
    if request.param == "compiled" and compiled is None:
        pytest.skip("inventory._fastyaml was not built (no C compiler or no libyaml headers at install)")
    if request.param == "python":
        documents._COMPILED = None
    try:
        yield request.param
    finally:
        documents._COMPILED = compiled

SETTINGS = fuzz_settings(400)


def _shape(value: object, seen: dict[int, int] | None = None) -> object:
    """A comparable spelling of a loaded value: every type named, NaN spelled, and each collection
    numbered by first visit, so that a shared or recursive one shows as a reference to its number."""
    seen = {} if seen is None else seen
    if isinstance(value, dict | list | set):
        if id(value) in seen:
            return ("ref", seen[id(value)])
        seen[id(value)] = len(seen)
        if isinstance(value, dict):
            items: object = [(_shape(k, seen), _shape(v, seen)) for k, v in value.items()]
        elif isinstance(value, list):
            items = [_shape(v, seen) for v in value]
        else:
            items = sorted(repr(_shape(v, seen)) for v in value)
        return (type(value).__name__, seen[id(value)], items)
    if isinstance(value, tuple):  # !!omap and !!pairs items
        return ("tuple", [_shape(v, seen) for v in value])
    if isinstance(value, float) and math.isnan(value):
        return ("float", "nan")
    if isinstance(value, datetime.datetime):
        return ("datetime", repr(value), repr(value.tzinfo), value.utcoffset())
    return (type(value).__name__, repr(value))


def _mark(mark: object) -> object:
    return None if mark is None else tuple(getattr(mark, a) for a in ("name", "index", "line", "column"))


def _outcome(load: object, text: str) -> object:
    try:
        return ("value", _shape(load(text)))  # type: ignore[operator]
    except Exception as exc:  # the exception is what is compared
        return ("error", type(exc).__name__, str(exc), _mark(getattr(exc, "problem_mark", None)),
                _mark(getattr(exc, "context_mark", None)))


def _same(text: str) -> None:
    assert _outcome(safe_load, text) == _outcome(_stock_load, text), text


# --------------------------------------------------------------------------------------------
# Explicit tricky cases
# --------------------------------------------------------------------------------------------

CASES = [
    # plain documents, empty ones
    "", "# only a comment\n", "---\n", "~", "null", "a: 1\n", "- a\n- b\n", "[1, 2, {a: b}]",
    "key: value\nlist: [a, 'b', \"c\"]\nnested: {x: {y: [1, {z: null}]}}\n",
    # YAML 1.1 booleans, nulls, ints and floats, in values and in keys
    "[yes, No, TRUE, off, On, y, n, Y, true, False, ~, null, Null, NULL, '']",
    "{yes: 1, no: 2, on: 3, off: 4, ~: 5, null: 6, 1: a, 1.0: b, true: c}",
    "[0, 00, 012, 0o17, 0x1F, 0X1F, 0b101, -0b101, +12, -12, 1_000, 0_1, 190:20:30, -1:30, 4:60]",
    "[1.5, -1.5e3, 1e3, 1.0e+3, .5, 1., 6.8523015e+5, 685.230_15e+03, 190:20:30.15, -.inf, .Inf, +.INF, .nan, .NaN]",
    "{.nan: a, .NaN: b}", "{1: a, 01: b, 0x1: c, 1.0: d}",
    "[" + "9" * 4400 + "]", "a: 0x" + "f" * 4000, "a: 1:" + "2" * 4400, "!!int " + "1" * 5000,
    "!!float 1" + "0" * 400,
    # timestamps, good and bad
    "[2001-12-14t21:59:43.10-05:00, 2001-12-14 21:59:43.10 -5, 2001-12-15T02:59:43.1Z, 2002-12-14]",
    "[2001-12-14 21:59:43.1234567, 2001-12-14 21:59:43.10 +05:30, 2001-12-14T21:59:43]",
    "a: 2023-02-30", "a: 2023-13-01", "a: 2023-01-01T25:00:00", "{2002-12-14: date key}",
    "a: 2001-12-14 21:59:43.10 -24:00",
    # explicit tags: core ones, unknown ones, and on the wrong kind of node
    "a: !!str 1\nb: !!int '7'\nc: !!float '1'\nd: !!bool 'yes'\ne: !!null 'x'\nf: !!str\n",
    "!!binary aGVsbG8gd29ybGQ=", "a: !!binary |\n  aGVs\n  bG8=\n", "a: !!binary 'not base64!'",
    "a: !!binary é", "!!set {a, b, c}", "!!set {a: 1}", "!!omap [a: 1, b: 2]", "!!pairs [a: 1, a: 2]",
    "!!omap {a: 1}", "!!omap [a, b]", "!!omap [{a: 1, b: 2}]", "!!pairs [1]",
    "!!int abc", "!!int ''", "!!int", "!!bool maybe", "!!bool", "!!float x", "!!null ''",
    "!!timestamp 2001-12-14", "!!timestamp nope", "!!str [1]", "!!str {a: 1}", "!!str {=: v, x: y}",
    "!!seq {a: 1}", "!!map [1]", "!!int [1]", "!!map {a: !!seq [1]}",
    "!Ref x", "a: !Sub '${X}'", "!!python/object:os.system x", "!<tag:yaml.org,2002:str> 5",
    "!<tag:example.com,2000:x> 5", "%TAG !e! tag:yaml.org,2002:\n---\n!e!int 5\n", "! 5", "! [1]",
    "!!merge x", "!!value x", "a: =", "a: <<", "= : 1", "'=': 1", "!!yaml x",
    # merge keys
    "base: &b {x: 1, y: 2}\nmine:\n  <<: *b\n  y: 3\n",
    "a: &a {x: 1}\nb: &b {x: 2, z: 3}\nc:\n  <<: [*a, *b]\n  w: 0\n",
    "a: {<<: {x: 1}, <<: {x: 2}}", "a: {<<: 1}", "a: {<<: [1]}", "a: {<<: [{x: 1}, 2]}",
    "a: &a {<<: *a}", "a: {'<<': 1}", "a: {!!merge x: {y: 1}}",
    # value keys
    "a: {=: 1, b: 2}", "a: {=: 1, =: 2}",
    # anchors and aliases: shared objects, recursion, aliases as keys, scalars
    "a: &x [1, 2]\nb: *x\nc: [*x, *x]\n", "a: &x {k: v}\nb: *x\n", "&a [*a]", "&a {self: *a}",
    "&a {*a : 1}", "a: &s hello\nb: *s\n*s : 1\n", "a: &n 5\nb: *n\n", "a: &d 2001-12-14\nb: *d\n",
    "a: &k [1]\n*k : 1\n", "a: *undefined\n", "a: &x 1\nb: &x 2\n", "q: 'a&b'\nr: x&y\n",
    "a: &e\nb: *e\n", "a: &t !!set {x}\nb: *t\n", "a: &o !!omap [x: 1]\nb: *o\n",
    "a: &b !!binary aGk=\nb: *b\n", "? &k x\n: *k\n",
    # duplicate keys: the last value wins, the first key object stays
    "a: 1\na: 2\n", "{1: a, 1: b, 1.0: c, true: d}", "{null: 1, ~: 2, '': 3}",
    # unhashable and complex keys
    "? [1, 2]\n: v\n", "? {a: 1}\n: v\n", "{[a]: 1}", "? !!set {a}\n: v\n", "? !!omap [a: 1]\n: v\n",
    "a:\n  b: 2023-02-30\n? [x]\n: 1\n", "a: {b: !!int x}\n? [y]\n: 1\n", "[!!int x, !!bool y]",
    "{a: [!!int x], b: !!bool y}",
    # strings in every style
    "a: |\n  line\n  two\nb: >\n  folded\n  text\nc: 'it''s'\nd: \"tab\\tnl\\n\\u00e9\"\n",
    "a: \"\\x41\\U0001F600\"", "- 'yes'\n- \"1\"\n- '~'\n- \"null\"\n", "a: \"\\q\"",
    # broken YAML: parser and composer errors with their marks
    "a: [1, 2", "a: {b: 1", "a: b: c", "- a\nb: c", "a:\n\t- b", "'unterminated", "\"bad \\z\"",
    "a: 1\n---\nb: 2\n", "a: 1\n...\nb: 2\n", "%YAML 1.1\n%YAML 1.1\n---\na\n", "%YAML 2.0\n---\na\n",
    "@a", "`a", "a: @", "[a, ]", "{a: 1,, b}", "- [\n", "key: 'x'y", "? a\n? a\n", "!<> x", "!!", "&",
    "*", "&a", "a: &a", "- &a\n- *a", "\ufeffa: 1", "a: \x07", "a:\n  - b\n c: d",
    # deep nesting
    "[" * 300 + "]" * 300, "a:\n" + "".join(" " * (2 * i) + "- x:\n" for i in range(1, 120)) + " " * 242 + "1\n",
    "{a: " * 200 + "1" + "}" * 200,
]


@pytest.mark.parametrize("text", CASES)
def test_same_as_csafeloader(text: str) -> None:
    _same(text)


def test_aliases_are_shared_objects() -> None:
    data = safe_load("a: &x [1, {k: v}]\nb: *x\nc: &y {z: 1}\nd: [*y, *y]\n")
    assert isinstance(data, dict)
    assert data["a"] is data["b"]
    assert data["c"] is data["d"][0] is data["d"][1]
    loop = safe_load("&a [1, *a]")
    assert isinstance(loop, list) and loop[1] is loop


def test_plain_documents_do_not_fall_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """The common tags are built by the fast builder, not handed back to PyYAML's constructor."""

    def refuse(self: object, node: object) -> object:
        raise AssertionError("fell back to the stock constructor")

    monkeypatch.setattr(yaml.constructor.BaseConstructor, "construct_document", refuse)
    text = ("apiVersion: v1\nkind: Service\nmetadata: {name: a, labels: {x: 'y'}}\n"
            "spec:\n  ports: [{port: 80, targetPort: 8080}]\n  on: yes\n  w: 1.5\n  n: ~\n"
            "  t: 2001-12-14\n  b: !!binary aGk=\n  q: 'a&b'\n")
    assert isinstance(safe_load(text), dict)
    assert safe_load("a: &x [1]\nb: *x\n") == {"a": [1], "b": [1]}


def test_resolver_hooks_give_the_stock_tags() -> None:
    """The cheaper resolve() gives the tags of PyYAML's Resolver for every kind and style."""
    fast = documents._FastLoader("")
    stock = yaml.CSafeLoader("")
    samples = ["", "~", "null", "yes", "Yes", "NO", "y", "n", "on", "0", "012", "0x1F", "0o17", "1_000",
               "190:20:30", ".inf", "-.Inf", ".nan", "1e3", "1.5", "2001-12-14", "2001-12-14t21:59:43.10-05:00",
               "<<", "=", "!", "&a", "*a", "text", "-", "+", ".", "é", "1.2.3", "0b2"]
    for value in samples:
        for implicit in ((True, False), (False, True), (False, False), (True, True)):
            assert fast.resolve(ScalarNode, value, implicit) == stock.resolve(ScalarNode, value, implicit)
    for kind in (SequenceNode, MappingNode):
        for flag in (True, False):
            assert fast.resolve(kind, None, flag) == stock.resolve(kind, None, flag)


# --------------------------------------------------------------------------------------------
# Generated documents
# --------------------------------------------------------------------------------------------

#: Scalars that resolve, construct or fail in every interesting way.
SCALARS = [
    "a", "b", "c", "d", "e", "f", "k8s", "v1", "8080", "true", "1.0", "name", "x y", "yes", "No", "ON", "off",
    "y", "~", "null", "NULL", "''", '""', "0", "7", "012", "0o17",
    "0x1F", "0b11", "-5", "+5", "1_0", "1:30", "1:2:3.5", "1.5", ".5", "-.inf", ".NaN", "1e5", "1.0e+5",
    "2002-12-14", "2001-12-14t21:59:43.10-05:00", "2023-02-30", "'yes'", '"1"', "!!str 5", "!!int 5",
    "!!int x", "!!bool maybe", "!!float '.5'", "!!null x", "!!binary aGk=", "!!binary '#'", "!Ref r",
    "!!timestamp 2001-12-14", "<<", "=", "|\n  block\n", ">-\n  folded\n", "'a&b'", "http://h:80/p?a=1&b=2",
    "é", "'it''s'", '"\\u00e9\\t"', "9" * 30,
]


@st.composite
def _documents(draw: st.DrawFn) -> str:
    """A YAML text of nested block and flow collections over :data:`SCALARS`, with anchors,
    aliases to earlier anchors (or to undefined ones), merge keys and collection keys."""
    anchors: list[str] = []

    def scalar() -> str:
        text = draw(st.sampled_from(SCALARS))
        return text if "\n" not in text else "'multi'"

    def node(depth: int, flow: bool) -> str:
        choice = draw(st.integers(0, 9 if depth < 4 else 4))
        if choice == 0 and anchors:
            return "*" + draw(st.sampled_from([*anchors, *anchors, "nowhere"]))
        prefix = ""
        if draw(st.integers(0, 6)) == 0:
            name = f"a{len(anchors)}"
            anchors.append(name)
            prefix = f"&{name} "
        if choice <= 4:
            return prefix + scalar()
        tag = draw(st.sampled_from(["", "", "", "", "", "", "", "", "", "",
                                    "!!set ", "!!omap ", "!!pairs ", "!!map ", "!!seq ", "!x "]))
        if choice <= 6:
            items = [node(depth + 1, True) for _ in range(draw(st.integers(0, 3)))]
            return prefix + tag + "[" + ", ".join(items) + "]"
        pairs = []
        for _ in range(draw(st.integers(0, 3))):
            key_kind = draw(st.integers(0, 20))
            if key_kind == 0:
                key = "<<"
            elif key_kind == 1:
                key = "[k]"
            elif key_kind == 2 and anchors:
                key = "*" + draw(st.sampled_from(anchors)) + " "
            else:
                key = scalar()
            pairs.append(f"{key}: {node(depth + 1, True)}")
        return prefix + tag + "{" + ", ".join(pairs) + "}"

    top = []
    for i in range(draw(st.integers(1, 4))):
        key = draw(st.sampled_from(["k", "yes", "1", "<<", "k", "~"])) + str(i % 2 if i else "")
        top.append(f"{key}: {node(0, False)}")
    text = "\n".join(top) + "\n"
    if draw(st.integers(0, 3)) == 0:  # damage it: one character inserted somewhere
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(list("[]{},:-?&*!|>'\"#\n\t %@`"))) + text[at:]
    return text


@SETTINGS
@given(_documents())
def test_generated_documents(text: str) -> None:
    _same(text)


@SETTINGS
@given(st.text(alphabet=" -:?[]{},#&*!|>'\"%@`\n\tabyn01._<=~x", max_size=60))
def test_token_soup(text: str) -> None:
    _same(text)


@SETTINGS
@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8) | st.binary(max_size=8)
    | st.datetimes() | st.dates(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5) | st.integers(), inner, max_size=4),
    max_leaves=20,
))
def test_dumped_values(value: object) -> None:
    """Whatever PyYAML dumps (all its styles and tags) loads the same way."""
    _same(yaml.safe_dump(value))
    _same(yaml.safe_dump(value, default_flow_style=True))


# --------------------------------------------------------------------------------------------
# The checks around the loader: the same answers as their first, plainer versions
# --------------------------------------------------------------------------------------------


def _reference_chunk(chunk: str) -> object:
    """load_yaml_chunk as first written: every document through the stock loader, the huge-integer
    check (a scan of the text, then a walk of the value) never skipped."""
    fast = documents._load
    documents._load = lambda text, max_depth=None: (_stock_load(text), False, False)
    try:
        return _fast_chunk(chunk)
    finally:
        documents._load = fast


def _chunk_outcome(load: object, text: str) -> object:
    try:
        return ("value", _shape(load(text)))  # type: ignore[operator]
    except InputError as exc:
        return ("input error", exc.reason)
    except Exception as exc:  # the exception is what is compared
        return ("error", type(exc).__name__, str(exc))


def _fast_chunk(text: str) -> object:
    return documents.load_yaml_chunk(text, "x", Limits(max_depth=10_000, max_expanded_nodes=10**9))


LONG_INTS = [
    "a: 0x" + "f" * 3600, "a: 0b" + "1" * 14_500, "a: 0" + "7" * 4800, "a: " + "1:" * 2500 + "1",
    "a: !!int '0x" + "f" * 3600 + "'", "a: 0x" + "f" * 900, "a: 0x" + "f" * 999, "a: 0x" + "f" * 1000,
    "a: 1_" + "0" * 1200, "- " + "9" * 999, "- " + "9" * 1000, "a: +0x" + "f" * 3600, "a: -0x" + "f_" * 2000,
    "{k: &n 0x" + "f" * 3600 + ", m: *n}", '!!int "0x' + "\\u0066" * 3600 + '"',
]


@pytest.mark.parametrize("text", LONG_INTS + CASES)
def test_huge_integer_check(text: str) -> None:
    assert _chunk_outcome(_fast_chunk, text) == _chunk_outcome(_reference_chunk, text)


@SETTINGS
@given(_documents())
def test_huge_integer_check_generated(text: str) -> None:
    assert _chunk_outcome(_fast_chunk, text) == _chunk_outcome(_reference_chunk, text)


_LINES = st.lists(st.sampled_from(["---", "--- a", "---\t", "----", " ---", "...", "... x", "....", "a: 1",
                                   "# c", "", "- x", "\r", "---\r", "- " * 60, " " * 101, "-" * 120, "? " * 55]),
                  max_size=12)


@SETTINGS
@given(_LINES, st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_split_and_depth_scans(lines: list[str], newline: str, trailing: bool) -> None:
    """split_yaml and _could_be_deep, which search from newline to newline, find what the
    original ``^`` patterns (MULTILINE) found."""
    text = newline.join(lines) + (newline if trailing else "")
    starts = [m.start() for m in documents._DOC_START.finditer(text)]
    bounds = [0, *starts] if not starts or starts[0] != 0 else starts
    expected = []
    for begin, end in zip(bounds, [*bounds[1:], len(text)], strict=True):
        chunk = text[begin:end]
        ended = documents._DOC_END.search(chunk)
        expected.append(chunk[: ended.start()] if ended else chunk)
    got = [chunk for _, chunk in documents.split_yaml(text)]
    assert got == [c for c in expected if not documents._only_comments(c[3:] if c.startswith("---") else c)]
    for depth in (0, 1, 2, 100, 200, 240):
        old = re.search(f"^[ \\-?]{{{depth // 2},}}", text, re.MULTILINE) is not None \
            or text.count("[") + text.count("{") > depth
        assert documents._could_be_deep(text, depth) == old


@SETTINGS
@given(st.text(alphabet="0123456789_:.+-eExXoObB aAfFnNuUlLyYtTrRsS~<=!&*", max_size=12) | st.text(max_size=8))
def test_resolver_on_any_text(value: str) -> None:
    fast = documents._FastLoader("")
    stock = yaml.CSafeLoader("")
    for _ in range(2):  # the second time from the cache of resolved tags
        assert fast.resolve(ScalarNode, value, (True, False)) == stock.resolve(ScalarNode, value, (True, False))
        assert fast.resolve(ScalarNode, value, (False, True)) == stock.resolve(ScalarNode, value, (False, True))
