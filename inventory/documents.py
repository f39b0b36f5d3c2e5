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

import json
import re
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise

import yaml

from inventory.errors import InputError, LimitExceeded
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
    starts = [m.start() for m in _DOC_START.finditer(text)]
    bounds = [0, *starts] if not starts or starts[0] != 0 else starts
    bounds.append(len(text))
    line = 1
    prev = 0
    for begin, end in pairwise(bounds):
        line += text.count("\n", prev, begin)
        prev = begin
        chunk = text[begin:end]
        ended = _DOC_END.search(chunk)
        if ended:
            chunk = chunk[: ended.start()]
        body = chunk[3:] if chunk.startswith("---") else chunk
        if _only_comments(body):
            continue
        yield line, chunk


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
    return re.search(f"^[ \\-?]{{{max_depth // 2},}}", text, re.MULTILINE) is not None


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


def safe_load(text: str) -> object:
    """One YAML document through the safe loader (libyaml's CSafeLoader when present): the only
    way YAML is parsed anywhere in the project. Raises :class:`yaml.YAMLError` on bad YAML."""
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
        data = safe_load(chunk)
    except yaml.YAMLError as exc:
        raise InputError(location, _yaml_error(exc)) from None
    except RecursionError:
        raise LimitExceeded(location, f"is nested more than {limits.max_depth} levels deep") from None
    except Exception as exc:
        # The safe constructors of dates, numbers and explicit core tags raise ValueError, KeyError,
        # IndexError ... on values such as ``2023-02-30``, ``!!bool maybe``, an empty ``!!int`` or
        # an integer of 5,000 digits: the document is unreadable, the run goes on.
        raise InputError(location, _value_error(exc)) from None
    if _LONG_NUMBER.search(chunk) and _holds_huge_int(data):  # 0x..., 0b... and 1:2:3 literals
        raise InputError(location, _value_error(ValueError("integer string conversion")))
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


def iter_documents(
    text: str, location: str, *, limits: Limits = DEFAULT_LIMITS
) -> Iterator[Document | Skipped]:
    """Yield each document of a YAML, JSON or JSONL text, or a Skipped entry for one that failed.

    Numbering is shared: skipped documents keep their index so that positions stay true.
    """
    budget = ScanBudget()
    stripped = text.lstrip()
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
    for line, chunk in split_yaml(text):
        index += 1
        if index > limits.max_documents_per_file:
            yield Skipped(
                f"{location}#{index}",
                f"the file has more than {limits.max_documents_per_file:,} documents; the rest were not read",
            )
            return
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
