"""Turning the scanned files of every repository into entities and claims (runs once, after reading).

1. The code map (:mod:`.codemap`) gives each folder its service. Every mapped folder becomes an
   :class:`~inventory.model.EntityRecord` of the ``source`` reader named exactly as the manifest names
   the service (so identity resolution joins them), with ``repo`` set to the folder and evidence
   saying how the folder was mapped.
2. The findings of each file become claims of its service, cited at ``file:line``: addresses (which
   count only when their host resolves to a known service or datastore; strong ones are reported
   when they do not) and messaging (``NamedTarget`` topics and queues, created when nothing else
   names them, with ``role`` produce/consume and ``via``). Destinations given by a constant or a
   ``${property}`` are resolved against every file of the same service.
3. A configuration file that no single service owns (a ``config.json`` in a build context shared by
   all services, a ``config/service-config.json`` naming every peer) is read as an *address book*: an
   entry is used by a service whose code reads its key (``config["user-service"]``) or whose name the
   key carries (``GeoMongoAddress`` -> ``geo``, among the services sharing the folder).
4. What could not be used is reported, once per folder: code that maps to no service, code shared
   by several services that names none of them, and test or example code inside a service's folder.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from inventory.addresses import DATASTORE_TECHNOLOGIES, is_address_key, technology_of
from inventory.model import Address, Claim, EntityRecord, Evidence, NamedTarget, Skipped
from inventory.options import DEFAULT_OPTIONS, ReadOptions
from inventory.sourcecode.codemap import (
    CodeMap,
    FolderMapping,
    ancestors,
    build_code_map,
    directory_of,
    loosely_equal,
    name_key,
    relative_segments,
)
from inventory.sourcecode.filekinds import SOFT_SEGMENTS
from inventory.sourcecode.findings import Message, Reference, SourceFile
from inventory.sourcecode.scanning import READER

_KEY_SPLIT = re.compile(r"[.\[\]:/]+")
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_GENERIC_SEGMENTS = frozenset({
    "addr", "address", "host", "hostname", "port", "url", "uri", "endpoint", "server", "servers", "name",
    "connection", "connectionstrings", "config", "settings", "services", "service", "clients", "client",
    "database", "db", "timeout", "timeout_ms", "keepalive_ms", "connections", "spring", "data", "datasource",
})


def _key(service: str) -> str:
    return f"{READER}:{service}"


@dataclass
class _Service:
    name: str
    files: list[SourceFile] = field(default_factory=list)
    mappings: list[FolderMapping] = field(default_factory=list)

    def constants(self) -> dict[str, str]:
        values: dict[str, set[str]] = defaultdict(set)
        for f in self.files:
            for k, v in f.constants:
                values[k].add(v)
        return {k: next(iter(v)) for k, v in values.items() if len(v) == 1}

    def properties(self) -> dict[str, str]:
        values: dict[str, set[str]] = defaultdict(set)
        for f in self.files:
            for k, v in f.properties:
                values[k].add(v)
                values[_relaxed(k)].add(v)
        return {k: next(iter(v)) for k, v in values.items() if len(v) == 1}


def _relaxed(key: str) -> str:
    """Spring's relaxed binding: ``app.orderTopic``, ``app.order-topic``, ``APP_ORDER_TOPIC`` alike."""
    return re.sub(r"[-_.:]", "", key).lower()


@dataclass
class _Report:
    """Findings that could not be used, per folder and reason."""

    unmapped: dict[str, list[SourceFile]] = field(default_factory=lambda: defaultdict(list))
    shared: dict[str, tuple[FolderMapping, list[SourceFile]]] = field(default_factory=dict)
    not_production: dict[tuple[str, str], list[SourceFile]] = field(default_factory=lambda: defaultdict(list))


def _group_folder(f: SourceFile, codemap: CodeMap) -> str:
    """The folder to report an unmapped file under: its innermost module folder, else its own."""
    directory = directory_of(f.location)
    for folder in ancestors(directory):
        if folder in codemap.module_roots:
            return folder
    return directory


