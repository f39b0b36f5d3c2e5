"""docker-compose files: services, their hostnames, resources and the dependencies they show.

A Compose document is a top-level ``services`` mapping (the Compose Specification). Every service
becomes one :class:`~inventory.model.EntityRecord` keyed ``compose:<project>/<service>`` with the
host names it answers to on the project network: its name, ``container_name``, ``hostname``,
the aliases other services give it in ``links`` and its network ``aliases``. Its role and
technology come from its image and name (``db`` with ``postgres:16`` is a database).

Dependencies come from what makes a call happen or what the file declares:

* ``depends_on`` (short list and long map form, with ``condition``/``required``) and ``links``
  name another service of the project: a claim on that service's exact key, so it resolves
  inside this project; the resolver derives the kind from what the target is.
* ``network_mode: service:x`` / ``container:x`` and ``volumes_from`` share a network namespace
  or volumes: always a ``sync`` claim with a detail saying so (the two run as one unit).
* ``environment`` values and ``command``/``entrypoint`` strings are scanned for addresses
  (URLs, connection strings, ``host:port``, bare hosts under address-named variables, and the
  ``nc host port`` / ``-h host`` patterns of wait scripts). A host that is a name of a service in
  the same file is claimed by that service's key (Compose DNS resolves exactly those names);
  any other host stays an :class:`~inventory.model.Address` for the resolver.
* ``external_links`` name containers outside the project: claims by name.

Interpolation happens before scanning, as Compose does it: ``${VAR}``, ``$VAR``,
``${VAR:-default}``, ``${VAR-default}``, ``${VAR:+alt}``, ``${VAR?err}`` (nested defaults too) and
``$$`` for a literal ``$``, from the ``.env`` mapping the dispatcher passes; an unset variable with
no default becomes the empty string. A list entry ``- CART_ADDR`` (or a map key with no value)
takes its value from ``.env`` as Compose does. Evidence says when a value came from ``.env``.

``env_file`` files cannot be opened from a pure parse function: their names are kept in the
``compose.env_file`` label and in the service's evidence, and never count as an error. The build
context goes into the ``compose.build.context`` label (so a source-code reader can map folders),
``profiles`` into ``compose.profiles``, ``extends`` into ``compose.extends``. ``x-*`` extension
fields and ``version`` are ignored; a top-level ``name`` overrides the folder's project name.

Secrets: values of secret-looking variables are masked in every detail, passwords inside URLs
and connection strings are masked, and only URL/JDBC/DSN-form addresses are taken from a
secret-looking variable (a ``host:port``-looking fragment of a token must never become a host).

**Accounting.** The unit is the document, with one refinement for broken service entries. A
document counts as used when at least one of its services was read. A service entry with wrong
types (``environment: "x"``, a service that is a string) is reported as its own
:class:`~inventory.model.Skipped` entry located ``file:line (service name)``, and
``Fragment.documents`` grows by one for each such entry, so that ``documents == used +
len(skipped)`` still holds. A document none of whose services can be read is one skipped entry
that lists every service's reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from inventory.addresses import find_addresses, find_command_addresses, is_strong, schema_hint
from inventory.classify import classify
from inventory.documents import Document, kind_of
from inventory.model import (
    Address,
    Claim,
    DependencyKind,
    EntityRecord,
    Evidence,
    Fragment,
    NamedTarget,
    Skipped,
)
from inventory.options import DEFAULT_OPTIONS, ReadOptions
from inventory.quantities import parse_cpu, parse_memory
from inventory.secrets import MASK, looks_secret, redact_env, redact_text

READER = "compose"

#: Keys that make a ``services`` entry look like a Compose service.
_SERVICE_KEYS = frozenset({"image", "build", "command", "environment", "depends_on", "extends"})

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DOTENV_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_MAX_NESTING = 10
_PROJECT_CHARS = re.compile(r"[^a-z0-9_-]")


# --------------------------------------------------------------------------------------------
# Recognising
# --------------------------------------------------------------------------------------------


def recognise(data: object) -> bool:
    """A top-level ``services`` mapping with at least one entry that looks like a Compose service.

    Kubernetes and Backstage objects (``apiVersion`` + ``kind``), AsyncAPI documents, the advisor's
    own inventory (``services`` is a list) and its JSON reports (``schema_version``) are not Compose.

    >>> recognise({"services": {"web": {"image": "nginx"}}})
    True
    >>> recognise({"services": [{"name": "web"}]}), recognise({"apiVersion": "v1", "kind": "List"})
    (False, False)
    """
    if not isinstance(data, dict):
        return False
    if ("apiVersion" in data and "kind" in data) or "asyncapi" in data or "schema_version" in data:
        return False
    services = data.get("services")
    if not isinstance(services, dict) or not services:
        return False
    return any(isinstance(v, dict) and not _SERVICE_KEYS.isdisjoint(v) for v in services.values())


def project_name(folder: str) -> str:
    """The Compose project name of a folder: its last part, lower case, ``[a-z0-9_-]`` only.

    >>> project_name("/srv/Shop Demo"), project_name("upload.zip!deploy/compose"), project_name("")
    ('shopdemo', 'compose', 'compose')
    """
    last = folder.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1].split("!")[-1]
    return _PROJECT_CHARS.sub("", last.lower()) or "compose"


# --------------------------------------------------------------------------------------------
# Interpolation and .env files
# --------------------------------------------------------------------------------------------


def interpolate(text: str, env: Mapping[str, str], used: set[str] | None = None) -> str:
    """``text`` with Compose variables substituted from ``env``; names found in ``env`` go to ``used``.

    >>> env = {"HOST": "cart", "EMPTY": ""}
    >>> interpolate("${HOST}:${PORT:-7070}", env), interpolate("$HOST/$$HOME", env)
    ('cart:7070', 'cart/$HOME')
    >>> interpolate("${EMPTY:-a}|${EMPTY-b}|${UNSET}|${HOST:+set}|${UNSET:-${HOST}}", env)
    'a|||set|cart'
    """
    if "$" not in text:
        return text
    out, _ = _expand(text, 0, env, used if used is not None else set(), nested=False, depth=0)
    return out


#: ``_braced`` found no closing brace before the end of the text.
_UNTERMINATED = ("", -1)


def _expand(text: str, pos: int, env: Mapping[str, str], used: set[str], *, nested: bool,
            depth: int) -> tuple[str, int]:
    parts: list[str] = []
    n = len(text)
    i = pos
    while i < n:
        c = text[i]
        if nested and c == "}":
            return "".join(parts), i
        if c != "$":
            j = i + 1
            while j < n and text[j] != "$" and not (nested and text[j] == "}"):
                j += 1
            parts.append(text[i:j])
            i = j
            continue
        nxt = text[i + 1] if i + 1 < n else ""
        if nxt == "$":
            parts.append("$")
            i += 2
            continue
        if nxt == "{":
            braced = _braced(text, i, env, used, depth)
            if braced is None:
                parts.append("$")
                i += 1
                continue
            if braced is _UNTERMINATED:
                # Compose rejects the file; the rest stays as written. Scanning on from the next
                # character instead would expand ``${A:-${A:-${A:-...`` again from every ``$``:
                # exponential time on a few kilobytes.
                parts.append(text[i:])
                return "".join(parts), n
            value, i = braced
            parts.append(value)
            continue
        m = _NAME.match(text, i + 1)
        if m:
            parts.append(_lookup(m.group(0), env, used) or "")
            i = m.end()
            continue
        parts.append("$")
        i += 1
    return "".join(parts), i


_OPERATORS = (":-", ":?", ":+", "-", "?", "+")


def _braced(text: str, i: int, env: Mapping[str, str], used: set[str], depth: int) -> tuple[str, int] | None:
    """Expand the ``${...}`` starting at ``i``; None when it is malformed (kept literally), and
    :data:`_UNTERMINATED` when its closing brace is missing."""
    m = _NAME.match(text, i + 2)
    if not m:
        return None
    name, j = m.group(0), m.end()
    if j >= len(text):
        return None
    if text[j] == "}":
        return _lookup(name, env, used) or "", j + 1
    op = next((o for o in _OPERATORS if text.startswith(o, j)), None)
    if op is None or depth >= _MAX_NESTING:
        return None
    inner_used: set[str] = set()
    word, k = _expand(text, j + len(op), env, inner_used, nested=True, depth=depth + 1)
    if k >= len(text) or text[k] != "}":
        return _UNTERMINATED
    value = _lookup(name, env, used)
    is_set = value is not None
    non_empty = bool(value)
    if op in (":-", "-"):
        take_word = not non_empty if op == ":-" else not is_set
        if take_word:
            used |= inner_used
            return word, k + 1
        return value or "", k + 1
    if op in (":+", "+"):
        if non_empty if op == ":+" else is_set:
            used |= inner_used
            return word, k + 1
        return "", k + 1
    return value or "", k + 1  # ":?" and "?": Compose would stop with an error; the value or empty


def _lookup(name: str, env: Mapping[str, str], used: set[str]) -> str | None:
    if name in env:
        used.add(name)
        return env[name]
    return None


def _closing_quote(text: str, quote: str, start: int) -> int | None:
    """Where the quote opened just before ``start`` closes (``\\"`` escapes inside double quotes)."""
    if quote == "'":
        end = text.find("'", start)
        return end if end >= 0 else None
    escaped = False
    for idx in range(start, len(text)):
        ch = text[idx]
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            return idx
    return None


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "$": "$$"}


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), text)


