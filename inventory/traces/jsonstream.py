"""Reading one large JSON document (or many concatenated ones) piece by piece, with line numbers.

Trace dumps are often one JSON document of hundreds of megabytes: ``{"data": [trace, trace, ...]}``
from Jaeger, ``[span, span, ...]`` from Zipkin, ``{"resourceSpans": [...]}`` from OTLP. Loading them
whole would need several times their size in memory. :class:`JsonStream` walks the outer
containers itself and decodes only one element at a time with :meth:`json.JSONDecoder.raw_decode`
over a sliding text buffer, so memory is bounded by the largest single element (``max_value_chars``),
not by the file. No new dependency is needed.

A value that is cut at the buffer's end makes ``raw_decode`` fail; the buffer is then grown by at
least its pending size (so re-decoding costs at most twice the element) and decoding retried. A value
that is still invalid with enough text behind it, or at the end of the file, is malformed: the
stream raises :class:`JsonStreamError` with its line, and the caller reports the rest of the file as
not read (there is no safe point to resynchronise inside a broken JSON document).
"""

from __future__ import annotations

import codecs
import json
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
#: A decode error this close to the end of the buffer may just be a cut value (``tru``, ``"\u12``).
_CUT_MARGIN = 8


class JsonStreamError(ValueError):
    """The JSON text is malformed at ``line``; nothing after it can be read safely."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


@dataclass(frozen=True)
class JsonItem:
    """One value found while walking the document.

    ``array`` names the member whose array this value is an element of (``""`` for a top-level
    array); ``None`` means the value is a top-level value or, with ``key`` set, a plain member of a
    top-level (or descended-into) object.
    """

    value: object
    line: int
    array: str | None = None
    key: str | None = None


class JsonStream:
    """A JSON text read from a byte stream in chunks; see the module docstring."""

    def __init__(self, raw: BinaryIO | GuardedStream, *, max_value_chars: int = 64 * 1024 * 1024,
                 chunk_bytes: int = 1 << 20) -> None:
        self._raw = raw
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._chunk = chunk_bytes
        self._max = max_value_chars
        self._buf = ""
        self._pos = 0
        self._eof = False
        self._line = 1
        self._line_at = 0
        self._started = False

    # -- buffer ---------------------------------------------------------------------------------

    def _more(self, at_least: int = 0) -> bool:
        """Read more text; False at the end of the stream."""
        if self._eof:
            return False
        if self._pos > 0 and self._pos >= len(self._buf) // 2:
            self.line()
            self._buf = self._buf[self._pos:]
            self._pos = 0
            self._line_at = 0
        data = self._raw.read(max(self._chunk, at_least))
        if not data:
            self._eof = True
            self._buf += self._decoder.decode(b"", final=True)
            return False
        text = self._decoder.decode(data)
        if not self._started:
            self._started = True
            if text.startswith("\ufeff"):
                text = text[1:]
        self._buf += text
        return True

    def line(self) -> int:
        """The line of the current position."""
        if self._pos > self._line_at:
            self._line += self._buf.count("\n", self._line_at, self._pos)
            self._line_at = self._pos
        return self._line

    def peek(self) -> str:
        """The next non-blank character (not consumed), or ``""`` at the end of the text."""
        while True:
            self._pos = _WS.match(self._buf, self._pos).end()  # type: ignore[union-attr]
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if not self._more():
                return ""

    def _expect(self, chars: str) -> str:
        c = self.peek()
        if not c or c not in chars:
            shown = repr(c) if c else "the end of the file"
            raise JsonStreamError(self.line(), f"expected {' or '.join(repr(x) for x in chars)}, found {shown}")
        self._pos += 1
        return c

    def value(self) -> object:
        """Decode the next complete JSON value."""
        if not self.peek():
            raise JsonStreamError(self.line(), "expected a value, found the end of the file")
        while True:
            try:
                obj, end = _DECODER.raw_decode(self._buf, self._pos)
            except RecursionError:
                raise JsonStreamError(self.line(), "a value is nested too deeply to read") from None
            except json.JSONDecodeError as exc:
                cut = exc.msg.startswith("Unterminated") or exc.pos >= len(self._buf) - _CUT_MARGIN
                if cut and not self._eof:
                    pending = len(self._buf) - self._pos
                    if pending > self._max:
                        raise JsonStreamError(self.line(), f"a single value is longer than {self._max:,} characters "
                                                           "(or the JSON is broken)") from None
                    self._more(pending)
                    continue
                line = self.line() + self._buf.count("\n", self._pos, exc.pos)
                raise JsonStreamError(line, f"invalid JSON ({exc.msg})") from None
            if end >= len(self._buf) and not self._eof and self._more():
                continue  # a number cut at the buffer's end would decode short: decode again
            self._pos = end
            return obj

    # -- walking --------------------------------------------------------------------------------

    def items(self, *, arrays: frozenset[str] = frozenset(), descend: frozenset[str] = frozenset()
              ) -> Iterator[JsonItem]:
        """Every top-level value, with the elements of top-level arrays (and of arrays under the
        member names ``arrays``, inside objects reached through ``descend``) yielded one by one."""
        while True:
            c = self.peek()
            if not c:
                return
            if c == "[":
                yield from self._array("")
            elif c == "{" and (arrays or descend):
                yield from self._object(arrays, descend)
            else:
                line = self.line()
                yield JsonItem(self.value(), line)

    def _array(self, name: str) -> Iterator[JsonItem]:
        self._expect("[")
        if self.peek() == "]":
            self._pos += 1
            return
        while True:
            self.peek()
            line = self.line()
            yield JsonItem(self.value(), line, array=name)
            if self._expect(",]") == "]":
                return

    def _object(self, arrays: frozenset[str], descend: frozenset[str]) -> Iterator[JsonItem]:
        self._expect("{")
        if self.peek() == "}":
            self._pos += 1
            return
        while True:
            if self.peek() != '"':
                self._expect('"')
            line = self.line()
            key = self.value()
            assert isinstance(key, str)
            self._expect(":")
            c = self.peek()
            if key in arrays and c == "[":
                yield from self._array(key)
            elif key in descend and c == "{":
                yield from self._object(arrays, descend)
            else:
                yield JsonItem(self.value(), line, key=key)
            if self._expect(",}") == "}":
                return


class GuardedStream:
    """A byte stream whose read errors (a cut or corrupt gzip member) end it instead of raising.

    ``problem`` then says what went wrong and ``position`` how many bytes were read before, so that a
    reader keeps what it read and reports the rest of the file as not read.
    """

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.problem: str | None = None
        self.position = 0

    def _guard(self, call: Callable[[int], bytes], size: int) -> bytes:
        if self.problem is not None:
            return b""
        try:
            data = call(size)
        except (EOFError, OSError, zlib.error) as exc:
            self.problem = f"the compressed stream is cut or corrupt after {self.position:,} bytes ({exc})"
            return b""
        self.position += len(data)
        return data

    def read(self, size: int = -1) -> bytes:
        return self._guard(self._raw.read, size)

    def readline(self, size: int = -1) -> bytes:
        return self._guard(self._raw.readline, size)