def assemble_sources(extras: Sequence[object], records: Sequence[EntityRecord],
                     options: ReadOptions = DEFAULT_OPTIONS) -> tuple[list[EntityRecord], list[Claim], list[Skipped]]:
    """Entities and claims from the :class:`SourceFile` summaries among ``extras``."""
    files = [e for e in extras if isinstance(e, SourceFile)]
    if not files:
        return [], [], []
    codemap = build_code_map(files, records)
    services: dict[str, _Service] = {}
    report = _Report()
    books: list[tuple[SourceFile, FolderMapping | None]] = []

    def service(name: str) -> _Service:
        if name not in services:
            services[name] = _Service(name)
        return services[name]

    for folder_mapping in codemap.mappings.values():
        for name in folder_mapping.services:
            service(name).mappings.append(folder_mapping)

    for f in sorted(files, key=lambda f: f.location):
        directory = directory_of(f.location)
        mapping = codemap.locate(directory)
        if mapping is None:
            if f.kind == "config" and f.references:
                books.append((f, None))
            elif f.findings:
                report.unmapped[_group_folder(f, codemap)].append(f)
            continue
        segments = relative_segments(mapping.folder, directory)
        soft = next((i for i, s in enumerate(segments) if s.lower() in SOFT_SEGMENTS), None)
        if soft is not None:
            where = "/".join([mapping.folder.rstrip("/"), *segments[: soft + 1]])
            report.not_production[(where, segments[soft].lower())].append(f)
            continue
        if len(mapping.services) == 1:
            owner: str | None = mapping.services[0]
        else:
            owner = codemap.refine(mapping, directory)
        if owner is None:
            if f.kind == "config" and f.references:
                books.append((f, mapping))
            elif f.findings:
                _, files_of = report.shared.setdefault(mapping.folder, (mapping, []))
                files_of.append(f)
            continue
        service(owner).files.append(f)

    entities = _entities(services, codemap)
    claims: list[Claim] = []
    for svc in services.values():
        claims.extend(_claims(svc))
    claims.extend(_address_book_claims(books, services, codemap))
    entities.extend(_datastore_hints(claims, records, services))
    return entities, claims, _skipped(report)


def _runtime(files: Iterable[SourceFile]) -> str | None:
    sizes: dict[str, int] = defaultdict(int)
    for f in files:
        if f.kind == "code" and f.language:
            sizes[f.language] += f.size
    if not sizes:
        return None
    return max(sorted(sizes), key=lambda lang: sizes[lang])


def _entities(services: dict[str, _Service], codemap: CodeMap) -> list[EntityRecord]:
    out: list[EntityRecord] = []
    for name in sorted(services):
        svc = services[name]
        runtime = _runtime(svc.files)
        ordered = sorted(svc.mappings, key=lambda m: (len(m.services) > 1, m.rank, m.folder))
        aliases = codemap.aliases.get(name, ()) if codemap.code_only else ()
        addresses = (name, *aliases) if codemap.code_only else ()
        for mapping in ordered:
            shared = len(mapping.services) > 1
            what = (f"code in {mapping.folder} (shared by {', '.join(mapping.services)}) mapped by {mapping.rule}"
                    if shared else f"code in {mapping.folder} mapped by {mapping.rule}")
            out.append(EntityRecord(
                key=_key(name), name=name, role="service", reader=READER,
                evidence=Evidence(READER, mapping.folder, f"{what}: {mapping.detail}"),
                repo=mapping.folder, runtime=runtime, aliases=aliases, addresses=addresses,
            ))
    return out


def _reference_claim(source: str, ref: Reference, location: str, detail: str | None = None) -> Claim:
    addr: Address = ref.address
    return Claim(
        source=source, target=addr, evidence=Evidence(READER, f"{location}:{ref.line}" if ref.line else location,
                                                     detail or ref.detail),
        protocol=addr.scheme if addr.scheme not in (None, "dsn") else None, via=addr.database,
        report_unresolved=ref.strong,
    )


