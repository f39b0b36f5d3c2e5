"""Turning the bytes of one input file into documents, safely and with positions.

A multi-document YAML file is split at its ``---`` markers *before* parsing, so that one broken
document is skipped with its index and line while the others are still read (``safe_load_all``
would stop at the first error). Every document is parsed with the libyaml ``CSafeLoader`` when
present (the pure-Python ``SafeLoader`` otherwise): no tag outside the YAML core schema is ever
constructed. Aliases are bounded: a document whose aliases expand past
:attr:`Limits.max_expanded_nodes` is rejected before any later walk can blow up.

JSON files are parsed with :mod:`json`; a file of one JSON value per line (JSONL, as the
OpenTelemetry collector's file exporter writes) yields one document per line.

Each :class:`Document` keeps its own text so that readers can cite ``file:line`` for a value.
"""

from __future__ import annotations

import hashlib
import json
import re
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from types import ModuleType

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from inventory.errors import InputError, LimitExceeded
from inventory.lazy import cached_property
from inventory.model import Skipped

SafeLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
LIBYAML = SafeLoader is not yaml.SafeLoader


@dataclass(frozen=True)
class Limits:
    """Bounds on what one run reads. Every limit is stated in the report and on the upload page."""

    max_file_bytes: int = 64 * 1024 * 1024
    max_total_bytes: int = 2 * 1024 * 1024 * 1024
    max_documents_per_file: int = 200_000
    max_expanded_nodes: int = 1_000_000
    max_depth: int = 200
    max_archive_members: int = 50_000
    max_archive_bytes: int = 2 * 1024 * 1024 * 1024
    max_compression_ratio: int = 200

    def describe(self) -> dict[str, int]:
        return {
            "max_file_bytes": self.max_file_bytes,
            "max_total_bytes": self.max_total_bytes,
            "max_documents_per_file": self.max_documents_per_file,
            "max_expanded_nodes": self.max_expanded_nodes,
            "max_depth": self.max_depth,
            "max_archive_members": self.max_archive_members,
            "max_archive_bytes": self.max_archive_bytes,
            "max_compression_ratio": self.max_compression_ratio,
        }


DEFAULT_LIMITS = Limits()


#: How many characters the location lookups of one file may scan in all. Readers look up each
#: entry from its document's start, which is quadratic in one huge document (a Deployment with
#: 100,000 env vars); past the budget, entries are cited by document (``file#n``) instead of line.
SCAN_BUDGET = 1 << 30
_INDEXED = 1 << 16  # texts longer than this get a newline index for line numbers


class ScanBudget:
    """The characters left for location lookups in one file, shared by its documents."""

    __slots__ = ("left",)

    def __init__(self, left: int = SCAN_BUDGET) -> None:
        self.left = left

    def find(self, text: str, needle: str, start: int, end: int | None = None) -> int:
        """``text.find(needle, start, end)`` charged to the budget; -1 also once it is spent."""
        if self.left <= 0:
            return -1
        stop = len(text) if end is None else end
        found = text.find(needle, start, stop)
        self.left -= (found if found >= 0 else stop) - start
        return found


@dataclass(frozen=True)
class Document:
    """One parsed document of a file, with where it starts and its own text.

    ``index`` counts documents from 1 in file order, including skipped ones; ``line`` is the
    1-based line where the document's text starts. ``budget`` bounds the location lookups in the
    file the document came from.
    """

    location: str
    index: int
    line: int
    data: object
    text: str = ""
    budget: ScanBudget = field(default_factory=ScanBudget, compare=False, repr=False)
    #: For a large List read in parts (see :func:`iter_documents`): the spans of ``text`` that hold
    #: the items in ``data`` (this part's), and whether this part is the one the document starts in
    #: (1) or another (2); 0 for a document read whole.
    spans: tuple[tuple[int, int], ...] | None = None
    share: int = 0

    @property
    def where(self) -> str:
        """``file#index`` naming this document."""
        return f"{self.location}#{self.index}"

    @cached_property
    def _newlines(self) -> list[int]:
        return [m.start() for m in re.finditer("\n", self.text)]

    def line_at(self, pos: int) -> int:
        """The absolute line of character ``pos`` of the document's text."""
        if len(self.text) <= _INDEXED:
            return self.line + self.text.count("\n", 0, pos)
        return self.line + bisect_left(self._newlines, pos)

    def line_of(self, *needles: str) -> int | None:
        """The absolute line of the first place where all ``needles`` occur in order, if any."""
        text = self.text
        pos = 0
        for needle in needles:
            if not needle:
                continue
            found = self.budget.find(text, needle, pos)
            if found < 0:
                return None
            pos = found
        return self.line_at(pos)

    def at(self, *needles: str) -> str:
        """``file:line`` of the needles when found, else ``file#index``."""
        line = self.line_of(*needles)
        return f"{self.location}:{line}" if line is not None else self.where

    def lines_after(self, anchor: str) -> LinesAfter:
        """``line_of(anchor, needle)`` for many needles in turn (a container's env vars after its
        name): see :class:`LinesAfter`."""
        return LinesAfter(self, anchor)


