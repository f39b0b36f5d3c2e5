"""Reading ``(key, value, line)`` out of application configuration files.

Each format is read by what it is, so that comments and commented-out blocks never count and every
value keeps its dotted key (the hint that tells an address from a word) and its line:

* YAML (Spring ``application*.yml`` with its profile documents, Envoy, generic ``config.yaml``)
  through the safe composer, which gives every scalar its line; aliases are walked once;
* JSON (``appsettings*.json``, ``config.json``, ``service-config.json``), comments allowed as .NET
  allows them;
* ``.properties`` (with ``\\`` continuations), ``.env`` files, INI/TOML/``.cfg`` sections;
* nginx/HAProxy-style directive files (``proxy_pass http://orders;``, ``server orders:8080;``), where
  ``upstream`` names are collected so that ``proxy_pass http://<upstream>`` is not taken for a host;
* Dockerfile ``ENV``/``ARG`` lines.

In a mapping that has both a host key (``addr``, ``host`` ...) and a ``port`` key, the two are read
as one ``host:port`` value, as service-config files write peers (``{"addr": "user", "port": 9090}``).
A YAML document for a test profile (``spring.config.activate.on-profile: test``) is not read.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass

import yaml

from inventory.documents import SafeLoader
from inventory.sourcecode.lexing import lex

_MAX_NODES = 200_000
_MAX_DEPTH = 60
_HOST_KEYS = ("addr", "address", "host", "hostname", "server")
_TEST_PROFILES = frozenset({"test", "tests", "it", "junit", "testing", "ci"})
_PROPERTY = re.compile(r"^\s*(?P<key>[^=:\s]+)\s*(?:[=:]\s*|\s+)(?P<value>.*?)\s*$")
_ENV_LINE = re.compile(r"^\s*(?:export\s+)?(?P<key>[A-Za-z_][\w.]*)\s*=\s*(?P<value>.*?)\s*$")
_SECTION = re.compile(r"^\s*\[+\s*(?P<name>[^\]]+?)\s*\]+\s*$")
_STATEMENT = re.compile(r"([^;{}]*)([;{}]|$)")
_DOCKER_ENV = re.compile(r"^\s*(?P<op>ENV|ARG)\s+(?P<rest>.+)$", re.IGNORECASE)
_ENV_PAIRS = re.compile(r"(?P<key>[A-Za-z_][\w.\-]*)=(?P<value>\"[^\"]*\"|'[^']*'|\S*)")


@dataclass(frozen=True)
class ConfigValue:
    """One scalar of a configuration file: its dotted key, its text and its 1-based line."""

    key: str | None
    value: str
    line: int
    profile: str | None = None


class ConfigError(ValueError):
    """The configuration text could not be read in its own format."""


def config_format(location: str) -> str:
    """``yaml``, ``json``, ``properties``, ``env``, ``ini``, ``directives`` or ``dockerfile``."""
    name = posixpath.basename(location.rsplit("!", 1)[-1]).lower()
    ext = posixpath.splitext(name)[1]
    if name.startswith(("dockerfile", "containerfile")) or name.endswith(".dockerfile"):
        return "dockerfile"
    if ext in (".yml", ".yaml"):
        return "yaml"
    if ext == ".json":
        return "json"
    if ext == ".properties":
        return "properties"
    if name.startswith(".env") or ext == ".env":
        return "env"
    if ext in (".toml", ".ini"):
        return "ini"
    if ext in (".conf", ".cfg"):
        return "directives"
    return "properties"


def config_values(text: str, location: str) -> tuple[list[ConfigValue], list[str]]:
    """The values of one configuration file, and the nginx ``upstream`` names it defines."""
    fmt = config_format(location)
    if fmt == "yaml":
        try:
            return list(_yaml_values(text)), []
        except ConfigError:
            return list(_property_values(text)), []
    if fmt == "json":
        return list(_json_values(text)), []
    if fmt == "env":
        return list(_env_values(text)), []
    if fmt == "ini":
        return list(_ini_values(text)), []
    if fmt == "directives":
        return _directive_values(text)
    if fmt == "dockerfile":
        return list(_dockerfile_values(text)), []
    return list(_property_values(text)), []


# --------------------------------------------------------------------------------------------
# Structured formats
# --------------------------------------------------------------------------------------------


def _scalar_text(value: object) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int | float):
        return str(value)
    return None


def _merged_host(items: dict[str, str]) -> tuple[str, str] | None:
    """``(host key, "host:port")`` when a mapping holds a host key and a port key."""
    port = items.get("port")
    if not port or not port.isdigit():
        return None
    for key in _HOST_KEYS:
        host = items.get(key)
        if host and ":" not in host and "/" not in host:
            return key, f"{host}:{port}"
    return None


def _yaml_values(text: str) -> Iterator[ConfigValue]:
    try:
        documents = list(yaml.compose_all(text, Loader=SafeLoader))
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        raise ConfigError(str(exc)) from None
    budget = [_MAX_NODES]
    for node in documents:
        if node is None:
            continue
        values: list[ConfigValue] = []
        _walk_node(node, "", values, set(), budget, 0)
        profile = next((v.value for v in values if v.key in ("spring.profiles", "spring.config.activate.on-profile")),
                       None)
        if profile and {p.strip().lower() for p in profile.split(",")} <= _TEST_PROFILES:
            continue
        for v in values:
            yield ConfigValue(v.key, v.value, v.line, profile)


def _walk_node(node: yaml.Node, prefix: str, out: list[ConfigValue], seen: set[int], budget: list[int],
               depth: int) -> None:
    if id(node) in seen or depth > _MAX_DEPTH or budget[0] <= 0:
        return
    seen.add(id(node))
    budget[0] -= 1
    if isinstance(node, yaml.ScalarNode):
        if node.value is not None and node.tag != "tag:yaml.org,2002:null" and node.tag != "tag:yaml.org,2002:bool":
            out.append(ConfigValue(prefix or None, str(node.value), node.start_mark.line + 1))
        return
    if isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk_node(item, f"{prefix}[{i}]", out, seen, budget, depth + 1)
        return
    if isinstance(node, yaml.MappingNode):
        scalars: dict[str, str] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and isinstance(value_node, yaml.ScalarNode):
                scalars[str(key_node.value).lower()] = str(value_node.value)
        merged = _merged_host(scalars)
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            key = f"{prefix}.{key_node.value}" if prefix else str(key_node.value)
            if merged and str(key_node.value).lower() == merged[0] and isinstance(value_node, yaml.ScalarNode):
                out.append(ConfigValue(key, merged[1], value_node.start_mark.line + 1))
                continue
            _walk_node(value_node, key, out, seen, budget, depth + 1)


def _json_values(text: str) -> Iterator[ConfigValue]:
    lexed = lex(text, "c")  # JSON with comments, as .NET and many tools accept
    code = lexed.code
    try:
        data = json.loads(code)
    except ValueError:
        try:
            data = json.loads(re.sub(r",(\s*[}\]])", r"\1", code))  # trailing commas
        except (ValueError, RecursionError):
            yield from _property_values(text)
            return
    except RecursionError:
        return
    pairs: list[tuple[str, str, str]] = []
    _flatten(data, "", pairs, 0)
    literals = lexed.literals
    cursor = 0
    for key, value, needle in pairs:
        line = 0
        for i in range(cursor, min(len(literals), cursor + 400)):
            if literals[i].value == needle:
                line = code.count("\n", 0, literals[i].start) + 1
                cursor = i + 1
                break
        yield ConfigValue(key or None, value, line)


def _flatten(data: object, prefix: str, out: list[tuple[str, str, str]], depth: int) -> None:
    """``(key, value, needle)``: ``needle`` is the literal to look for to find the value's line."""
    if depth > _MAX_DEPTH or len(out) > _MAX_NODES:
        return
    if isinstance(data, dict):
        scalars = {str(k).lower(): t for k, v in data.items() if (t := _scalar_text(v)) is not None}
        merged = _merged_host(scalars)
        for k, v in data.items():
            key = f"{prefix}.{k}" if prefix else str(k)
            if merged and str(k).lower() == merged[0]:
                out.append((key, merged[1], str(v)))
                continue
            _flatten(v, key, out, depth + 1)
    elif isinstance(data, list):
        for i, v in enumerate(data):
            _flatten(v, f"{prefix}[{i}]", out, depth + 1)
    else:
        text = _scalar_text(data)
        if text is not None:
            needle = text if isinstance(data, str) else prefix.rsplit(".", 1)[-1].split("[", 1)[0]
            out.append((prefix, text, needle))