def parse_dotenv(text: str) -> dict[str, str]:
    """The variables of a ``.env`` file, as Compose reads it.

    ``KEY=VALUE`` lines, an optional ``export``, ``#`` comments (also after an unquoted value),
    blank lines; single-quoted values are literal, double-quoted values know ``\\n``, ``\\"`` and
    may span lines; unquoted and double-quoted values interpolate variables defined above them.

    >>> parse_dotenv("export A=1\\nB='${A} x'\\nC=\\"${A}\\\\n\\" # c\\nD=a=b # note\\n# E=5\\n")
    {'A': '1', 'B': '${A} x', 'C': '1\\n', 'D': 'a=b'}
    """
    values: dict[str, str] = {}
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    pos = 0
    while pos < len(text):
        end_of_line = text.find("\n", pos)
        end_of_line = len(text) if end_of_line < 0 else end_of_line
        start, pos = pos, end_of_line + 1
        line = text[start:end_of_line].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export ") or line.startswith("export\t"):
            line = line[7:].lstrip()
        key, sep, rest = line.partition("=")
        key = key.strip()
        if not sep or not _DOTENV_KEY.fullmatch(key):
            continue
        rest = rest.lstrip()
        if rest[:1] in ("'", '"'):
            quote = rest[0]
            opened = text.index(quote, text.index("=", start)) + 1
            close = _closing_quote(text, quote, opened)
            value = text[opened:] if close is None else text[opened:close]
            if close is None:
                pos = len(text)
            elif text.find("\n", opened, close) >= 0:  # the value spans lines: go on after its end
                after = text.find("\n", close)
                pos = len(text) if after < 0 else after + 1
            if quote == '"':
                value = interpolate(_unescape(value), values)
        else:
            comment = re.search(r"\s#", rest)
            value = interpolate((rest[: comment.start()] if comment else rest).strip(), values)
        values[key] = value
    return values