class LinesAfter:
    """``doc.line_of(anchor, needle)`` for one anchor and many needles, with the same answers: the
    anchor is looked for once, not once per needle, and lines are counted on from the previous
    answer when the needles come in the order of the text (they usually do), not from the start.
    The anchor's one search is charged to the file's :class:`ScanBudget` once, so a file that
    spends its budget may get a line here where ``line_of`` would have given up."""

    __slots__ = ("_doc", "_line", "_pos", "_start")

    def __init__(self, doc: Document, anchor: str) -> None:
        self._doc = doc
        self._start = doc.budget.find(doc.text, anchor, 0) if anchor else 0
        self._pos = 0
        self._line = doc.line

    def __call__(self, needle: str) -> int | None:
        start = self._start
        if start < 0:
            return None
        doc = self._doc
        text = doc.text
        pos = doc.budget.find(text, needle, start) if needle else start
        if pos < 0:
            return None
        if len(text) > _INDEXED:
            return doc.line_at(pos)
        if pos >= self._pos:
            self._line += text.count("\n", self._pos, pos)
        else:
            self._line = doc.line + text.count("\n", 0, pos)
        self._pos = pos
        return self._line


_BOM = "\ufeff"


def decode(data: bytes, location: str) -> str:
    """Decode UTF-8 (a byte-order mark is allowed); binary or invalid text raises InputError."""
    if b"\x00" in data[:8192]:
        raise InputError(location, "looks like a binary file (it contains NUL bytes), not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            location, f"is not valid UTF-8 text (byte {exc.start} cannot be decoded); save it as UTF-8"
        ) from None
    return text[1:] if text.startswith(_BOM) else text


_DOC_START = re.compile(r"^---(?=\s|$)", re.MULTILINE)
# The same marker on any line but the first. Starting with a newline rather than ``^`` lets the
# regex engine jump from newline to newline instead of trying every position: ten times faster.
_LATER_DOC_START = re.compile(r"\n---(?=\s|$)", re.MULTILINE)
_DOC_END = re.compile(r"^\.\.\.(?=\s|$)", re.MULTILINE)
_ALIAS = re.compile(r"(?:^|[\s\[{,:\-])\*[^\s\[\]{},]+")


def _only_comments(body: str) -> bool:
    """True when ``body`` holds nothing but blank lines and comments (checked line by line: a
    single regex over the whole chunk backtracks exponentially on a long comment header)."""
    return all(not line.strip() or line.lstrip().startswith("#") for line in body.splitlines())


def split_yaml(text: str) -> Iterator[tuple[int, str]]:
    """Split YAML text into ``(start_line, chunk)`` per document, at ``---`` and ``...`` markers.

    Chunks with nothing but comments and blank lines (Helm's empty templates) are dropped.
    """
    for begin, line, end in _split_yaml_at(text):
        yield line, text[begin:end]


_NON_SPACE = re.compile(r"\S")


def _split_yaml_at(text: str) -> Iterator[tuple[int, int, int]]:
    """:func:`split_yaml` as ``(begin, start_line, end)``: the chunk is ``text[begin:end]``, not
    copied here (the reader of one part of a file copies only the documents of its part)."""
    starts = [0] if _DOC_START.match(text) else []
    starts.extend(m.start() + 1 for m in _LATER_DOC_START.finditer(text))
    bounds = [0, *starts] if not starts or starts[0] != 0 else starts
    bounds.append(len(text))
    line = 1
    prev = 0
    for begin, end in pairwise(bounds):
        line += text.count("\n", prev, begin)
        prev = begin
        if text.find("...", begin, end) >= 0:
            ended = _DOC_END.search(text, begin, end)
            if ended:
                end = ended.start()
        body = begin + 3 if text.startswith("---", begin, end) else begin
        first = _NON_SPACE.search(text, body, end)
        if first is None or (text[first.start()] == "#" and _only_comments(text[body:end])):
            continue  # blank, or comments only (the first character that is not white space tells most chunks apart)
        yield begin, line, end