def _resolve(message: Message, constants: dict[str, str], properties: dict[str, str]) -> str | None:
    if message.symbol is None:
        return message.name
    value = None
    if message.symbol == "const":
        value = constants.get(message.name)
    elif message.symbol == "prop":
        value = properties.get(message.name) or properties.get(_relaxed(message.name))
    if value is None:
        return None
    m = re.fullmatch(r"\$\{([\w.\-]+)(?::([^}]*))?\}", value.strip())
    if m:
        value = properties.get(m.group(1)) or properties.get(_relaxed(m.group(1))) or m.group(2)
    return value.strip() if value and "${" not in value else None


def _claims(svc: _Service) -> list[Claim]:
    source = _key(svc.name)
    out: list[Claim] = []
    constants = properties = None
    for f in svc.files:
        for ref in f.references:
            out.append(_reference_claim(source, ref, f.location))
        for message in f.messages:
            if message.symbol is not None and constants is None:
                constants, properties = svc.constants(), svc.properties()
            name = _resolve(message, constants or {}, properties or {})
            if not name:
                continue
            detail = message.detail if message.symbol is None else f"{message.detail} = {name}"
            out.append(Claim(
                source=source,
                target=NamedTarget(name=name, role=message.kind, technology=message.technology, create=True),
                evidence=Evidence(READER, f"{f.location}:{message.line}", detail),
                kind="async", protocol=message.technology, via=name, role=message.role,
            ))
    return out


def _datastore_hints(claims: Sequence[Claim], records: Sequence[EntityRecord],
                     services: dict[str, _Service]) -> list[EntityRecord]:
    """Records saying that a workload the manifests took for a service is a datastore.

    A connection string (``Server=sqldata;Database=Orders``, ``jdbc:...``, ``postgres://...``) names
    its host as a database even when the image name did not tell (``mcr.microsoft.com/mssql/server``).
    A record of the same name with the datastore role lets identity resolution give the workload that
    role. Only hosts that another reader knows by that exact name get one.
    """
    names: dict[str, str] = {}
    for r in records:
        if r.reader != READER and r.role in ("service", "other"):
            for n in (r.name, *r.aliases, *r.addresses):
                names.setdefault(n.lower(), r.name)
    own = {name.lower() for name in services}
    out: dict[str, EntityRecord] = {}
    for claim in claims:
        addr = claim.target
        if not isinstance(addr, Address):
            continue
        tech = technology_of(addr)
        datastore = tech in DATASTORE_TECHNOLOGIES or (addr.form in ("dsn", "jdbc") and addr.database)
        name = names.get(addr.host)
        if not datastore or name is None or name.lower() in own or name in out:
            continue
        role = ("cache" if tech in ("redis", "memcached") else "search" if tech == "elasticsearch"
                else "storage" if tech in ("s3", "gcs") else "database")
        shown = tech or ("SQL" if addr.form in ("dsn", "jdbc") else "database")
        out[name] = EntityRecord(
            key=f"{READER}:datastore/{name}", name=name, role=role, reader=READER,  # type: ignore[arg-type]
            technology=tech, evidence=Evidence(READER, claim.evidence.location,
                                               f"a {shown} connection string names {addr.host} as its {role}"),
        )
    return list(out.values())


def _key_words(key: str) -> set[str]:
    """Name keys a config key can carry: each segment, and runs of up to four words of it."""
    out: set[str] = set()
    for segment in _KEY_SPLIT.split(key):
        if not segment or segment.isdigit():
            continue
        out.add(name_key(segment))
        words = [w.lower() for w in _WORD.findall(segment)]
        for size in range(1, min(4, len(words)) + 1):
            for i in range(len(words) - size + 1):
                out.add(name_key("-".join(words[i : i + size])))
    return {k for k in out if k}


