"""Scanning one file of a checked-out repository: pure, per file, safe to run in worker processes.

:func:`scan_source` decides from the path what the file is (:mod:`.filekinds`), and then

* **code**: blanks comments (:mod:`.lexing`), reads every string literal with the variable or key it
  is assigned to (or the environment variable it is the default of), finds the addresses it names
  (:mod:`.references`), including hosts put together in code: ``"http://" + "catalogue"``,
  ``fmt.Sprintf("http://%s:%d", "catalogue", 80)``, ``"http://{}".format("orders")``, a host and port
  passed to a socket or client constructor (``TSocket("user-service", 9090)``), constants substituted
  into ``f"http://{ORDERS_HOST}/x"``; and the publish/subscribe calls (:mod:`.messaging`);
* **config**: reads every value with its key (:mod:`.configfiles`) and finds the addresses they name,
  plus messaging destinations set in configuration (Spring Cloud Stream bindings, default topics);
* **build** files: the module's name (``pom.xml`` artifactId, ``go.mod`` module, ``package.json``
  name, ``*.csproj``, ``settings.gradle``, ``Cargo.toml``/``pyproject.toml``, CMake ``project()``) and
  whether the folder builds an image (a Dockerfile, whose ``ENV`` lines are read as configuration).

The result is a :class:`~inventory.sourcecode.findings.SourceFile` in the fragment's ``extras``; no
claim is made here because the service a file belongs to is only known once every file is read.
Nothing from the scanned repository is ever executed or imported.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable, Iterable

from inventory.addresses import is_address_key
from inventory.model import Fragment, Skipped
from inventory.secrets import looks_secret, redact_env, redact_text
from inventory.sourcecode.configfiles import config_format, config_values
from inventory.sourcecode.filekinds import FAMILY, FileKind, classify_file, content_skip_reason, split_location
from inventory.sourcecode.findings import Message, Reference, SourceFile
from inventory.sourcecode.lexing import Lexed, Literal, lex
from inventory.sourcecode.messaging import find_messages
from inventory.sourcecode.references import describe_form, references_in, worth_parsing

READER = "source"

_MAX_NAMES = 400
_MAX_LITERAL = 20_000
_KEY_BEFORE = re.compile(r"""["'`]?([A-Za-z_][\w.\-]*)["'`]?\s*\]?\s*(?::[^=:\n"'(){};,]{1,60})?"""
                         r"""(?:=|:=|:|=>|\?\?=)\s*$""")
_ENV_FALLBACK = re.compile(r"(?:process\.env\.|ENV\[['\"])([A-Za-z_]\w*)['\"]?\]?\s*(?:\|\||\?\?|or)\s*$")
_CALLEE = re.compile(r"([A-Za-z_]\w*)\s*\(\s*$")
_CONST_BEFORE = re.compile(r"\b([A-Za-z_]\w*)\s*(?::\s*[\w.\[\]<>|? ]{1,40})?\s*(?::=|=|:)\s*$")
_STATEMENT_END = re.compile(r"\s*(?:[;,)}\]]|\n|$)")
_SPRING_VALUE_FIELD = re.compile(
    r"@Value\(\s*\"(?P<placeholder>\$\{[\w.\-]+(?::[^}\"]*)?\})\"\s*\)\s*(?:(?:private|public|protected|final|static)"
    r"\s+)*[\w<>.]+\s+(?P<field>\w+)")
_NAME_LITERAL = re.compile(r"^[A-Za-z][\w.\-:]{1,80}$")
_SCHEME_ONLY = re.compile(r"^[a-z][\w+.\-]{1,20}://$", re.IGNORECASE)
_FORMAT_HOST = re.compile(r"://(?:%[sv]|\{\d*\}|\{\w+\}|\$\{\w+\}|%\(\w+\)s)")
_CONCAT = re.compile(r"\s*(?:\+|\.\.|\.|<<)\s*")
_IDENT_AFTER = re.compile(r"(?:this\.|self\.)?([A-Za-z_][\w.]*)")
_FORMAT_GAP = re.compile(r"\s*(?:,|%\s*\(?|\)\s*\.\s*format\s*\(|\.\s*format\s*\()\s*$")
_HOST_LITERAL = re.compile(r"^[A-Za-z][\w\-]*(?:\.[\w\-]+)*$")
_PORT_AFTER = re.compile(r"\s*,\s*(\d{2,5})\s*[,)]")
_CONNECT_CALL = re.compile(
    r"(?:Socket|InetSocketAddress|TSocket|TTransport\w*|THttpClient|Dial\w*|dial\w*|connect\w*|Connect\w*"
    r"|Client\w*|client\w*|Channel\w*|forAddress|Redis|StrictRedis|MongoClient|Jedis\w*|createClient"
    r"|HostAndPort\w*|ThriftClient\w*|ClientPool\w*|TcpClient|HttpHost|ServerAddress|Pool)"
    r"\s*(?:<[^<>()]{0,200}>|>)?\s*[({]\s*$"
)
_TEMPLATE_NAME = re.compile(r"\$?\{(\w+)\}")
_POM_ARTIFACT = re.compile(r"<artifactId>\s*([^<\s]+)\s*</artifactId>")
_XML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_POM_PARENT = re.compile(r"<parent>.*?</parent>", re.DOTALL)
_GO_MODULE = re.compile(r"^\s*module\s+\"?([^\s\"]+)", re.MULTILINE)
_GRADLE_NAME = re.compile(r"rootProject\.name\s*=\s*['\"]([^'\"]+)['\"]")
_TOML_NAME = re.compile(r"^\s*\[(?:package|project|tool\.poetry)\]\s*$(?:(?!^\s*\[).)*?^\s*name\s*=\s*['\"]([^'\"]+)",
                        re.MULTILINE | re.DOTALL)
_CMAKE_PROJECT = re.compile(r"^\s*project\s*\(\s*([A-Za-z_][\w\-]*)", re.MULTILINE | re.IGNORECASE)
_ASSEMBLY_NAME = re.compile(r"<AssemblyName>\s*([^<\s]+)\s*</AssemblyName>")
_SETUP_CFG_NAME = re.compile(r"^\s*\[metadata\]\s*$(?:(?!^\s*\[).)*?^\s*name\s*=\s*(\S+)", re.MULTILINE | re.DOTALL)
_STREAM_BINDING = re.compile(r"^spring\.cloud\.stream\.bindings\.(?P<binding>[\w\-]+)\.destination$")
_BINDING_OUT = re.compile(r"(?i)(?:-out-\d+$|output|^out$|producer|publish|source|supplier|sender)")
_BINDING_IN = re.compile(r"(?i)(?:-in-\d+$|input|^in$|consumer|subscribe|sink|listener|receiver)")


#: nginx directives whose names contain "pass" but whose values are upstream addresses, not passwords.
_PASS_DIRECTIVES = frozenset({"proxy_pass", "grpc_pass", "fastcgi_pass", "uwsgi_pass", "scgi_pass", "memcached_pass"})


class _Lines:
    """Line numbers of offsets, counted incrementally (offsets mostly come in order)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1

    def __call__(self, offset: int) -> int:
        if offset < self.pos:
            self.pos, self.line = 0, 1
        self.line += self.text.count("\n", self.pos, offset)
        self.pos = offset
        return self.line