def _check_expansion(data: object, limits: Limits, location: str) -> None:
    """Compute how many nodes ``data`` expands to (aliases counted every time they are reached).

    Raises :class:`LimitExceeded` when the count passes ``max_expanded_nodes``, the text it holds
    passes ``max_file_bytes`` (one long string referred to a million times is a bomb too, for any
    reader that joins strings), nesting passes ``max_depth`` or an alias refers to its own ancestor.
    Each shared node is sized once and its size reused, so the check costs as much as the
    *unexpanded* document, however big the bomb.
    """
    budget = limits.max_expanded_nodes
    sizes: dict[int, tuple[int, int, int]] = {}  # id -> (expanded nodes, height, characters)
    open_nodes: set[int] = set()
    stack: list[tuple[object, bool]] = [(data, False)]
    while stack:
        node, done = stack.pop()
        if not isinstance(node, dict | list):
            continue
        nid = id(node)
        children = [c for kv in node.items() for c in kv] if isinstance(node, dict) else node
        if done:
            open_nodes.discard(nid)
            size, height, chars = 1, 0, 0
            for child in children:
                if isinstance(child, dict | list):
                    csize, cheight, cchars = sizes.get(id(child), (1, 0, 0))
                else:
                    csize, cheight, cchars = 1, 0, len(child) if isinstance(child, str | bytes) else 0
                size += csize
                chars += cchars
                height = max(height, cheight + 1)
            sizes[nid] = (size, height, chars)
            if size > budget:
                raise LimitExceeded(
                    location,
                    f"expands to more than {budget:,} nodes through YAML aliases (an alias bomb?); "
                    "it was not read",
                )
            if chars > limits.max_file_bytes:
                raise LimitExceeded(
                    location,
                    f"expands to more than {limits.max_file_bytes:,} characters of text through YAML aliases "
                    "(an alias bomb?); it was not read",
                )
            if height > limits.max_depth:
                raise LimitExceeded(location, f"is nested more than {limits.max_depth} levels deep")
            continue
        if nid in sizes:
            continue
        if nid in open_nodes:
            raise LimitExceeded(location, "refers to itself through a YAML alias (an endless structure); "
                                          "it was not read")
        open_nodes.add(nid)
        stack.append((node, True))
        stack.extend((c, False) for c in children if isinstance(c, dict | list))


def _could_be_deep(text: str, max_depth: int) -> bool:
    """Cheap test before walking: flow nesting needs many brackets; block nesting needs a line that
    starts deep, in indentation or in compact ``- - -`` / ``? `` markers (a block sequence may sit
    at its key's indentation, so two levels can share one column: half the depth is the bound)."""
    if text.count("[") + text.count("{") > max_depth:
        return True
    # a line that starts with max_depth // 2 such characters: the first line, or one after a
    # newline (a pattern that starts with the newline is much faster to search than ``^``)
    run = f"[ \\-?]{{{max_depth // 2}}}"
    return re.match(run, text) is not None or re.search("\n" + run, text) is not None


#: A run of digits long enough to be an integer whose decimal text Python refuses to build.
_LONG_NUMBER = re.compile(r"(?<![0-9a-fA-F_:])[0-9a-fA-F_:]{1000}")
_MAX_INT_BITS = 14_000  # about 4,200 decimal digits, under Python's 4,300-digit str() limit


def _holds_huge_int(data: object) -> bool:
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, int) and node.bit_length() > _MAX_INT_BITS:
            return True
    return False