# --------------------------------------------------------------------------------------------
# Positions
# --------------------------------------------------------------------------------------------


class _Positions:
    """``file:line`` of a service and of the keys inside it, searched only within that service."""

    def __init__(self, doc: Document, names: Sequence[str]) -> None:
        self.doc = doc
        text = doc.text
        self.starts: dict[str, int] = {}
        top = re.search(r"^services[ \t]*:", text, re.MULTILINE)
        budget = doc.budget
        if top is not None:
            child = re.compile(r"^([ \t]+)[^\s#]", re.MULTILINE).search(text, top.end())
            indent = child.group(1) if child else "  "
            for name in names:
                if budget.left <= 0:  # thousands of services in one file: the rest are cited by document
                    break
                m = re.compile(rf"^{re.escape(indent)}([\"']?){re.escape(name)}\1[ \t]*:(?:\s|$)",
                               re.MULTILINE).search(text, top.end())
                budget.left -= (m.end() if m else len(text)) - top.end()
                if m:
                    self.starts[name] = m.start() + len(indent)
            nxt = re.compile(r"^[^\s#\-]", re.MULTILINE).search(text, top.end())
            self.block_end = nxt.start() if nxt else len(text)
        else:
            base = max(text.find('"services"'), 0)
            for name in names:
                if budget.left <= 0:
                    break
                m = re.compile(rf'"{re.escape(name)}"\s*:').search(text, base)
                budget.left -= (m.end() if m else len(text)) - base
                if m:
                    self.starts[name] = m.start()
            self.block_end = len(text)

        ordered = sorted(self.starts.values())
        self.ends: dict[str, int] = {}
        for name, start in self.starts.items():
            last = self.block_end if self.block_end > start else len(text)
            self.ends[name] = next((s for s in ordered if s > start), last)

    def at(self, service: str, *needles: str) -> str:
        """The line of ``needles`` found in order inside ``service`` (the deepest one found)."""
        text = self.doc.text
        start, end = self.starts.get(service, 0), self.ends.get(service, len(text))
        pos = start
        for needle in needles:
            if not needle:
                continue
            found = self._find_word(needle, pos, end)
            if found < 0:
                break
            pos = found
        if pos == 0 and service not in self.starts:
            return self.doc.at(service, *needles)
        return f"{self.doc.location}:{self.doc.line_at(pos)}"

    def _find_word(self, needle: str, pos: int, end: int) -> int:
        """Where ``needle`` occurs as a whole word (not inside a longer name) in ``[pos, end)``, or -1.

        ``str.find`` then a look at the neighbours: a regular expression that starts with a
        look-behind scans a character at a time, and this runs once per environment variable."""
        text = self.doc.text
        while True:
            found = self.doc.budget.find(text, needle, pos, end)
            if found < 0:
                return -1
            after = found + len(needle)
            if not (found and _WORD_CHAR.match(text, found - 1)) and not _WORD_CHAR.match(text, after):
                return found
            pos = found + 1