# --------------------------------------------------------------------------------------------
# Line formats
# --------------------------------------------------------------------------------------------


def _logical_lines(text: str, comments: tuple[str, ...], joiner: str = "") -> Iterator[tuple[int, str]]:
    """``(line, text)`` with comment lines dropped and ``\\`` continuations joined (with ``joiner``:
    nothing for ``.properties``, where the next line's leading blanks are dropped; a blank for shell-like
    formats)."""
    pending = ""
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not pending and (not line or line.startswith(comments)):
            continue
        if not pending:
            start = number
        if line.endswith("\\") and not line.endswith("\\\\"):
            pending += line[:-1] + joiner
            continue
        yield start, pending + line
        pending = ""
    if pending:
        yield start, pending


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _property_values(text: str) -> Iterator[ConfigValue]:
    for number, line in _logical_lines(text, ("#", "!", "//")):
        m = _PROPERTY.match(line)
        if m:
            yield ConfigValue(m.group("key"), _unquote(m.group("value")), number)
        else:
            yield ConfigValue(None, line, number)


def _env_values(text: str) -> Iterator[ConfigValue]:
    for number, line in _logical_lines(text, ("#",)):
        m = _ENV_LINE.match(line)
        if m:
            value = m.group("value")
            if value[:1] not in "\"'" and " #" in value:
                value = value.split(" #", 1)[0]
            yield ConfigValue(m.group("key"), _unquote(value), number)