def _depth_exceeds(data: object, max_depth: int) -> bool:
    stack: list[tuple[object, int]] = [(data, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            return True
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return False


def _yaml_error(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if isinstance(exc, yaml.constructor.ConstructorError) and "constructor for the tag" in problem:
        return f"uses a YAML tag that is not allowed ({problem.strip()}); only plain YAML is read"
    if mark is not None:
        return f"is not valid YAML: {problem} (line {mark.line + 1}, column {mark.column + 1})"
    return f"is not valid YAML: {problem}"


# Fast construction. libyaml parses and composes the node tree in C, but PyYAML then builds the
# Python values in Python, node by node, through a generic dispatcher (``construct_object``) with
# generators and bookkeeping per node: a third of the YAML time on a large inventory. The builder
# below turns the tree of the common tags (str, map, seq and the implicit scalars) into the same
# values directly; anything else (merge keys ``<<``, ``!!set``/``!!omap``/``!!pairs``, unknown
# tags, non-scalar keys) or any error makes it give up, and PyYAML's own constructor then builds
# the same node tree again: the result, or the exception, is always exactly PyYAML's.

_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_INT = "tag:yaml.org,2002:int"
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"


class _Unusual(Exception):
    """A node the fast builder leaves to PyYAML's constructor."""


#: The other scalar tags PyYAML's safe constructor knows, with its constructors (none keeps state:
#: they read the node's value and class attributes only, so one shared instance serves them all).
_STATELESS = SafeConstructor()
_SCALARS = {
    tag: getattr(_STATELESS, SafeConstructor.yaml_constructors[tag].__name__)
    for tag in ("tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary")
}
_BOOLS = SafeConstructor.bool_values
#: Integers written with this many characters are left to PyYAML's constructor. Shorter ones have
#: fewer than 14,000 bits in any base (sexagesimal included), so a value the fast builder made
#: never needs the huge-integer check of :func:`load_yaml_chunk`.
_LONG_INT_TEXT = 1000


def _scalar(tag: str, node: ScalarNode) -> object:
    """The value of a scalar node that is not a plain string, as PyYAML's safe constructor makes it."""
    value = node.value
    if tag == _INT:
        if len(value) >= _LONG_INT_TEXT:
            raise _Unusual("a long integer")  # see _load
        if value.isascii() and value.isdigit() and (value[0] != "0" or value == "0"):
            return int(value)  # what construct_yaml_int does with plain decimal digits (0123 is octal)
        return SafeConstructor.construct_yaml_int(_STATELESS, node)
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return _BOOLS[value.lower()]
    constructor = _SCALARS.get(tag)
    if constructor is None:
        raise _Unusual(tag)
    return constructor(node)


def _build(node: Node) -> object:
    """The value of a node tree without aliases (every node is reached once)."""
    cls = node.__class__
    if cls is ScalarNode:
        return node.value if node.tag == _STR else _scalar(node.tag, node)  # type: ignore[arg-type]
    if cls is MappingNode and node.tag == _MAP:
        data: dict[object, object] = {}
        for key_node, value_node in node.value:
            if key_node.__class__ is not ScalarNode:
                raise _Unusual("a key that is not a scalar")  # unhashable: PyYAML says so
            # merge ``<<`` and value ``=`` keys have their own tags, left to PyYAML by _scalar
            key = key_node.value if key_node.tag == _STR else _scalar(key_node.tag, key_node)
            if value_node.__class__ is ScalarNode and value_node.tag == _STR:
                data[key] = value_node.value
            else:
                data[key] = _build(value_node)
        return data
    if cls is SequenceNode and node.tag == _SEQ:
        return [
            item.value if item.__class__ is ScalarNode and item.tag == _STR else _build(item)
            for item in node.value
        ]
    raise _Unusual(node.tag)


def _build_shared(node: Node, built: dict[Node, object]) -> object:
    """The value of a node tree that may hold aliases: a node reached twice gives the same object,
    and a collection is registered before its items so that a recursive alias refers to it."""
    if node in built:
        return built[node]
    cls = node.__class__
    if cls is ScalarNode:
        value = node.value if node.tag == _STR else _scalar(node.tag, node)  # type: ignore[arg-type]
        built[node] = value
        return value
    if cls is MappingNode and node.tag == _MAP:
        data: dict[object, object] = {}
        built[node] = data
        for key_node, value_node in node.value:
            if key_node.__class__ is not ScalarNode:
                raise _Unusual("a key that is not a scalar")
            key = _build_shared(key_node, built)
            data[key] = _build_shared(value_node, built)
        return data
    if cls is SequenceNode and node.tag == _SEQ:
        items: list[object] = []
        built[node] = items
        items.extend(_build_shared(item, built) for item in node.value)
        return items
    raise _Unusual(node.tag)


_Resolvers = tuple[tuple[str, re.Pattern[str]], ...]  # (tag, pattern) pairs, tried in order


def _implicit_resolvers() -> tuple[dict[str, _Resolvers], _Resolvers]:
    """The safe loader's implicit resolvers by first character, wildcard ones appended as it does."""
    table: dict[str | None, list[tuple[str, re.Pattern[str]]]] = getattr(SafeLoader, "yaml_implicit_resolvers")  # noqa: B009
    wildcard = tuple(table.get(None, ()))
    return {first: (*resolvers, *wildcard) for first, resolvers in table.items() if first is not None}, wildcard


_IMPLICIT, _WILDCARD = _implicit_resolvers()


def _resolve_plain(value: str) -> str:
    """The tag of a plain scalar, as PyYAML's ``Resolver.resolve`` gives it."""
    for tag, regexp in _IMPLICIT.get(value[:1], _WILDCARD):
        if regexp.match(value):
            return tag
    return _STR


#: Tags of the short plain scalars seen so far (keys and small values recur in every document);
#: it stops growing when full.
_RESOLVED: dict[str, str] = {}
_RESOLVED_ENTRIES = 100_000
_RESOLVED_LENGTH = 64


def _plain_tag(value: str) -> str:
    """The tag of a plain scalar, remembered for short ones."""
    tag = _RESOLVED.get(value)
    if tag is None:
        tag = _resolve_plain(value)
        if len(value) <= _RESOLVED_LENGTH and len(_RESOLVED) < _RESOLVED_ENTRIES:
            _RESOLVED[value] = tag
    return tag


def _plain_value(value: str) -> object:
    """The value of a plain scalar without a tag, as the fast builder makes it (raises as it does
    for what it leaves to PyYAML): what :mod:`inventory._fastyaml` asks of Python."""
    tag = _plain_tag(value)
    return value if tag == _STR else _scalar(tag, ScalarNode(tag, value))


class _FastResolving:
    """Resolver hooks for libyaml's composer, which calls them for every node: the same tags as
    PyYAML's ``Resolver`` when no path resolver is registered (none is, in the safe loader), with
    less work per call."""

    def resolve(self, kind: type, value: str | None, implicit: tuple[bool, bool] | bool) -> str:
        if kind is ScalarNode:
            if implicit[0]:  # type: ignore[index]  # a plain scalar: its tag depends on its text
                return _plain_tag(value)  # type: ignore[arg-type]
            return _STR
        return _SEQ if kind is SequenceNode else _MAP

    def descend_resolver(self, current_node: object, current_index: object) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass


#: The libyaml loader with the resolver hooks above; None without libyaml (or if a path resolver was
#: ever registered, which the cheap hooks do not apply), and then safe_load uses the stock loader.
_FastLoader: type | None = None
if LIBYAML and not getattr(SafeLoader, "yaml_path_resolvers"):  # noqa: B009
    _FastLoader = type("_FastLoader", (_FastResolving, SafeLoader), {})


def _compiled_builder() -> ModuleType | None:
    """:mod:`inventory._fastyaml` (the values of a plain document built from libyaml's events in C,
    see its source), when it was built at install and the fast builder runs; else None."""
    if _FastLoader is None or _WILDCARD:  # a resolver for any first character: it asks about none
        return None
    try:
        from inventory import _fastyaml

        _fastyaml.configure("".join(first for first in _IMPLICIT if first), _plain_value)
    except (ImportError, ValueError):  # not built; or a resolver keyed on a character it does not take
        return None
    return _fastyaml


_COMPILED = _compiled_builder()
#: What :mod:`inventory._fastyaml` gives back for a document it leaves to the builder above.
_LEFT = object()


def compiled_libyaml() -> str | None:
    """The version of the libyaml that the compiled builder is linked with, or None without it."""
    return None if _COMPILED is None else str(_COMPILED.libyaml_version())


def compiled_builder_digest() -> str | None:
    """A digest of the compiled builder's extension file as loaded, or None without it."""
    path = getattr(_COMPILED, "__file__", None)
    if path is None:
        return None
    try:
        with open(path, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()[:16]
    except OSError:
        return None


def safe_load(text: str) -> object:
    """One YAML document through the safe loader (libyaml's CSafeLoader when present): the only
    way YAML is parsed anywhere in the project. Raises :class:`yaml.YAMLError` on bad YAML.

    The values are built by the fast builder above, which gives exactly what ``CSafeLoader``
    gives, errors included (see tests/inventory/test_fast_yaml.py)."""
    return _load(text)[0]


def _load(text: str, max_depth: int | None = None) -> tuple[object, bool, bool]:
    """:func:`safe_load`, whether the fast builder made the value (then it holds no integer written
    with :data:`_LONG_INT_TEXT` characters or more: those are left to PyYAML), and whether the
    compiled builder made it within ``max_depth``: then no value is under more than ``max_depth``
    collections and no alias was read (a document nested deeper is left to the builder in Python,
    and the caller's check finds it)."""
    if _FastLoader is None:
        return _stock_load(text), False, False
    if len(text) >= LIST_BYTES and "\nitems:" in text:
        listed = _load_list(text)
        if listed is not None:
            return (*listed, False)
    if _COMPILED is not None:
        value = _COMPILED.load(text, _LEFT, _COMPILED_DEPTH if max_depth is None else min(max_depth, _COMPILED_DEPTH))
        if value is not _LEFT:
            return value, True, max_depth is not None
    loader = _FastLoader(text)
    try:
        node = loader.get_single_node()  # parse errors are raised here, as by the stock loader
        if node is None:
            return None, True, False
        try:
            # Without an anchor (``&``) no node can be reached twice: no need to track them.
            return (_build_shared(node, {}) if "&" in text else _build(node)), True, False
        except Exception:  # anything unusual or wrong: PyYAML decides, its value or its own error
            return loader.construct_document(node), False, False
    finally:
        loader.dispose()


#: The compiled builder's own bound on nesting (it leaves deeper documents to the builder in Python).
_COMPILED_DEPTH = 256


#: A document this large that is one ``kind: List`` as ``kubectl get -o yaml`` writes it is built
#: item by item (:func:`_load_list`): the node tree of a 64 MB List alone took 1.8 GB.
LIST_BYTES = 1 << 20
_ITEMS_KEY = re.compile(r"\n(items: *\n)")  # from newline to newline: ``^`` would try every position
_ITEMS_FIRST = re.compile(r"(items: *\n)")
_NEXT_KEY = re.compile(r"[A-Za-z_][^\n:]*:(?: |\n)")
#: Lines the item-by-item reading does not take on: a directive, a comment at column 0, a line
#: indented by one space (shifted with the others, it would change places relative to its item),
#: an empty item or one whose content does not start right after ``- ``, and document markers
#: that the shift would bring to column 0. (Searched from newline to newline, as split_yaml does.)
_NOT_PLAIN_LINE = re.compile(r"\n(?:%|#| [^ \n]|-\n|-\Z|- {2}|(?:- | {2})(?:---|\.\.\.)(?:\s|\Z))")


def _items_key(text: str, pos: int = 0) -> re.Match[str] | None:
    """The first ``items:`` key at column 0 from ``pos`` (group 1: the key's line)."""
    return (pos == 0 and _ITEMS_FIRST.match(text)) or _ITEMS_KEY.search(text, pos)


#: Where the items of a List end: the first line that is neither an item (``- `` or ``-``), nor
#: indented, nor empty.
_AFTER_LIST_ITEMS = re.compile(r"\n(?!- |-\n| |\n|\Z)")
_LIST_ITEM = re.compile(r"\n-(?: |\n)")


_JSON_ITEMS_KEY = re.compile(r'\n    "items": \[\n')
_JSON_ITEM = re.compile(r"\n        \{\n")
_JSON_ITEMS_END = re.compile(r"\n    \]")


def list_item_spans(text: str) -> list[tuple[int, int]] | None:
    """Where each item of a ``List`` document written as kubectl writes it starts and ends in
    ``text``, in order: YAML (``-o yaml``: a block sequence at column 0 under ``items:``) or JSON
    (``-o json``: indented by four, each item opening with ``{`` on a line of its own at eight);
    None for any other layout. Within an item's span every line of the item is found, and nothing
    of another item."""
    if text.startswith("{"):
        return _json_item_spans(text)
    found = _items_key(text)
    if found is None or _items_key(text, found.end() - 1):
        return None
    start = found.end()
    if not (text.startswith("- ", start) or text.startswith("-\n", start)):
        return None
    after = _AFTER_LIST_ITEMS.search(text, start - 1)
    end = after.start() + 1 if after is not None else len(text)
    starts = [start, *(m.start() + 1 for m in _LIST_ITEM.finditer(text, start, end))]
    return list(zip(starts, [*starts[1:], end], strict=True))


def _json_item_spans(text: str) -> list[tuple[int, int]] | None:
    found = _JSON_ITEMS_KEY.search(text)
    if found is None or _JSON_ITEMS_KEY.search(text, found.end()) or not text.startswith("        {\n", found.end()):
        return None
    start = found.end()
    closing = _JSON_ITEMS_END.search(text, start)
    if closing is None:
        return None
    end = closing.start() + 1
    starts = [start, *(m.start() + 1 for m in _JSON_ITEM.finditer(text, start, end))]
    return list(zip(starts, [*starts[1:], end], strict=True))


def _takes_on(text: str, spans: list[tuple[int, int]] | None) -> bool:
    """Whether :func:`_load_list` reads ``text`` (whose :func:`list_item_spans` are ``spans``) item
    by item, as far as the text alone tells."""
    if spans is None or "&" in text or "\t" in text or "\r" in text or text.startswith("%") or (
            "*" in text and _ALIAS.search(text)) or _NOT_PLAIN_LINE.search(text):
        return False
    return text.startswith("- ", spans[0][0]) and (
        spans[-1][1] == len(text) or _NEXT_KEY.match(text, spans[-1][1]) is not None)


def _load_list(text: str, select: Sequence[int] | None = None, spans: list[tuple[int, int]] | None = None
               ) -> tuple[object, bool] | None:
    """A large ``kind: List`` document built item by item: the value :func:`_load` gives the whole
    document, without the node tree of every item at once (with ``select``, only those items, in
    that order). None when the text is not in the plain shape taken on here (no anchor, alias, tab
    or carriage return; see :data:`_NOT_PLAIN_LINE`) or anything goes wrong: the document is then
    read whole, errors and all.

    The items, a block sequence at column 0 under ``items:``, are shifted two columns left and read
    as the documents of one stream (``- a: 1`` and its line ``  b: 2`` become ``---``, ``a: 1``,
    ``b: 2``): YAML indentation is relative, so each item means what it meant in place. The rest
    of the document is read with ``items: []`` where the items were."""
    if spans is None:
        spans = list_item_spans(text)
        if not _takes_on(text, spans):
            return None
    assert spans is not None
    key = spans[0][0] - len(_items_key(text).group(1))  # type: ignore[union-attr]
    chosen = range(len(spans)) if select is None else select
    stream = "".join("---\n" + text[spans[j][0] + 2:spans[j][1]].replace("\n  ", "\n") for j in chosen)
    try:
        envelope, built, _ = _load(text[:key] + "items: []\n" + text[spans[-1][1]:])
        if not isinstance(envelope, dict) or envelope.get("items") != []:
            return None
        items = _COMPILED.load_all(stream, _LEFT) if _COMPILED is not None else _LEFT
        if items is _LEFT:
            items, every_built = _documents_built(stream)
            built = built and every_built
        assert isinstance(items, list)
    except Exception:  # bad YAML somewhere: the whole document is read, and fails, as it would
        return None
    if len(items) != len(chosen):
        return None
    envelope["items"] = items
    return envelope, built


def _documents_built(stream: str) -> tuple[list[object], bool]:
    """The value of every document of ``stream``, as :func:`_load` builds one, and whether the fast
    builder made them all."""
    assert _FastLoader is not None
    items: list[object] = []
    built = True
    loader = _FastLoader(stream)
    try:
        while loader.check_node():
            node = loader.get_node()
            try:
                items.append(_build(node))
            except Exception:  # as in _load: PyYAML decides
                items.append(loader.construct_document(node))
                built = False
    finally:
        loader.dispose()
    return items, built


def _stock_load(text: str) -> object:
    """:func:`safe_load` through PyYAML's constructor alone (the reference the fast one matches)."""
    loader = SafeLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def kind_of(value: object) -> str:
    """What a value is, for a reason a person reads: ``a string``, ``a mapping`` ..."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "empty" if value is None else f"a {type(value).__name__} value"


def load_yaml_chunk(chunk: str, location: str, limits: Limits = DEFAULT_LIMITS) -> object:
    """Parse one YAML document safely; raise InputError with a readable reason."""
    try:
        data, built, checked = _load(chunk, limits.max_depth)
    except yaml.YAMLError as exc:
        raise InputError(location, _yaml_error(exc)) from None
    except RecursionError:
        raise LimitExceeded(location, f"is nested more than {limits.max_depth} levels deep") from None
    except Exception as exc:
        # The safe constructors of dates, numbers and explicit core tags raise ValueError, KeyError,
        # IndexError ... on values such as ``2023-02-30``, ``!!bool maybe``, an empty ``!!int`` or
        # an integer of 5,000 digits: the document is unreadable, the run goes on.
        raise InputError(location, _value_error(exc)) from None
    if not built and _LONG_NUMBER.search(chunk) and _holds_huge_int(data):  # 0x..., 0b... and 1:2:3 literals
        raise InputError(location, _value_error(ValueError("integer string conversion")))
    if checked:  # no alias, and nested no deeper than the limit
        return data
    if "&" in chunk and _ALIAS.search(chunk):
        _check_expansion(data, limits, location)
    elif isinstance(data, dict | list) and _could_be_deep(chunk, limits.max_depth) \
            and _depth_exceeds(data, limits.max_depth):
        raise LimitExceeded(location, f"is nested more than {limits.max_depth} levels deep")
    return data


def _value_error(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "integer string conversion" in text:
        return "holds a number with more than 4,300 digits, which is not read; quote it to keep it as text"
    return f"holds a value that cannot be read ({text[:100]}); quote it to keep it as text"


def _load_json(text: str, location: str, limits: Limits) -> object:
    try:
        data = json.loads(text)
    except RecursionError:
        raise LimitExceeded(location, f"is nested more than {limits.max_depth} levels deep") from None
    except json.JSONDecodeError:
        raise
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise InputError(location, _value_error(exc)) from None
    if isinstance(data, dict | list) and _could_be_deep(text, limits.max_depth) \
            and _depth_exceeds(data, limits.max_depth):
        raise LimitExceeded(location, f"is nested more than {limits.max_depth} levels deep")
    return data


@dataclass(frozen=True)
class SharedUse:
    """What a reader says of a document it was given a part of (``Document.share``): whether it
    used anything in it. The reader counts the document as given but leaves whether it was used,
    or skipped, to whoever puts the parts together."""

    index: int
    used: bool


class ReadWhole(Exception):
    """A part of a file cannot be read on its own (one item of a List read in parts is bad YAML):
    the file is to be read whole, where the document fails as it would have."""


def part_of(offset: int, length: int, parts: int) -> int:
    """Which of ``parts`` equal shares of a text of ``length`` characters ``offset`` falls in."""
    return offset * parts // length if length else 0


def iter_documents(
    text: str, location: str, *, limits: Limits = DEFAULT_LIMITS, part: tuple[int, int] | None = None
) -> Iterator[Document | Skipped]:
    """Yield each document of a YAML, JSON or JSONL text, or a Skipped entry for one that failed.

    Numbering is shared: skipped documents keep their index so that positions stay true.

    ``part=(i, n)``: only the YAML documents that start in the ``i``-th of ``n`` equal shares of the
    text (indexes and lines as in the whole file), so that ``n`` processes can read one large file
    together; a JSON or JSONL text, read whole, is part 0's. A large List as kubectl writes it, YAML
    or JSON, is shared out by item (``Document.spans``, ``Document.share``).
    """
    budget = ScanBudget()
    stripped = text.lstrip()
    if part is not None and stripped[:1] in ("{", "["):
        shared = _shared_json_list(text, part, location, limits, budget) if len(text) >= LIST_BYTES else None
        if shared is not None:
            if shared.spans or part[0] == 0:
                yield shared
            return
        if part[0] != 0:
            return
    if stripped[:1] in ("{", "["):
        try:
            yield Document(location, 1, 1, _load_json(text, location, limits), text, budget)
            return
        except json.JSONDecodeError as exc:
            if exc.msg == "Extra data" and stripped[:1] == "{":
                yield from _iter_jsonl(text, location, limits, budget)
                return
            if "\t" not in text and not text.lstrip().startswith("{{"):
                # JSON-looking but broken: YAML may still read it (flow style is YAML)
                try:
                    data = load_yaml_chunk(text, location, limits)
                    yield Document(location, 1, 1, data, text, budget)
                    return
                except InputError:
                    pass
            yield Skipped(f"{location}:{exc.lineno}", f"is not valid JSON: {exc.msg} (column {exc.colno})")
            return
        except InputError as exc:
            yield Skipped(location, exc.reason)
            return
    index = 0
    for offset, line, end in _split_yaml_at(text):
        index += 1
        mine = part is None or part_of(offset, len(text), part[1]) == part[0]
        if index > limits.max_documents_per_file:
            if mine:
                yield Skipped(
                    f"{location}#{index}",
                    f"the file has more than {limits.max_documents_per_file:,} documents; the rest were not read",
                )
            return
        if part is not None and end - offset >= LIST_BYTES and _FastLoader is not None:
            shared = _shared_list(text, offset, end, part, location, index, line, limits, budget)
            if shared is not None:
                if shared.spans or mine:
                    yield shared
                continue
        if not mine:
            continue
        chunk = text[offset:end]
        where = f"{location}#{index}"
        try:
            data = load_yaml_chunk(chunk, where, limits)
        except InputError as exc:
            reason = exc.reason
            # Report the absolute line of the problem where the parser gave one.
            m = re.search(r"\(line (\d+), column (\d+)\)", reason)
            if m:
                abs_line = line + int(m.group(1)) - 1
                reason = reason.replace(m.group(0), f"(line {abs_line}, column {m.group(2)})")
            yield Skipped(f"{where} (line {line})", reason)
            continue
        yield Document(location, index, line, data, chunk, budget)


def _shared_list(text: str, offset: int, end: int, part: tuple[int, int], location: str, index: int, line: int,
                 limits: Limits, budget: ScanBudget) -> Document | None:
    """This part's share of a large List that :func:`_load_list` takes on: the items that start in
    the part (``spans``); None when the List is not taken on (then the part the document starts in
    reads it whole). Raises :class:`ReadWhole` when one of this part's items cannot be read."""
    chunk = text[offset:end] if offset or end != len(text) else text
    spans = list_item_spans(chunk)
    if not _takes_on(chunk, spans):
        return None
    assert spans is not None
    mine = [j for j, (start, _) in enumerate(spans) if part_of(offset + start, len(text), part[1]) == part[0]]
    loaded = _load_list(chunk, mine, spans)
    if loaded is None:
        raise ReadWhole(location)
    data, built = loaded
    if not built or (isinstance(data, dict | list) and _could_be_deep(chunk, limits.max_depth)
                     and _depth_exceeds(data, limits.max_depth)):
        raise ReadWhole(location)  # a value PyYAML built (a long number, say), or too deep: as a whole
    owner = part_of(offset, len(text), part[1]) == part[0]
    return Document(location, index, line, data, chunk, budget, tuple(spans[j] for j in mine), 1 if owner else 2)


def _shared_json_list(text: str, part: tuple[int, int], location: str, limits: Limits, budget: ScanBudget
                      ) -> Document | None:
    """This part's share of a large List as ``kubectl get -o json`` writes it: the items that start
    in the part, each read on its own (JSON means the same wherever it stands); None for any other
    text. Raises :class:`ReadWhole` when the document is not the same read that way (an item that is
    not JSON, nested too deep, or a number too long)."""
    spans = list_item_spans(text)
    if spans is None:
        return None
    mine = [j for j, (start, _) in enumerate(spans) if part_of(start, len(text), part[1]) == part[0]]
    last = len(spans) - 1
    items: list[object] = []
    try:
        envelope = json.loads(text[:spans[0][0]] + text[spans[-1][1]:])
        for j in mine:
            item = text[spans[j][0]:spans[j][1]].rstrip()
            if item.endswith(",") != (j < last):  # "}," between items, "}" after the last, as in JSON
                raise ReadWhole(location)
            items.append(json.loads(item.removesuffix(",")))
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError
        raise ReadWhole(location) from None
    if not isinstance(envelope, dict) or envelope.get("items") != [] or any(
            isinstance(item, dict | list) and _depth_exceeds(item, limits.max_depth - 2) for item in items):
        raise ReadWhole(location)
    envelope["items"] = items
    return Document(location, 1, 1, envelope, text, budget, tuple(spans[j] for j in mine),
                    1 if part[0] == 0 else 2)


def _iter_jsonl(text: str, location: str, limits: Limits, budget: ScanBudget) -> Iterator[Document | Skipped]:
    index = 0
    for lineno, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        index += 1
        try:
            data = _load_json(raw, f"{location}:{lineno}", limits)
        except json.JSONDecodeError as exc:
            yield Skipped(f"{location}:{lineno}", f"is not valid JSON: {exc.msg} (column {exc.colno})")
            continue
        except InputError as exc:
            yield Skipped(f"{location}:{lineno}", exc.reason)
            continue
        yield Document(location, index, lineno, data, raw, budget)