def _address_book_claims(books: Sequence[tuple[SourceFile, FolderMapping | None]], services: dict[str, _Service],
                         codemap: CodeMap) -> list[Claim]:
    """Entries of shared configuration files, given to the services that read or are named by them."""
    if not books:
        return []
    uses: dict[str, list[tuple[str, str]]] = defaultdict(list)  # literal -> [(service, location:line)]
    for svc in services.values():
        for f in svc.files:
            if f.kind != "code":
                continue
            for literal, line in f.names:
                uses[literal].append((svc.name, f"{f.location}:{line}"))
    all_keys = {name_key(name): name for name in services}
    out: list[Claim] = []
    seen: set[tuple[str, str, int | None, str]] = set()
    for f, mapping in books:
        for ref in f.references:
            if not ref.key:
                continue
            target_key = name_key(ref.address.host)
            readers: dict[str, tuple[str, str]] = {}
            for segment in _KEY_SPLIT.split(ref.key):
                if not segment or segment.lower() in _GENERIC_SEGMENTS or segment.isdigit():
                    continue
                for svc_name, where in uses.get(segment, ()):
                    readers.setdefault(svc_name, (where, f"reads {segment!r} of {f.location}:{ref.line}"))
            candidates = ({name_key(s): s for s in mapping.services} if mapping is not None else all_keys)
            words = _key_words(ref.key)
            named = {s for k, s in candidates.items() if k in words and k != target_key}
            if not named and mapping is not None:
                named = {s for k, s in candidates.items() if k != target_key
                         and any(loosely_equal(w, k) for w in words if len(w) >= 4)}
            if len(named) == 1:
                (svc_name,) = named
                readers.setdefault(svc_name, (f"{f.location}:{ref.line}" if ref.line else f.location,
                                              f"the key {ref.key} names {svc_name}"))
            for svc_name, (where, how) in sorted(readers.items()):
                if name_key(svc_name) == target_key or svc_name not in services:
                    continue
                k = (svc_name, ref.address.host, ref.address.port, f.location)
                if k in seen:
                    continue
                seen.add(k)
                strong = ref.strong or (is_address_key(ref.key) and "." not in ref.address.host)
                out.append(Claim(
                    source=_key(svc_name), target=ref.address,
                    evidence=Evidence(READER, where, f"{ref.detail}; {how}"),
                    protocol=ref.address.scheme if ref.address.scheme not in (None, "dsn") else None,
                    via=ref.address.database, report_unresolved=strong,
                ))
    return out


def _count(files: Sequence[SourceFile]) -> tuple[int, int]:
    return len(files), sum(f.findings for f in files)


def _skipped(report: _Report) -> list[Skipped]:
    out: list[Skipped] = []
    for folder, files in sorted(report.unmapped.items()):
        n, k = _count(files)
        out.append(Skipped(folder, f"source code here ({n} file{'s' * (n != 1)} with {k} finding{'s' * (k != 1)}) "
                                   "could not be mapped to a service: no compose build context, catalog-info.yaml, "
                                   "image, module or folder name matches one; its findings were not used"))
    for folder, (mapping, files) in sorted(report.shared.items()):
        n, k = _count(files)
        out.append(Skipped(folder, f"code here is shared by {', '.join(mapping.services)} (one build context) and "
                                   f"its path names none of them; {k} finding{'s' * (k != 1)} in {n} "
                                   f"file{'s' * (n != 1)} could not be given to one service"))
    for (folder, segment), files in sorted(report.not_production.items()):
        n, k = _count(files)
        if k == 0:
            continue
        out.append(Skipped(folder, f"{n} file{'s' * (n != 1)} here {'are' if n != 1 else 'is'} "
                                   f"{SOFT_SEGMENTS[segment]}, not production code; {k} finding{'s' * (k != 1)} "
                                   f"{'were' if k != 1 else 'was'} not used"))
    return out