def _ini_values(text: str) -> Iterator[ConfigValue]:
    section = ""
    for number, line in _logical_lines(text, ("#", ";")):
        sm = _SECTION.match(line)
        if sm:
            section = sm.group("name").strip().strip("\"'")
            continue
        m = _PROPERTY.match(line)
        if m:
            key = m.group("key").strip("\"'")
            yield ConfigValue(f"{section}.{key}" if section else key, _unquote(m.group("value")), number)


def _directive_values(text: str) -> tuple[list[ConfigValue], list[str]]:
    """nginx/HAProxy-style files: statements end at ``;``, ``{`` or the end of the line."""
    out: list[ConfigValue] = []
    upstreams: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0] if "#" in raw else raw
        if not line.strip():
            continue
        for m in _STATEMENT.finditer(line):
            statement, end = m.group(1).strip(), m.group(2)
            if not statement:
                continue
            key, _, value = statement.partition(" ")
            if "=" in key and not value:
                key, _, value = key.partition("=")
            value = value.strip()
            if key == "upstream" and value:
                upstreams.append(value.split()[0].lower())
            if end == "{" or not value:
                continue
            out.append(ConfigValue(key, value, number))
    return out, upstreams


def _dockerfile_values(text: str) -> Iterator[ConfigValue]:
    for number, line in _logical_lines(text, ("#",), " "):
        m = _DOCKER_ENV.match(line)
        if not m:
            continue
        rest = m.group("rest").strip()
        if "=" in rest.split(None, 1)[0]:
            for pair in _ENV_PAIRS.finditer(rest):
                yield ConfigValue(pair.group("key"), _unquote(pair.group("value")), number)
        elif m.group("op").upper() == "ENV" and " " in rest:
            key, value = rest.split(None, 1)
            yield ConfigValue(key, _unquote(value), number)