def _clip(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _shown(value: str, key: str | None) -> str:
    return _clip(redact_env(key, value) if key else redact_text(value))


# --------------------------------------------------------------------------------------------
# Code
# --------------------------------------------------------------------------------------------


def _key_hint(code: str, lit: Literal, previous: Literal | None) -> str | None:
    j = lit.start - 1
    while j >= 0 and code[j] in " \t":
        j -= 1
    last = code[j] if j >= 0 else ""
    if not last or last == "\n":
        return None
    line_start = code.rfind("\n", max(0, lit.start - 200), lit.start) + 1
    before = code[max(line_start, lit.start - 100) : lit.start]
    if last == ",":
        if previous is not None and previous.start >= line_start and code[previous.end : lit.start].strip() == ",":
            value = previous.value
            if re.match(r"^[A-Za-z_][\w.\-]*$", value):
                return value  # getenv("ORDERS_URL", "http://..."), flag.String("url", "http://...", ...)
        return None
    if last in "|?r":
        m = _ENV_FALLBACK.search(before)
        return m.group(1) if m else None
    if last in "=:>":
        m = _KEY_BEFORE.search(before)
        if m:
            return m.group(1).rsplit(".", 1)[-1] if m.group(1).startswith(("this.", "self.")) else m.group(1)
        return None
    if last == "(":
        m = _CALLEE.search(before)
        if m and is_address_key(m.group(1)):
            return m.group(1)  # new Hostname("payment"), setHost("orders"), withEndpoint("...")
    return None


def _constants(code: str, literals: tuple[Literal, ...]) -> dict[str, str]:
    """``NAME = "value"`` string constants of a file; a name given two different values is dropped."""
    found: dict[str, str | None] = {}
    for lit in literals:
        if len(lit.value) > 300 or not _STATEMENT_END.match(code, lit.end):
            continue
        j = lit.start - 1
        while j >= 0 and code[j] in " \t":
            j -= 1
        if j < 0 or code[j] not in "=:":
            continue
        line_start = code.rfind("\n", max(0, lit.start - 200), lit.start) + 1
        m = _CONST_BEFORE.search(code, max(line_start, lit.start - 120), lit.start)
        if not m:
            continue
        name = m.group(1)
        if looks_secret(name):
            continue
        previous = found.get(name, lit.value)
        found[name] = lit.value if previous == lit.value else None
    if "@Value" in code:
        for m in _SPRING_VALUE_FIELD.finditer(code):
            found.setdefault(m.group("field"), m.group("placeholder"))
    return {k: v for k, v in found.items() if v is not None}


def _port_suffix(code: str, literals: tuple[Literal, ...], k: int, end: int) -> str:
    """``":80"`` when the literal ``k`` is a port concatenated right after offset ``end``."""
    if k >= len(literals):
        return ""
    m = _CONCAT.match(code, end)
    lit = literals[k]
    if m and m.end() == lit.start and re.fullmatch(r":\d{2,5}(?:/.*)?", lit.value, re.DOTALL):
        return lit.value
    return ""


def _builder_host(code: str, literals: tuple[Literal, ...], i: int,
                  constants: dict[str, str]) -> tuple[str, str] | None:
    """``(url, how)`` for a URL put together from a scheme literal and a host."""
    lit = literals[i]
    value = lit.value
    if _SCHEME_ONLY.match(value):
        m = _CONCAT.match(code, lit.end)
        if not m:
            return None
        after = m.end()
        nxt = literals[i + 1] if i + 1 < len(literals) else None
        if nxt is not None and nxt.start == after:
            url = value + nxt.value + _port_suffix(code, literals, i + 2, nxt.end)
            return url, f"URL built by concatenation: {_clip(redact_text(url), 80)}"
        ident = _IDENT_AFTER.match(code, after)
        if ident:
            name = ident.group(1).rsplit(".", 1)[-1]
            host = constants.get(name)
            if host and _HOST_LITERAL.match(host.split(":")[0]):
                nearby = range(i + 1, min(i + 3, len(literals)))
                following = next((k for k in nearby if literals[k].start > ident.end()), len(literals))
                url = value + host + _port_suffix(code, literals, following, ident.end())
                return url, f"URL built with {name}: {_clip(redact_text(url), 80)}"
        return None
    m = _FORMAT_HOST.search(value)
    if m is None:
        return None
    placeholder = m.group(0)[3:]
    named = re.fullmatch(r"\$?\{(\w+)\}", placeholder)
    if named and named.group(1) in constants:
        host = constants[named.group(1)]
        url = value.replace(placeholder, host, 1)
        return url, f"URL template with {named.group(1)}: {_clip(redact_text(url), 80)}"
    nxt = literals[i + 1] if i + 1 < len(literals) else None
    if nxt is None or nxt.start - lit.end > 40 or not _FORMAT_GAP.match(code[lit.end : nxt.start]):
        return None
    if not _HOST_LITERAL.match(nxt.value):
        return None
    url = value.replace(placeholder, nxt.value, 1)
    port = _PORT_AFTER.match(code, nxt.end)
    if port and re.search(r":(?:%d|%s|%v|\{\d*\})", url):
        url = re.sub(r":(?:%d|%s|%v|\{\d*\})", ":" + port.group(1), url, count=1)
    return url, f'URL formatted with "{nxt.value}": {_clip(redact_text(url), 80)}'


def _scan_code(text: str, location: str, kind: FileKind) -> SourceFile:
    family = FAMILY.get(kind.language or "", "c")
    lexed: Lexed = lex(text, family)
    code = lexed.code
    literals = lexed.literals
    lines = _Lines(code)
    constants = _constants(code, literals)
    references: list[Reference] = []
    names: dict[str, int] = {}
    seen: set[tuple[str, int | None, int]] = set()

    def add(value: str, key: str | None, line: int, detail: str) -> None:
        for addr, strong in references_in(value, key):
            k = (addr.host, addr.port, line)
            if k not in seen:
                seen.add(k)
                shown = redact_text(detail)
                references.append(Reference(addr, line, f"{describe_form(addr)} in code: {shown}", key, strong))

    previous: Literal | None = None
    for i, lit in enumerate(literals):
        value = lit.value if len(lit.value) <= _MAX_LITERAL else lit.value[:_MAX_LITERAL]
        if len(value) < 2:
            previous = lit
            continue
        if len(names) < _MAX_NAMES and _NAME_LITERAL.match(value) and value not in names:
            names[value] = lines(lit.start)
        if "${" in value and len(names) < _MAX_NAMES:
            for placeholder in re.findall(r"\$\{([\w.\-]+)", value):
                names.setdefault(placeholder, lines(lit.start))
        built = _builder_host(code, literals, i, constants) if ("://" in value) else None
        if built is not None:
            add(built[0], None, lines(lit.start), built[1])
        elif "{" in value and "://" in value and _TEMPLATE_NAME.search(value):
            substituted = _TEMPLATE_NAME.sub(lambda m: constants.get(m.group(1), m.group(0)), value)
            if substituted != value:
                shown = _clip(redact_text(substituted), 80)
                add(substituted, None, lines(lit.start), f"URL template with constants: {shown}")
            else:
                add(value, None, lines(lit.start), f'"{_shown(value, None)}"')
        elif worth_parsing(value, None):
            key = _key_hint(code, lit, previous)
            add(value, key, lines(lit.start), f'"{_shown(value, key)}"' + (f" ({key})" if key else ""))
        elif _HOST_LITERAL.match(value):
            port = _PORT_AFTER.match(code, lit.end)
            line_start = code.rfind("\n", max(0, lit.start - 200), lit.start) + 1
            if port and _CONNECT_CALL.search(code, max(line_start, lit.start - 120), lit.start):
                add(f"{value}:{port.group(1)}", "host", lines(lit.start),
                    f'host "{value}" and port {port.group(1)} passed to a client')
            else:
                key = _key_hint(code, lit, previous)
                if key and not looks_secret(key) and worth_parsing(value, key):
                    add(value, key, lines(lit.start), f'"{_clip(value)}" ({key})')
        previous = lit
    messages = find_messages(code, literals, constants, _Lines(code), kind.language)
    return SourceFile(
        location=location, kind="code", language=kind.language, size=len(text),
        soft_segments=kind.soft_segments, references=tuple(references), messages=tuple(messages),
        constants=tuple(sorted(constants.items())), names=tuple(names.items()),
    )


# --------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------


def _config_messages(pairs: Iterable[tuple[str, str, int]], all_keys: str) -> list[Message]:
    tech = "kafka" if "kafka" in all_keys else "rabbitmq" if "rabbit" in all_keys else None
    out: list[Message] = []
    for key, value, line in pairs:
        lowered = key.lower()
        m = _STREAM_BINDING.match(key)
        if m:
            binding = m.group("binding")
            role = "produce" if _BINDING_OUT.search(binding) else "consume" if _BINDING_IN.search(binding) else None
            if role:
                for dest in (d.strip() for d in value.split(",")):
                    if dest and "${" not in dest:
                        out.append(Message(dest, "topic", role, tech, line,
                                           f"Spring Cloud Stream binding {binding} -> {dest}"))
        elif lowered in ("spring.kafka.template.default-topic", "spring.kafka.template.defaulttopic"):
            out.append(Message(value, "topic", "produce", "kafka", line, f"{key} = {value}"))
        elif lowered == "spring.rabbitmq.template.exchange" and value:
            out.append(Message(value, "topic", "produce", "rabbitmq", line, f"{key} = {value}"))
        elif lowered in ("spring.jms.template.default-destination",):
            out.append(Message(value, "queue", "produce", "jms", line, f"{key} = {value}"))
    return out


def _scan_config(text: str, location: str, kind: FileKind) -> SourceFile:
    values, upstreams = config_values(text, location)
    references: list[Reference] = []
    properties: dict[str, str] = {}
    seen: set[tuple[str, int | None, int]] = set()
    pairs: list[tuple[str, str, int]] = []
    fmt = config_format(location)
    for cv in values:
        key = cv.key
        if key and looks_secret(key.rsplit(".", 1)[-1]) and key.lower() not in _PASS_DIRECTIVES:
            continue
        if key:
            pairs.append((key, cv.value, cv.line))
            if len(cv.value) <= 300 and len(properties) < 5000:
                properties.setdefault(key, redact_text(cv.value))
        if not worth_parsing(cv.value, key):
            continue
        for addr, strong in references_in(cv.value, key):
            if addr.host in upstreams:
                continue  # proxy_pass http://<upstream>: the upstream's servers are the references
            k = (addr.host, addr.port, cv.line)
            if k in seen:
                continue
            seen.add(k)
            strong = strong or (is_address_key(key) and "." not in addr.host)
            where = f" (profile {cv.profile})" if cv.profile else ""
            detail = (f"{describe_form(addr)} in {'Dockerfile ENV' if fmt == 'dockerfile' else 'configuration'}: "
                      f"{key + ' = ' if key else ''}{_shown(cv.value, key)}{where}")
            references.append(Reference(addr, cv.line, detail, key, strong))
    messages = _config_messages(pairs, " ".join(k.lower() for k, _, _ in pairs[:2000]))
    identity = (("Dockerfile", ""),) if fmt == "dockerfile" else ()
    return SourceFile(
        location=location, kind="build" if fmt == "dockerfile" else "config", language=None, size=len(text),
        soft_segments=kind.soft_segments, references=tuple(references), messages=tuple(messages),
        identity=identity, properties=tuple(properties.items()),
    )


# --------------------------------------------------------------------------------------------
# Build files
# --------------------------------------------------------------------------------------------


def module_names(name: str, text: str) -> tuple[tuple[str, str], ...]:
    """``(file, module name)`` pairs a build file declares."""
    lower = name.lower()
    found: list[tuple[str, str]] = []
    if lower == "pom.xml":
        body = _POM_PARENT.sub("", _XML_COMMENT.sub("", text), count=1)
        m = _POM_ARTIFACT.search(body)
        if m:
            found.append((name, m.group(1)))
    elif lower == "go.mod":
        m = _GO_MODULE.search(text)
        if m:
            parts = [p for p in m.group(1).split("/") if p]
            if len(parts) > 1 and re.fullmatch(r"v\d+", parts[-1]):
                parts = parts[:-1]
            if parts:
                found.append((name, parts[-1]))
    elif lower in ("package.json", "composer.json"):
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            data = None
        if isinstance(data, dict) and isinstance(data.get("name"), str) and data["name"].strip():
            found.append((name, data["name"].strip().rsplit("/", 1)[-1]))
    elif lower.endswith((".csproj", ".fsproj", ".vbproj")):
        m = _ASSEMBLY_NAME.search(text)
        found.append((name, m.group(1) if m else posixpath.splitext(name)[0]))
    elif lower.startswith("settings.gradle"):
        m = _GRADLE_NAME.search(text)
        if m:
            found.append((name, m.group(1)))
    elif lower in ("cargo.toml", "pyproject.toml"):
        m = _TOML_NAME.search(text)
        if m:
            found.append((name, m.group(1)))
    elif lower == "setup.cfg":
        m = _SETUP_CFG_NAME.search(text)
        if m:
            found.append((name, m.group(1)))
    elif lower == "cmakelists.txt":
        m = _CMAKE_PROJECT.search(text)
        if m:
            found.append((name, m.group(1)))
    if not found:
        found.append((name, ""))  # a build file still marks the folder as a module
    return tuple(found)


def _scan_build(text: str, location: str, kind: FileKind) -> SourceFile:
    name = posixpath.basename(split_location(location)[1])
    if config_format(location) == "dockerfile":
        return _scan_config(text, location, kind)
    return SourceFile(location=location, kind="build", language=None, size=len(text),
                      soft_segments=kind.soft_segments, identity=module_names(name, text))


# --------------------------------------------------------------------------------------------
# The reader entry points
# --------------------------------------------------------------------------------------------


def accept(location: str, text: str) -> bool:
    """Whether the source scanner takes (scans or deliberately skips) the file at ``location``."""
    return classify_file(location).kind != "none"


_SCANNERS: dict[str, Callable[[str, str, FileKind], SourceFile]] = {
    "code": _scan_code, "config": _scan_config, "build": _scan_build,
}


def scan_source(text: str, location: str) -> Fragment:
    """Scan one file; never raises for bad input (a file that cannot be scanned is skipped)."""
    fragment = Fragment(location, READER, documents=1)
    kind = classify_file(location)
    reason = kind.reason if kind.kind == "skip" else None
    if reason is None and kind.kind in ("code", "config"):
        reason = content_skip_reason(text, kind.language)
    if reason is None and kind.kind == "none":
        reason = "is not a file type the source scanner reads"
    if reason is not None:
        fragment.skipped.append(Skipped(location, reason))
        return fragment
    try:
        summary = _SCANNERS[kind.kind](text, location, kind)
    except RecursionError:
        fragment.skipped.append(Skipped(location, "is nested too deeply to scan"))
        return fragment
    except Exception as exc:
        fragment.skipped.append(Skipped(location, f"could not be scanned ({type(exc).__name__}: "
                                                  f"{str(exc).splitlines()[0][:120] if str(exc) else ''})"))
        return fragment
    fragment.used = 1
    fragment.extras.append(summary)
    return fragment