_WORD_CHAR = re.compile(r"[\w.\-]")


# --------------------------------------------------------------------------------------------
# Reading one service
# --------------------------------------------------------------------------------------------

_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "image": ((str,), "a string"),
    "build": ((str, dict), "a string or a mapping"),
    "command": ((str, list), "a string or a list"),
    "entrypoint": ((str, list), "a string or a list"),
    "environment": ((list, dict), "a list or a mapping"),
    "env_file": ((str, list), "a string or a list"),
    "depends_on": ((list, dict), "a list or a mapping"),
    "links": ((list,), "a list"),
    "external_links": ((list,), "a list"),
    "networks": ((list, dict), "a list or a mapping"),
    "network_mode": ((str,), "a string"),
    "volumes_from": ((list,), "a list"),
    "labels": ((list, dict), "a list or a mapping"),
    "deploy": ((dict,), "a mapping"),
    "container_name": ((str,), "a string"),
    "hostname": ((str,), "a string"),
    "profiles": ((list,), "a list"),
    "extends": ((str, dict), "a string or a mapping"),
}


def _problem(service: object) -> str | None:
    """Why a service entry cannot be read, or None when its shape is fine."""
    if not isinstance(service, dict):
        return f"a service must be a mapping of settings, not {kind_of(service)}"
    for key, (types, wanted) in _TYPES.items():
        value = service.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, types)):
            return f"`{key}` must be {wanted}, not {kind_of(value)}"
    for key in ("depends_on", "links", "external_links", "volumes_from", "profiles"):
        value = service.get(key)
        items = list(value) if isinstance(value, dict | list) else []
        if any(not isinstance(item, str) for item in items):
            return f"`{key}` entries must be service names (strings)"
    depends = service.get("depends_on")
    if isinstance(depends, dict) and any(v is not None and not isinstance(v, dict) for v in depends.values()):
        return "`depends_on` in map form needs a mapping (condition, required) for each service"
    deploy = service.get("deploy")
    if isinstance(deploy, dict):
        replicas = deploy.get("replicas")
        if replicas is not None and replicas != "" and _as_int(replicas) is None:
            return f"`deploy.replicas` must be a whole number, not {replicas!r}"
        if deploy.get("resources") is not None and not isinstance(deploy.get("resources"), dict):
            return "`deploy.resources` must be a mapping"
    return None


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.strip().isdecimal() and len(value.strip()) <= 18:
        return int(value.strip())
    return None


