"""CPU and memory quantities as Kubernetes and Compose write them."""

from __future__ import annotations

import functools
import re

_BINARY = {"ki": 1024, "mi": 1024**2, "gi": 1024**3, "ti": 1024**4, "pi": 1024**5, "ei": 1024**6}
_DECIMAL = {"k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12, "p": 10**15, "e": 10**18}
_COMPOSE = {"b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2, "g": 1024**3, "gb": 1024**3}
#: Larger quantities (and infinities, ``.inf`` in YAML) are not quantities anyone wrote on purpose.
_LARGEST = float(2**63)
_QTY = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?\d+)?)\s*([a-zA-Z]*)\s*$")


#: Quantities written as text recur in every workload (``100m``, ``128Mi``): their answers are
#: remembered (:func:`functools.lru_cache`, bounded; long texts are not remembered).
_REMEMBERED = 10_000
_REMEMBERED_LENGTH = 64


def parse_cpu(value: object) -> float | None:
    """Cores: ``250m`` -> 0.25, ``"1"`` -> 1.0, ``0.5`` -> 0.5; None when unreadable.

    >>> parse_cpu("250m"), parse_cpu("2"), parse_cpu(0.5), parse_cpu("lots")
    (0.25, 2.0, 0.5, None)
    """
    if type(value) is str and len(value) <= _REMEMBERED_LENGTH:
        return _cpu_text(value)
    return _parse_cpu(value)


def _parse_cpu(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value) if 0 <= value <= _LARGEST else None
    m = _QTY.match(value) if isinstance(value, str) else None
    if not m:
        return None
    number, suffix = float(m.group(1)), m.group(2)
    if number > _LARGEST:
        return None
    if suffix == "m":
        return number / 1000
    if suffix == "":
        return number
    if suffix == "u":
        return number / 1_000_000
    if suffix == "n":
        return number / 1_000_000_000
    return None


def parse_memory(value: object, *, compose: bool = False) -> int | None:
    """Bytes: ``64Mi`` -> 67108864, ``128e6`` -> 128000000, ``1G`` -> 10**9 (Compose: ``50M`` is MiB).

    >>> parse_memory("64Mi"), parse_memory("128e6"), parse_memory("1G"), parse_memory("50M", compose=True)
    (67108864, 128000000, 1000000000, 52428800)
    """
    if type(value) is str and not compose and len(value) <= _REMEMBERED_LENGTH:
        return _memory_text(value)
    return _parse_memory(value, compose=compose)


def _parse_memory(value: object, *, compose: bool) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return int(value) if 0 <= value <= _LARGEST else None
    m = _QTY.match(value) if isinstance(value, str) else None
    if not m:
        return None
    number, suffix = float(m.group(1)), m.group(2)
    if number > _LARGEST:
        return None
    if compose:
        factor = _COMPOSE.get(suffix.lower(), 1 if suffix == "" else 0)
        return int(number * factor) if factor else None
    if suffix == "":
        return int(number)
    if suffix.lower() in _BINARY and suffix[-1] == "i":
        return int(number * _BINARY[suffix.lower()])
    if suffix in _DECIMAL or suffix.lower() in _DECIMAL:
        return int(number * _DECIMAL[suffix.lower()])
    return None


_cpu_text = functools.lru_cache(maxsize=_REMEMBERED)(_parse_cpu)
_memory_text = functools.lru_cache(maxsize=_REMEMBERED)(functools.partial(_parse_memory, compose=False))
