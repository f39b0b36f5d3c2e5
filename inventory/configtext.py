"""Reading key/value pairs out of configuration text wherever it is embedded.

ConfigMap values, Spring ``application.yml``/``.properties``, ``.env`` files and ``appsettings.json``
all hold addresses under keys that say what they are (``spring.data.mongodb.host: orders-db``).
:func:`iter_config_values` yields ``(key, value, line)`` for every scalar in such a text so that
the address finder can use the key as a hint; text it cannot parse as structured config is
yielded line by line with no key. Commented-out lines are never yielded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import yaml

from inventory.documents import safe_load

_PROPERTY = re.compile(r"^\s*(?P<key>[A-Za-z0-9_.\-\[\]/]+)\s*[=:]\s*(?P<value>.*?)\s*$")
_ENV_LINE = re.compile(r"^\s*(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(?P<value>.*?)\s*$")
_MAX_DEPTH = 50


def _flatten(data: object, prefix: str, out: list[tuple[str, str]], depth: int = 0) -> None:
    if depth > _MAX_DEPTH:
        return
    if isinstance(data, dict):
        for k, v in data.items():
            key = f"{prefix}.{k}" if prefix else str(k)
            _flatten(v, key, out, depth + 1)
    elif isinstance(data, list):
        for i, v in enumerate(data):
            _flatten(v, f"{prefix}[{i}]", out, depth + 1)
    elif isinstance(data, str | int | float) and not isinstance(data, bool):
        out.append((prefix, str(data)))


def _line_of(text: str, value: str, start: int = 0) -> tuple[int, int]:
    pos = text.find(value, start) if value else -1
    if pos < 0:
        return 0, start
    # prefer the occurrence that is a value (``host: rabbitmq``) over a key of the same text
    # (``rabbitmq:`` one line above it)
    candidate = pos
    while candidate >= 0:
        prefix = text[text.rfind("\n", 0, candidate) + 1 : candidate].strip(" \t\"'")
        after = text[candidate + len(value) : candidate + len(value) + 1]
        if (prefix and prefix[-1] in ":=-,[") or (not prefix and after != ":"):
            pos = candidate
            break
        candidate = text.find(value, candidate + 1)
    return text.count("\n", 0, pos), pos + len(value)


def iter_config_values(text: str) -> Iterator[tuple[str | None, str, int]]:
    """``(key, value, line_offset)`` for every value in a config text (offset 0 = first line).

    >>> list(iter_config_values("spring:\\n  data:\\n    mongodb:\\n      host: orders-db\\n"))
    [('spring.data.mongodb.host', 'orders-db', 3)]
    >>> list(iter_config_values("# db.host=old\\ndb.host=orders-db\\n"))
    [('db.host', 'orders-db', 1)]
    """
    stripped = text.lstrip()
    if not stripped:
        return
    structured: object = None
    if stripped[0] in "{[":
        try:
            structured = json.loads(text)
        except (ValueError, RecursionError):
            structured = None
    if structured is None and ":" in text and "\n" in text.strip() and not _looks_properties(text):
        try:
            structured = safe_load(text)
        except (yaml.YAMLError, RecursionError):
            structured = None
        if not isinstance(structured, dict | list):
            structured = None
    if structured is not None:
        pairs: list[tuple[str, str]] = []
        _flatten(structured, "", pairs)
        cursor = 0
        for key, value in pairs:
            line, cursor_next = _line_of(text, value, cursor)
            if cursor_next != cursor:
                cursor = cursor_next
            yield key, value, line
        return
    for lineno, raw in enumerate(text.splitlines()):
        stripped_line = raw.strip()
        if not stripped_line or stripped_line[0] in "#!;" or stripped_line.startswith("//"):
            continue
        m = _ENV_LINE.match(stripped_line) or _PROPERTY.match(stripped_line)
        if m and " " not in m.group("key"):
            value = m.group("value").strip().strip("\"'")
            yield m.group("key"), value, lineno
        else:
            yield None, stripped_line, lineno


def _looks_properties(text: str) -> bool:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith(("#", "!"))]
    if not lines:
        return False
    eq = sum(1 for ln in lines if "=" in ln and (ln.find("=") < ln.find(":") or ":" not in ln))
    return eq >= max(1, len(lines) // 2)