def _interpolate_all(value: object, env: Mapping[str, str], depth: int = 0) -> object:
    if depth > 50:
        return value
    if isinstance(value, str):
        return interpolate(value, env)
    if isinstance(value, dict):
        return {str(k): _interpolate_all(v, env, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate_all(v, env, depth + 1) for v in value]
    return value


def _scalar(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    return None


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list:
    return value if isinstance(value, list) else []


def _pairs(value: object) -> list[tuple[str, str | None]]:
    """``KEY=VALUE`` list or mapping form as (key, value-or-None) pairs, in order."""
    out: list[tuple[str, str | None]] = []
    if isinstance(value, dict):
        for k, v in value.items():
            out.append((str(k), _scalar(v)))
    elif isinstance(value, list):
        for item in value:
            text = _scalar(item)
            if text is None:
                continue
            k, sep, v = text.partition("=")
            out.append((k.strip(), v if sep else None))
    return out


@dataclass
class _Service:
    """One service after interpolation, before its claims are made."""

    name: str
    raw: dict
    data: dict
    key: str
    image: str | None
    names: list[str] = field(default_factory=list)


def _link_target(entry: str) -> tuple[str, str | None]:
    target, _, alias = entry.partition(":")
    return target.strip(), (alias.strip() or None)


def _network_aliases(networks: object) -> list[str]:
    aliases: list[str] = []
    for config in _dict(networks).values():
        for alias in _list(_dict(config).get("aliases")):
            text = _scalar(alias)
            if text:
                aliases.append(text)
    return aliases


def _clip(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _command_text(value: object) -> str | None:
    if isinstance(value, list):
        parts = [p for p in (_scalar(v) for v in value) if p]
        return " ".join(parts) or None
    return _scalar(value)


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------


@dataclass
class _Context:
    doc: Document
    env: Mapping[str, str]
    env_note: str
    project: str
    options: ReadOptions
    positions: _Positions
    services: dict[str, _Service]
    hosts: dict[str, set[str]]  # host name (lower case) -> services answering to it
    secrets: re.Pattern[str] | None  # values of secret-looking .env variables, as whole tokens
    claims: list[Claim] = field(default_factory=list)

    def mask(self, text: str) -> str:
        """``text`` with every ``.env`` secret value in it replaced by ``***``."""
        return self.secrets.sub(MASK, text) if self.secrets is not None and text else text


def _secret_pattern(env: Mapping[str, str]) -> re.Pattern[str] | None:
    """A pattern for the values of secret-looking variables, so that a value that reaches output
    through another variable (``AUTH: "Bearer ${API_TOKEN}"``) is masked too."""
    values = sorted({v for k, v in env.items() if v.strip() and looks_secret(k)}, key=len, reverse=True)
    if not values:
        return None
    alternatives = "|".join(re.escape(v) for v in values)
    return re.compile(rf"(?<![A-Za-z0-9_.\-/])(?:{alternatives})(?![A-Za-z0-9_.\-/])")


def parse_compose(documents: Sequence[Document], *, env: Mapping[str, str] | None = None,
                  project: str = "compose", options: ReadOptions = DEFAULT_OPTIONS,
                  env_location: str | None = None) -> Fragment:
    """Entities and claims from the Compose documents of one file.

    ``env`` is the ``.env`` beside the file (already parsed), ``project`` the project name of its
    folder (a top-level ``name`` overrides it), ``env_location`` where the ``.env`` is, for evidence.

    >>> from inventory.documents import iter_documents
    >>> text = ("services:\\n  web:\\n    image: nginx\\n    environment:\\n"
    ...         "      - API_URL=http://api:8080\\n  api:\\n    image: shop/api\\n")
    >>> docs = list(iter_documents(text, "c.yml"))
    >>> fragment = parse_compose(docs, project="shop")
    >>> [e.key for e in fragment.entities], [c.target.name for c in fragment.claims]
    (['compose:shop/web', 'compose:shop/api'], ['compose:shop/api'])
    """
    fragment = Fragment(documents[0].location if documents else "", READER)
    env = dict(env or {})
    env_note = f" (from {env_location})" if env_location else " (from .env)"
    for doc in documents:
        fragment.documents += 1
        _parse_document(doc, env, env_note, project, options, fragment)
    return fragment


def _parse_document(doc: Document, env: Mapping[str, str], env_note: str, project: str, options: ReadOptions,
                    fragment: Fragment) -> None:
    data = doc.data
    services_raw = _dict(_dict(data).get("services"))
    names = [str(k) for k in services_raw]
    positions = _Positions(doc, names)
    declared = interpolate(_scalar(_dict(data).get("name")) or "", env).strip()
    if declared:
        project = project_name(declared)
    secrets = _secret_pattern(env)
    services: dict[str, _Service] = {}
    problems: list[tuple[str, str]] = []
    for raw_name, raw in services_raw.items():
        name = str(raw_name)
        if name.startswith("x-"):
            continue
        data_i = _interpolate_all(raw, env)
        reason = _problem(data_i)
        if reason is not None:
            problems.append((name, secrets.sub(MASK, reason) if secrets else reason))
            continue
        if not isinstance(raw, dict) or not isinstance(data_i, dict):
            continue  # _problem reported it; this only narrows the types
        image = _scalar(data_i.get("image"))
        if image is not None and (not image.strip() or image.startswith(":")):
            image = None  # an image made only of unset variables
        services[name] = _Service(name, raw, data_i, f"{READER}:{project}/{name}", image)
    if not services:
        detail = "; ".join(f"service '{n}': {r}" for n, r in problems) or "it defines no services"
        fragment.skipped.append(Skipped(f"{doc.where} (line {doc.line})",
                                        f"no Compose service could be read ({detail})"))
        return
    fragment.used += 1
    for name, reason in problems:
        fragment.documents += 1
        fragment.skipped.append(Skipped(f"{positions.at(name)} (service {name})",
                                        f"Compose service '{name}' was not read: {reason}"))

    hosts: dict[str, set[str]] = {}

    def answer(svc: _Service, host: str | None) -> None:
        if host and host.strip():
            host = host.strip()
            if host not in svc.names:
                svc.names.append(host)
            hosts.setdefault(host.lower(), set()).add(svc.name)

    for svc in services.values():
        answer(svc, svc.name)
        answer(svc, _scalar(svc.data.get("container_name")))
        answer(svc, _scalar(svc.data.get("hostname")))
    for svc in services.values():
        for entry in _list(svc.data.get("links")):
            target, alias = _link_target(str(entry))
            if target in services:
                answer(services[target], alias)
    for svc in services.values():
        for alias in _network_aliases(svc.data.get("networks")):
            answer(svc, alias)

    ctx = _Context(doc, env, env_note, project, options, positions, services, hosts, secrets)
    for svc in services.values():
        fragment.entities.append(_entity(svc, ctx))
        _service_claims(svc, ctx)
    fragment.claims.extend(ctx.claims)


def _entity(svc: _Service, ctx: _Context) -> EntityRecord:
    data = svc.data
    images = (svc.image,) if svc.image else ()
    role, tech = classify(svc.name, images)
    labels: dict[str, str] = {}
    for k, v in _pairs(data.get("labels")):
        labels[k] = ctx.mask(redact_env(k, v or ""))
    labels["compose.project"] = ctx.project
    build = data.get("build")
    notes: list[str] = []
    if isinstance(build, str):
        labels["compose.build.context"] = build
    elif isinstance(build, dict):
        context = _scalar(build.get("context"))
        if context:
            labels["compose.build.context"] = context
        dockerfile = _scalar(build.get("dockerfile"))
        if dockerfile:
            labels["compose.build.dockerfile"] = dockerfile
    profiles = [p for p in (_scalar(v) for v in _list(data.get("profiles"))) if p]
    if profiles:
        labels["compose.profiles"] = ",".join(profiles)
    extends = data.get("extends")
    if extends is not None:
        base = _scalar(extends) if isinstance(extends, str) else _scalar(_dict(extends).get("service"))
        file = _scalar(_dict(extends).get("file"))
        labels["compose.extends"] = f"{file}#{base}" if file else str(base)
        notes.append(f"extends {labels['compose.extends']} (settings inherited from it are not read)")
    env_files = [_scalar(v) for v in ([data["env_file"]] if isinstance(data.get("env_file"), str)
                                      else _list(data.get("env_file")))]
    env_files += [_scalar(_dict(v).get("path")) for v in _list(data.get("env_file")) if isinstance(v, dict)]
    shown_files = [f for f in env_files if f]
    if shown_files:
        labels["compose.env_file"] = ",".join(shown_files)
        notes.append(f"env_file {', '.join(shown_files)} not read")
    owner = next((labels[k] for k in ctx.options.owner_keys if labels.get(k)), None)
    deploy = _dict(data.get("deploy"))
    resources = _dict(deploy.get("resources"))
    reservations, limits = _dict(resources.get("reservations")), _dict(resources.get("limits"))
    cpu = parse_cpu(reservations.get("cpus", limits.get("cpus", data.get("cpus"))))
    memory = parse_memory(reservations.get("memory", limits.get("memory", data.get("mem_reservation",
                                                                                   data.get("mem_limit")))),
                          compose=True)
    replicas: int | None
    if deploy.get("mode") == "global":
        replicas = None
    else:
        replicas = _as_int(deploy.get("replicas"))
        if replicas is None:
            replicas = _as_int(data.get("scale"))
        if replicas is None:
            replicas = 1
    detail = f"compose service {svc.name}" + (f" (image {svc.image})" if svc.image else "")
    if notes:
        detail += "; " + "; ".join(notes)
    container = _scalar(data.get("container_name"))
    return EntityRecord(
        key=svc.key, name=svc.name, role=role, reader=READER,
        evidence=Evidence(READER, ctx.positions.at(svc.name), ctx.mask(detail)),
        namespace=None, technology=tech, addresses=tuple(svc.names), owner=owner,
        runtime=_runtime_label(labels),
        images=images, replicas=replicas, cpu_request=round(cpu, 4) if cpu is not None else None,
        memory_request=memory, labels=labels, workloads=(f"compose/{svc.name}",),
        aliases=(container,) if container and container != svc.name else (),
    )


_RUNTIME_KEYS = ("runtime", "language", "lang", "app.kubernetes.io/runtime", "org.opencontainers.image.language")


def _runtime_label(labels: Mapping[str, str]) -> str | None:
    """The language/runtime when a label names it (an image name does not)."""
    for key in _RUNTIME_KEYS:
        if labels.get(key):
            return labels[key].lower()
    return None


def _named(ctx: _Context, service: str) -> NamedTarget:
    """The exact key of a service of this file, or its plain name for one defined elsewhere."""
    target = ctx.services.get(service)
    return NamedTarget(name=target.key if target else service)


def _add(ctx: _Context, svc: _Service, target: Address | NamedTarget, location: str, detail: str, *,
         kind: DependencyKind | None = None, report: bool = True, protocol: str | None = None,
         via: str | None = None) -> None:
    if isinstance(target, NamedTarget) and target.name == svc.key:
        return
    ctx.claims.append(Claim(source=svc.key, target=target, evidence=Evidence(READER, location, detail),
                            kind=kind, protocol=protocol, via=via, report_unresolved=report))


def _add_address(ctx: _Context, svc: _Service, addr: Address, location: str, detail: str,
                 hint: str | None) -> None:
    if ctx.mask(addr.host) != addr.host:
        return  # a "host" that is a secret value is not an address to show anywhere
    addr = replace(addr, raw=ctx.mask(addr.raw))
    detail = ctx.mask(detail)
    local = ctx.hosts.get(addr.host, set())
    protocol = addr.scheme if addr.scheme not in (None, "dsn") else None
    if len(local) == 1:
        (name,) = local
        if name == svc.name:
            return
        target: Address | NamedTarget = NamedTarget(name=ctx.services[name].key)
    else:
        target = addr
    _add(ctx, svc, target, location, detail, report=is_strong(addr, hint), protocol=protocol,
         via=addr.database)


def _service_claims(svc: _Service, ctx: _Context) -> None:
    data, at, where = svc.data, ctx.positions.at, f"in compose service {svc.name}"
    depends = data.get("depends_on")
    entries = depends.items() if isinstance(depends, dict) else ((d, None) for d in _list(depends))
    for dep, config in entries:
        dep = str(dep)
        conf = _dict(config)
        extra = [f"condition: {conf['condition']}"] if _scalar(conf.get("condition")) else []
        if conf.get("required") is False:
            extra.append("required: false")
        shown = f" ({', '.join(extra)})" if extra else ""
        # start-up order, not proof of a call: declared (a datastore target still makes it a datastore use)
        _add(ctx, svc, _named(ctx, dep), at(svc.name, "depends_on", dep), f"depends_on: {dep}{shown} {where}",
             kind="declared")
    for entry in _list(data.get("links")):
        target, alias = _link_target(str(entry))
        shown = f" (alias {alias})" if alias else ""
        _add(ctx, svc, _named(ctx, target), at(svc.name, "links", target), f"links: {target}{shown} {where}")
    for entry in _list(data.get("external_links")):
        target, alias = _link_target(str(entry))
        shown = f" (alias {alias})" if alias else ""
        _add(ctx, svc, NamedTarget(name=target), at(svc.name, "external_links", target),
             f"external_links: {target}{shown} {where} (a container outside this project)")
    mode = _scalar(data.get("network_mode")) or ""
    for prefix in ("service:", "container:"):
        if mode.startswith(prefix):
            other = mode[len(prefix):].strip()
            target_ref = _named(ctx, other) if prefix == "service:" else NamedTarget(name=other)
            _add(ctx, svc, target_ref, at(svc.name, "network_mode"),
                 f"network_mode: {mode} {where} (shares {other}'s network namespace: they run as one unit)",
                 kind="sync")
    for entry in _list(data.get("volumes_from")):
        text = str(entry)
        if text.startswith("container:"):
            other = text[len("container:"):].split(":", 1)[0]
            target_ref = NamedTarget(name=other)
        else:
            other = text.split(":", 1)[0]
            target_ref = _named(ctx, other)
        _add(ctx, svc, target_ref, at(svc.name, "volumes_from", other),
             f"volumes_from: {text} {where} (mounts {other}'s volumes: shared storage couples them)",
             kind="sync")
    _environment_claims(svc, ctx)
    _command_claims(svc, ctx)


def _environment_claims(svc: _Service, ctx: _Context) -> None:
    raw_env = svc.raw.get("environment")
    where = f"in compose service {svc.name}"
    env_values = {n: interpolate(v, ctx.env, set()) if v is not None else ctx.env.get(n, "")
                  for n, v in _pairs(raw_env) if n}
    for name, raw_value in _pairs(raw_env):
        if not name:
            continue
        used: set[str] = set()
        if raw_value is None:
            if name not in ctx.env:
                continue
            value = ctx.env[name]
            from_env = True
        else:
            value = interpolate(raw_value, ctx.env, used)
            from_env = bool(used)
        if not value.strip():
            continue
        addresses = find_addresses(value, key=name)
        if looks_secret(name):
            addresses = [a for a in addresses if a.form in ("url", "jdbc", "dsn")]
        if not addresses:
            continue
        location = ctx.positions.at(svc.name, "environment", name)
        shown = _clip(redact_env(name, value))
        detail = f"env {name}={shown}{ctx.env_note if from_env else ''} {where}"
        schema = schema_hint(name, env_values)
        for addr in addresses:
            if schema and not addr.database:
                addr = replace(addr, database=schema)
            _add_address(ctx, svc, addr, location, detail, name)


def _command_claims(svc: _Service, ctx: _Context) -> None:
    for what in ("entrypoint", "command"):
        raw = _command_text(svc.raw.get(what))
        if not raw:
            continue
        used: set[str] = set()
        text = interpolate(raw, ctx.env, used)
        found = [(a, "host" if named else None) for a, named in find_command_addresses(text)]
        if not found:
            continue
        location = ctx.positions.at(svc.name, what)
        note = ctx.env_note if used else ""
        detail = f"{what} `{_clip(redact_text(text))}`{note} in compose service {svc.name}"
        for addr, hint in found:
            _add_address(ctx, svc, addr, location, detail, hint)

