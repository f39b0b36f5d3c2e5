"""Identity resolution and reference resolution: from reader fragments to one :class:`Inventory`.

1. **Identity.** Records with the same key are one thing. Across readers, records join when they
   share a name or alias exactly, when ``advisor.yaml`` aliases say so, or (conservatively) when
   their normalised names match: lower case, Backstage ref prefixes dropped, and a trailing
   ``-service``/``service``/``-svc``/``-v2`` removed. A join only happens when it is unambiguous
   (each reader offers one candidate) and never puts two records of the *same* reader together:
   ``checkout`` and ``checkoutservice`` in one manifest set stay two services. Every join is
   reported with the rule that made it.
2. **References.** A claim's address is looked up by every Kubernetes DNS form of its host, first
   among the source's own reader and namespace, then anywhere if unique. A connection string with
   a datastore or broker scheme that names nothing in the inventory becomes an *external* resource
   (two services sharing one external database is still a shared database); anything else that
   resolves to nothing is reported as :class:`Unresolved`, never turned into a service.
3. **Dependencies.** Claims about the same ``(source, target, kind, via)`` merge into one
   :class:`Dependency` keeping all evidence; a declared-only claim folds into a stronger edge of the
   same pair. Producers and consumers of one topic or queue also get producer -> consumer edges
   ``via`` that destination.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from operator import attrgetter

from inventory import backstage, kubernetes
from inventory.addresses import (
    BROKER_TECHNOLOGIES,
    DATASTORE_TECHNOLOGIES,
    split_cluster_host,
    technology_of,
)
from inventory.model import (
    DATASTORE_KINDS,
    READER_BASIS,
    Address,
    Claim,
    Dependency,
    DependencyKind,
    EntityRecord,
    Evidence,
    Fragment,
    InputAccount,
    Inventory,
    Join,
    NamedTarget,
    Resource,
    Service,
    Skipped,
    Unresolved,
    sorted_evidence,
)
from inventory.options import DEFAULT_OPTIONS, ReadOptions
from inventory.secrets import redact_text

#: Which reader's spelling of a name wins when records join (earlier wins).
READER_PRIORITY = ("kubernetes", "compose", "native", "config", "backstage", "asyncapi", "source",
                   "otlp", "jaeger", "zipkin", "alibaba", "prometheus", "kiali", "edgelist")
_KIND_ORDER: dict[str, int] = {"sync": 0, "async": 1, "datastore": 2, "declared": 3}
_ROLE_ORDER = ("database", "cache", "search", "storage", "broker", "topic", "queue", "service", "other")
_SUFFIX = re.compile(r"(?:-v\d+|-service|-svc|-srv|_service|(?<=[a-z]{3})service)$")
_SUFFIX_ENDS = ("service", "svc", "srv")  # how every match of _SUFFIX ends, or in a digit
_REF_PREFIX = re.compile(r"^(?:[a-z]+:)?(?:[a-z0-9_.\-]+/)?")


Assembler = Callable[[Sequence[object], Sequence[EntityRecord], ReadOptions],
                     tuple[list[EntityRecord], list[Claim], list[Skipped]]]


def _assemble_kubernetes(extras: Sequence[object], records: Sequence[EntityRecord], options: ReadOptions
                         ) -> tuple[list[EntityRecord], list[Claim], list[Skipped]]:
    return kubernetes.assemble(extras, options=options)


#: Steps that need every file before they can produce entities and claims, in order. Each gets the
#: ``extras`` of all fragments (and picks its own record types) and the entity records so far.
def _assemble_backstage(extras: Sequence[object], records: Sequence[EntityRecord], options: ReadOptions
                        ) -> tuple[list[EntityRecord], list[Claim], list[Skipped]]:
    return [], backstage.assemble(extras), []


ASSEMBLERS: list[Assembler] = [_assemble_kubernetes, _assemble_backstage]


def _priority(reader: str) -> int:
    return READER_PRIORITY.index(reader) if reader in READER_PRIORITY else len(READER_PRIORITY)


def _record_order(r: EntityRecord) -> tuple[int, str, str, str]:
    """Which record's attributes win in a join: reader priority, then key, then location (so the
    result does not depend on the order the files were given in)."""
    return (_priority(r.reader), r.key, r.evidence.location, r.evidence.detail)


def normalise_name(name: str) -> str:
    """The conservative normal form used to join names across sources.

    >>> [normalise_name(n) for n in ("checkoutservice", "checkout", "checkout-v2", "component:default/checkout")]
    ['checkout', 'checkout', 'checkout', 'checkout']
    >>> normalise_name("service")
    'service'
    """
    n = name.strip().lower()
    n = _REF_PREFIX.sub("", n) if ":" in n or "/" in n else n
    for _ in range(2):
        tail = n[:-1] if n.endswith("\n") else n  # where ``$`` matches
        if not (tail.endswith(_SUFFIX_ENDS) or tail[-1:].isdigit()):
            break  # no suffix to strip (a cheap test; the pattern would try every position)
        stripped = _SUFFIX.sub("", n)
        if len(stripped) < 2:
            break
        n = stripped
    return n


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(self, a: int, b: int) -> int:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            if rb < ra:
                ra, rb = rb, ra
            self.parent[rb] = ra
        return ra


@dataclass(slots=True)
class _Group:
    records: list[EntityRecord]
    id: str = ""
    role: str = "service"
    name: str = ""
    rules: set[str] = field(default_factory=set)
    #: ``records`` in :func:`_record_order`, computed once (a group's records do not change).
    _ordered: list[EntityRecord] | None = field(default=None, repr=False, compare=False)

    @property
    def readers(self) -> set[str]:
        return {r.reader for r in self.records}

    @property
    def ordered(self) -> list[EntityRecord]:
        """The records, the one whose attributes win first."""
        if self._ordered is None:
            recs = self.records
            self._ordered = sorted(recs, key=_record_order) if len(recs) > 1 else recs  # never changed
        return self._ordered

    @property
    def primary(self) -> EntityRecord:
        return self.ordered[0]


def _names(record: EntityRecord) -> set[str]:
    names = {record.name.lower(), *(a.lower() for a in record.aliases)}
    names.update(a.lower() for a in record.addresses)
    return {n for n in names if n}


def _join_identities(records: list[EntityRecord], options: ReadOptions, names_of: Sequence[set[str]]
                     ) -> tuple[list[_Group], list[Join]]:
    """Group ``records`` into identities; ``names_of[i]`` is ``_names(records[i])``."""
    uf = _UnionFind(len(records))
    #: the readers of the records of each root that has joined another; a root that has not (most
    #: of them, kept out of the mapping) has its own record's reader only
    readers_of: dict[int, set[str]] = {}

    def readers(root: int) -> set[str]:
        found = readers_of.get(root)
        return {records[root].reader} if found is None else found

    rules: dict[int, set[str]] = defaultdict(set)

    def join(a: int, b: int, rule: str) -> bool:
        ra, rb = uf.find(a), uf.find(b)
        if ra == rb:
            return True
        if readers(ra) & readers(rb):
            return False
        root = uf.union(ra, rb)
        other = rb if root == ra else ra
        readers_of[root] = readers(ra) | readers(rb)
        rules[root] |= rules.pop(other, set()) | {rule}
        return True

    by_key: dict[str, int] = {}
    for i, r in enumerate(records):
        if r.key in by_key:
            j = by_key[r.key]
            ra, rb = uf.find(i), uf.find(j)
            if ra != rb:
                root = uf.union(ra, rb)
                readers_of[root] = readers(ra) | readers(rb)
        else:
            by_key[r.key] = i

    def index(keys: Sequence[set[str]]) -> dict[str, dict[str, set[int]]]:
        """name -> reader -> the roots of the records that have that name (``keys`` per record),
        for the names that records of more than one reader have (no other name can join)."""
        reader_of: dict[str, str] = {}
        shared: set[str] = set()
        for r, names in zip(records, keys, strict=True):
            for n in names:
                if reader_of.setdefault(n, r.reader) != r.reader:
                    shared.add(n)
        out: dict[str, dict[str, set[int]]] = {}
        for i, (r, names) in enumerate(zip(records, keys, strict=True)):
            if shared.isdisjoint(names):
                continue
            root = uf.find(i)
            for n in names:
                if n in shared:
                    out.setdefault(n, {}).setdefault(r.reader, set()).add(root)
        return out

    def join_unambiguous(idx: dict[str, dict[str, set[int]]], rule: str) -> None:
        for name in sorted(idx):  # every name in idx has records of two readers or more
            per_reader = idx[name]
            if any(len({uf.find(x) for x in roots}) > 1 for roots in per_reader.values()):
                continue
            roots = sorted(next(iter(roots)) for roots in per_reader.values())
            for other in roots[1:]:
                join(roots[0], other, rule)

    join_unambiguous(index(names_of), "same name")
    # configured aliases: canonical -> other names
    if options.aliases:
        name_roots: dict[str, set[int]] = defaultdict(set)
        for i, r in enumerate(records):
            for n in names_of[i] | {normalise_name(r.name)}:
                name_roots[n].add(i)
        for canonical, others in sorted(options.aliases.items()):
            members = set()
            for n in (canonical, *others):
                members |= name_roots.get(n.lower(), set())
            ordered = sorted(members)
            for other in ordered[1:]:
                if not join(ordered[0], other, "configured alias"):
                    # same reader: configured aliases may join them anyway, the user said so
                    ra, rb = uf.find(ordered[0]), uf.find(other)
                    root = uf.union(ra, rb)
                    readers_of[root] = readers(ra) | readers(rb)
                    rules[root].add("configured alias")
    if options.normalise_names:
        normal: dict[str, str] = {}  # name -> normalise_name(name), each name once

        def normalised(names: set[str]) -> set[str]:
            out = set()
            for n in names:
                m = normal.get(n)
                if m is None:
                    m = normal[n] = normalise_name(n)
                out.add(m)
            return out

        join_unambiguous(index([normalised(names) for names in names_of]), "normalised name")

    grouped: dict[int, list[EntityRecord]] = defaultdict(list)
    for i, r in enumerate(records):
        grouped[uf.find(i)].append(r)
    groups = []
    for root, group_records in grouped.items():
        group = _Group(group_records)
        group.rules = rules.get(root, set())
        groups.append(group)
    return groups, []


def _role(group: _Group) -> str:
    if len(group.records) == 1:
        only = group.records[0].role
        return only if only in _ROLE_ORDER else "service"
    roles = {r.role for r in group.records}
    for role in _ROLE_ORDER:
        if role in roles:
            return role
    return "service"


def _assign_ids(groups: list[_Group]) -> None:
    bases: list[str] = []
    counts: dict[str, int] = defaultdict(int)
    for g in groups:
        g.role = _role(g)
        g.name = g.primary.name
        base = _base_id(g)
        bases.append(base)
        counts[base] += 1
    for g, base in zip(groups, bases, strict=True):
        if counts[base] > 1:
            primary = g.primary
            ns = primary.namespace or primary.reader
            g.id = f"{base.rsplit(':', 1)[0]}:{ns}/{g.name.lower()}" if ":" in base else f"{ns}/{g.name.lower()}"
        else:
            g.id = base
    # the same id twice: all but the first (by key) get ``~2``, ``~3`` ...
    by_id: dict[str, list[_Group]] = defaultdict(list)
    for g in groups:
        by_id[g.id].append(g)
    for gid in sorted(gid for gid, same in by_id.items() if len(same) > 1):
        for n, g in enumerate(sorted(by_id[gid], key=lambda g: g.primary.key), start=1):
            if n > 1:
                g.id = f"{gid}~{n}"


def _base_id(g: _Group) -> str:
    name = g.name.lower()
    return name if g.role == "service" else f"{g.role}:{name}"


@dataclass
class _Lookup:
    """Name/alias/address -> groups, with the reader and namespace each entry came from."""

    entries: dict[str, list[tuple[_Group, str, str | None]]] = field(default_factory=lambda: defaultdict(list))
    by_key: dict[str, _Group] = field(default_factory=dict)
    #: name -> (namespace, reader, source_ns, roles) -> what :meth:`find` answered; a name's answers
    #: are forgotten when an entry for that name is added.
    _found: dict[str, dict[tuple[str | None, str, str | None, frozenset[str] | None], list[_Group]]] = field(
        default_factory=dict, repr=False)
    #: host -> (reader, source_ns) -> what :meth:`find_host` answered; all forgotten when any entry
    #: is added (a host is looked up by several names). ``_forms``: ``split_cluster_host`` by host.
    _found_host: dict[str, dict[tuple[str, str | None], list[_Group]]] = field(default_factory=dict, repr=False)
    _forms: dict[str, list[tuple[str, str | None]]] = field(default_factory=dict, repr=False)

    def add(self, group: _Group, names_of: Mapping[int, set[str]] | None = None) -> None:
        """Index ``group``; ``names_of`` may give ``_names(r)`` by ``id(r)`` when already known."""
        for r in group.records:
            self.by_key[r.key] = group
            for other in r.claim_keys:
                self.by_key[other] = group
            names = names_of.get(id(r)) if names_of is not None else None
            for n in _names(r) if names is None else names:
                self.entries[n].append((group, r.reader, r.namespace))
                self._found.pop(n, None)
        if self._found_host:
            self._found_host.clear()

    def find(self, name: str, namespace: str | None, reader: str, source_ns: str | None,
             roles: frozenset[str] | None = None) -> list[_Group]:
        """The groups ``name`` refers to (the list is shared between calls: do not change it)."""
        lower = name.lower()
        found = self._found.get(lower)
        if found is None:
            found = self._found[lower] = {}
        query = (namespace, reader, source_ns, roles)
        hit = found.get(query)
        if hit is None:
            hit = found[query] = self._find(lower, namespace, reader, source_ns, roles)
        return hit

    def find_host(self, host: str, reader: str, source_ns: str | None) -> list[_Group]:
        """The groups a network ``host`` refers to: :meth:`find` of the first of its Kubernetes DNS
        forms that names anything (the list is shared between calls: do not change it).

        Most claims name a host that other claims of the same reader and namespace named before:
        their answer is one lookup."""
        found = self._found_host.get(host)
        if found is None:
            found = self._found_host[host] = {}
        hit = found.get((reader, source_ns))
        if hit is None:
            forms = self._forms.get(host)
            if forms is None:
                forms = self._forms[host] = split_cluster_host(host)
            hit = []
            for name, ns in forms:
                hit = self.find(name, ns, reader, source_ns)
                if hit:
                    break
            found[(reader, source_ns)] = hit
        return hit

    def _find(self, name: str, namespace: str | None, reader: str, source_ns: str | None,
              roles: frozenset[str] | None) -> list[_Group]:
        hits = [h for h in self.entries.get(name, ()) if roles is None or h[0].role in roles]
        if not hits:
            return []
        if namespace is not None:
            exact = _unique([g for g, rd, ns in hits if ns == namespace])
            if exact:
                return exact
            loose = _unique([g for g, rd, ns in hits if ns is None])
            return loose if len(loose) == 1 else []
        same = _unique([g for g, rd, ns in hits
                        if rd == reader and (ns == source_ns or ns is None or source_ns is None)])
        if len(same) == 1:
            return same
        if same:
            own = _unique([g for g, rd, ns in hits if rd == reader and ns == source_ns])
            return own if len(own) == 1 else []
        anywhere = _unique([g for g, rd, ns in hits])
        return anywhere if len(anywhere) == 1 else []


def _unique(groups: Iterable[_Group]) -> list[_Group]:
    """``groups`` without repeats (by identity), in order."""
    return list({id(g): g for g in groups}.values())


_ROLE_FILTER: dict[str, frozenset[str] | None] = {
    "any": None,
    "service": frozenset({"service", "other"}),
    "component": frozenset({"service", "other", "database", "cache", "search", "storage", "broker"}),
    "resource": frozenset({"database", "cache", "search", "storage", "broker", "topic", "queue", "other"}),
    "datastore": frozenset(DATASTORE_KINDS),
    "broker": frozenset({"broker"}),
    "topic": frozenset({"topic"}),
    "queue": frozenset({"queue"}),
}


def _kind_for(role: str) -> DependencyKind:
    if role in DATASTORE_KINDS:
        return "datastore"
    if role in ("broker", "topic", "queue"):
        return "async"
    return "sync"


#: :func:`_kind_for` of every role (any other role is "sync"), looked up once per claim.
_KIND_FOR: dict[str, DependencyKind] = {role: _kind_for(role) for role in _ROLE_ORDER}


#: The readers whose evidence has basis ``observed`` (see :attr:`Evidence.basis`).
_OBSERVED_READERS = frozenset(reader for reader, basis in READER_BASIS.items() if basis == "observed")


@dataclass(slots=True)
class _Edge:
    source: str
    target: str
    kind: DependencyKind
    via: str | None
    protocol: str | None = None
    role: str | None = None
    #: May hold the same evidence more than once: :meth:`freeze` drops repeats (most edges have one
    #: piece of evidence, and comparing evidence is not free).
    evidence: list[Evidence] = field(default_factory=list)
    observed_weight: float = 0.0
    errors: int | None = None
    operations: set[str] = field(default_factory=set)

    def add(self, claim: Claim) -> None:
        evidence = claim.evidence
        self.evidence.append(evidence)
        if evidence.reader in _OBSERVED_READERS:  # evidence.basis == "observed"
            self.observed_weight += claim.weight
        if claim.errors is not None:
            self.errors = (self.errors or 0) + claim.errors
        if claim.operations:
            self.operations.update(claim.operations)
        if self.protocol is None and claim.protocol:
            self.protocol = claim.protocol
        if self.role is None and claim.role:
            self.role = claim.role

    def freeze(self) -> Dependency:
        evidence = self.evidence
        # by position, in field order (source, target, kind, evidence, protocol, via, role, weight,
        # errors, operations): one call per edge, and ten keyword arguments cost a quarter more
        return Dependency(
            self.source, self.target, self.kind,
            tuple(evidence) if len(evidence) < 2 else sorted_evidence(set(evidence)),
            self.protocol, self.via, self.role,
            round(self.observed_weight, 6) if self.observed_weight else 1.0,
            self.errors, tuple(sorted(self.operations))[:50] if self.operations else (),
        )


def resolve(fragments: Sequence[Fragment], *, options: ReadOptions = DEFAULT_OPTIONS,
            extra_skipped: Sequence[Skipped] = (), extra_accounts: Sequence[InputAccount] = ()) -> Inventory:
    """Join identities and resolve every claim of ``fragments`` into one inventory."""
    records: list[EntityRecord] = []
    claims: list[Claim] = []
    skipped: list[Skipped] = list(extra_skipped)
    extras: list[object] = []
    for f in fragments:
        records.extend(f.entities)
        claims.extend(f.claims)
        skipped.extend(f.skipped)
        extras.extend(f.extras)
    options = _with_hints(options, fragments)
    for assemble in ASSEMBLERS:
        a_entities, a_claims, a_skipped = assemble(extras, records, options)
        records = a_entities + records
        claims = a_claims + claims
        skipped.extend(a_skipped)

    names_of = [_names(r) for r in records]
    groups, _ = _join_identities(records, options, names_of)
    _assign_ids(groups)
    lookup = _Lookup()
    names_by_id = {id(r): names for r, names in zip(records, names_of, strict=True)}
    for g in groups:
        lookup.add(g, names_by_id)
    del names_by_id

    externals: dict[str, _Group] = {}
    edges: dict[tuple[str, str, str, str | None], _Edge] = {}
    unresolved: dict[tuple[str, str, str], Unresolved] = {}
    source_records = {r.key: r for r in records}
    for r in records:
        for other in r.claim_keys:
            source_records.setdefault(other, r)
    group_of_id = {g.id: g for g in groups}

    def external_group(addr: Address, tech: str) -> _Group:
        role = ("broker" if tech in BROKER_TECHNOLOGIES else "cache" if tech in ("redis", "memcached")
                else "storage" if tech in ("s3", "gcs") else "database")
        name = addr.host
        existing = externals.get(name)
        if existing is not None:
            return existing
        rec = EntityRecord(key=f"external:{name}", name=name, role=role,  # type: ignore[arg-type]
                           reader="config", technology=tech,
                           evidence=Evidence("config", "", f"named by a {tech} connection string"),
                           addresses=(name,))
        g = _Group([rec], role=role, name=name)
        g.id = f"{role}:{name}"
        while g.id in group_of_id:
            g.id += "~ext"
        group_of_id[g.id] = g
        externals[name] = g
        lookup.add(g)
        return g

    def created_group(target: NamedTarget) -> _Group:
        role = target.role if target.role in ("topic", "queue", "broker") else "topic"
        name = target.name
        rec = EntityRecord(key=f"{role}:{name}", name=name, role=role, reader="config",  # type: ignore[arg-type]
                           technology=target.technology, namespace=None,
                           evidence=Evidence("config", "", f"{role} named by its producers and consumers"))
        g = _Group([rec], role=role, name=name)
        g.id = f"{role}:{name.lower()}"
        while g.id in group_of_id and group_of_id[g.id].role != role:
            g.id += "~2"
        if g.id in group_of_id:
            return group_of_id[g.id]
        group_of_id[g.id] = g
        lookup.add(g)
        return g

    by_key = lookup.by_key
    # the claims of one source come one after another (a reader lists them per entity): its group,
    # reader and namespace are looked up once per run (again after ``by_key`` changed)
    last_source: str | None = None
    src_group: _Group | None = None
    src_id = src_reader = ""
    src_ns: str | None = None
    # what find_host answers, by the source's reader and namespace, then by host: most claims of a
    # namespace name the same hosts. Forgotten with ``last_source`` whenever a group is added.
    host_answers: dict[tuple[str, str | None], dict[str, list[_Group]]] = {}
    hosts: dict[str, list[_Group]] = {}
    for claim in claims:
        if claim.source != last_source:
            last_source = claim.source
            src_group = by_key.get(last_source)
            src_rec = source_records.get(last_source)
            if src_group is None or src_rec is None:
                src_group = None
                continue
            src_id, src_reader, src_ns = src_group.id, src_rec.reader, src_rec.namespace
            hosts = host_answers.setdefault((src_reader, src_ns), {})
        elif src_group is None:
            continue
        target = claim.target
        targets: list[_Group] = []
        if isinstance(target, NamedTarget):
            hit = by_key.get(target.name)
            if hit is not None:
                targets = [hit]
            else:
                roles = _ROLE_FILTER.get(target.role)
                targets = lookup.find(target.name, target.namespace, src_reader, src_ns, roles)
                if not targets and target.create:
                    targets = [created_group(target)]
                    last_source = None  # a new group: ``by_key`` and the lookups changed
                    host_answers.clear()
        else:
            answer = hosts.get(target.host)
            if answer is None:
                answer = hosts[target.host] = lookup.find_host(target.host, src_reader, src_ns)
            targets = answer
            if not targets:
                tech = technology_of(target)
                known_kind = tech in DATASTORE_TECHNOLOGIES or tech in BROKER_TECHNOLOGIES
                if options.external_datastores and tech and known_kind:
                    targets = [external_group(target, tech)]
                    last_source = None  # perhaps a new group: ``by_key`` and the lookups changed
                    host_answers.clear()
        if not targets:
            if claim.report_unresolved:
                ref_text = target.name if isinstance(target, NamedTarget) else target.raw or target.host
                key = (src_id, ref_text.lower(), claim.evidence.location)
                if key not in unresolved:
                    host = target.host if isinstance(target, Address) else target.name
                    unresolved[key] = Unresolved(
                        source=src_id, reference=host, evidence=claim.evidence,
                        reason=f"no service or resource named '{host}' is in the inventory",
                    )
            continue
        claimed_kind, claimed_via = claim.kind, claim.via
        for tgt in targets:
            if tgt is src_group:
                continue
            role = tgt.role
            kind: DependencyKind = claimed_kind or _KIND_FOR.get(role, "sync")
            via = claimed_via
            if role in ("topic", "queue"):
                via = tgt.name
            elif kind in ("sync", "declared") and role in DATASTORE_KINDS:
                kind = "datastore"  # using a database is a datastore dependency, however it is known
            key4 = (src_id, tgt.id, kind, via if kind not in ("sync", "declared") else None)
            edge = edges.get(key4)
            if edge is None:
                edge = edges[key4] = _Edge(src_id, tgt.id, kind, key4[3])
            if kind == "declared" and edge.via is None:
                edge.via = via  # a declared edge keeps the API it was declared through (one per pair)
            edge.add(claim)

    listed = {id(g) for g in groups} | {id(g) for g in externals.values()}
    all_groups = groups + list(externals.values()) + [g for g in group_of_id.values() if id(g) not in listed]
    _derive_messaging_pairs(edges, {g.id: g for g in all_groups})
    _fold_unnamed_schema(edges)
    dependencies = _fold_declared(edges)

    services, resources, joins = _freeze_groups(all_groups, options)
    accounts = list(extra_accounts)
    return Inventory(
        services=tuple(sorted(services, key=lambda s: s.id)),
        resources=tuple(sorted(resources, key=lambda r: r.id)),
        dependencies=tuple(sorted(dependencies, key=lambda d: (d.source, d.target, d.kind, d.via or ""))),
        # a reason may quote a value from the input: passwords in it are masked here, whoever wrote it,
        # and it stays on one line
        skipped=tuple(Skipped(s.location, " ".join(redact_text(s.reason).split())) for s in skipped),
        unresolved=tuple(sorted(unresolved.values(), key=lambda u: (u.source, u.reference, u.evidence.location))),
        joins=tuple(sorted(joins, key=lambda j: j.id)),
        notes=tuple(redact_text(n) for f in fragments for n in f.notes),
        inputs=tuple(sorted(accounts, key=lambda a: a.location)),
    )


def _with_hints(options: ReadOptions, fragments: Sequence[Fragment]) -> ReadOptions:
    """Merge the aliases and owners that inputs carry into the options (configuration wins)."""
    aliases: dict[str, tuple[str, ...]] = {}
    owners: dict[str, tuple[str, ...]] = {}
    for f in fragments:
        for k, v in f.aliases.items():
            aliases[k] = tuple(dict.fromkeys(aliases.get(k, ()) + tuple(v)))
        for k, v in f.owners.items():
            owners[k] = tuple(dict.fromkeys(owners.get(k, ()) + tuple(v)))
    if not aliases and not owners:
        return options
    aliases.update(options.aliases)
    owners.update(options.owners)
    return replace(options, aliases=aliases, owners=owners)


def _derive_messaging_pairs(edges: dict[tuple[str, str, str, str | None], _Edge], groups: dict[str, _Group]) -> None:
    producers: dict[str, list[_Edge]] = defaultdict(list)
    consumers: dict[str, list[_Edge]] = defaultdict(list)
    destinations = {gid for gid, g in groups.items() if g.role in ("topic", "queue")}
    for (_src, tgt, kind, _via), edge in edges.items():  # not changed before the loop below
        if kind != "async" or tgt not in destinations:
            continue
        if edge.role == "consume":
            consumers[tgt].append(edge)
        else:
            producers[tgt].append(edge)
    for topic, prods in producers.items():
        name = groups[topic].name
        for p in prods:
            for c in consumers.get(topic, ()):
                if p.source == c.source:
                    continue
                key = (p.source, c.source, "async", name)
                pair = edges.get(key)
                if pair is None:
                    pair = edges[key] = _Edge(p.source, c.source, "async", name)
                pair.evidence += p.evidence + c.evidence
                pair.protocol = pair.protocol or p.protocol or c.protocol or groups[topic].primary.technology
                if p.observed_weight or c.observed_weight:
                    pair.observed_weight = max(pair.observed_weight, min(p.observed_weight or c.observed_weight,
                                                                         c.observed_weight or p.observed_weight))


def _fold_unnamed_schema(edges: dict[tuple[str, str, str, str | None], _Edge]) -> None:
    """A datastore use with no schema named folds into the pair's one use that names a schema.

    ``depends_on: [db]`` (or a wait-for-db init container) and ``postgres://db/orders`` are one use
    of one database; with two named schemas the unnamed use stays apart (it is not known which).
    """
    named: dict[tuple[str, str], list[tuple[str, str, str, str | None]]] = defaultdict(list)
    for key in edges:
        if key[2] == "datastore" and key[3] is not None:
            named[(key[0], key[1])].append(key)
    for key in [k for k in edges if k[2] == "datastore" and k[3] is None]:
        targets = named.get((key[0], key[1]), [])
        if len(targets) == 1:
            edge = edges.pop(key)
            into = edges[targets[0]]
            into.evidence += edge.evidence
            into.observed_weight += edge.observed_weight
            into.operations |= edge.operations
            into.protocol = into.protocol or edge.protocol


def _edge_order(item: tuple[tuple[str, str, str, str | None], _Edge]) -> tuple[str, str, str, str]:
    (src, tgt, kind, via), _ = item
    return (src, tgt, kind, via or "")


def _fold_declared(edges: dict[tuple[str, str, str, str | None], _Edge]) -> list[Dependency]:
    declared = [(key, edge) for key, edge in edges.items() if key[2] == "declared"]
    if not declared:
        return [edge.freeze() for edge in edges.values()]  # the caller sorts the dependencies
    pairs = {(key[0], key[1]) for key, _edge in declared}
    stronger: dict[tuple[str, str], list[_Edge]] = defaultdict(list)
    for key, edge in edges.items():
        if key[2] != "declared" and (key[0], key[1]) in pairs:
            stronger[(key[0], key[1])].append(edge)
    folded: set[int] = set()
    for (src, tgt, _kind, _via), edge in declared:
        if stronger.get((src, tgt)):
            target = min(stronger[(src, tgt)], key=lambda e: (_KIND_ORDER[e.kind], e.via or ""))
            target.evidence += edge.evidence
            folded.add(id(edge))
    return [edge.freeze() for edge in edges.values() if id(edge) not in folded]  # the caller sorts them


def _first_str(records: Sequence[EntityRecord], attr: str) -> str | None:
    for r in records:
        value = getattr(r, attr)
        if value and isinstance(value, str):
            return value
    return None


def _first_num(records: Sequence[EntityRecord], attr: str) -> float | int | None:
    for r in records:
        value = getattr(r, attr)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
    return None


_STR_FIELDS = ("namespace", "owner", "repo", "runtime", "system", "lifecycle", "description", "technology")
_NUM_FIELDS = ("replicas", "cpu_request", "memory_request")
_str_fields = attrgetter(*_STR_FIELDS)
_num_fields = attrgetter(*_NUM_FIELDS)


def _first_strs(records: Sequence[EntityRecord]) -> list[str | None]:
    """:func:`_first_str` of every attribute in ``_STR_FIELDS``, in that order."""
    if len(records) == 1:
        return [v if v and isinstance(v, str) else None for v in _str_fields(records[0])]
    return [_first_str(records, attr) for attr in _STR_FIELDS]


def _first_nums(records: Sequence[EntityRecord]) -> list[float | int | None]:
    """:func:`_first_num` of every attribute in ``_NUM_FIELDS``, in that order."""
    if len(records) == 1:
        return [v if isinstance(v, int | float) and not isinstance(v, bool) else None
                for v in _num_fields(records[0])]
    return [_first_num(records, attr) for attr in _NUM_FIELDS]


def _freeze_groups(groups: Sequence[_Group], options: ReadOptions) -> tuple[list[Service], list[Resource], list[Join]]:
    owner_of: dict[str, str] = {}
    for team, members in options.owners.items():
        for m in members:
            owner_of[m.lower()] = team
    services: list[Service] = []
    resources: list[Resource] = []
    joins: list[Join] = []
    for g in groups:
        recs = g.ordered
        labels: dict[str, str]
        if len(recs) == 1:  # most groups: the same values as below, without the merging
            only = recs[0]
            names = sorted({only.name, *only.aliases})
            sources: tuple[str, ...] = (only.reader,)
            evidence: tuple[Evidence, ...] = (only.evidence,) if only.evidence.location else ()
            images = tuple(dict.fromkeys(only.images))
            labels = dict(only.labels)
            workloads = tuple(dict.fromkeys(only.workloads))
        else:
            names = sorted({r.name for r in recs} | {a for r in recs for a in r.aliases})
            sources = tuple(sorted({r.reader for r in recs}))
            evidence = sorted_evidence({r.evidence for r in recs if r.evidence.location})
            images = tuple(dict.fromkeys(i for r in recs for i in r.images))
            labels = {}
            for r in reversed(recs):
                labels.update(r.labels)
            workloads = tuple(dict.fromkeys(w for r in recs for w in r.workloads))
            if len({r.name.lower() for r in recs}) > 1 or len(sources) > 1:
                rule = ", ".join(sorted(g.rules)) or "same name"
                distinct = tuple(sorted({f"{r.name} ({r.reader})" for r in recs}))
                if len(distinct) > 1:
                    joins.append(Join(g.id, distinct, rule))
        aliases = tuple(n for n in names if n != g.name)
        namespace, first_owner, repo, runtime, system, lifecycle, description, technology = _first_strs(recs)
        owner = (owner_of.get(g.name.lower()) or owner_of.get(g.id) if owner_of else None) or first_owner
        replicas, cpu, memory = _first_nums(recs)
        if g.role == "service":
            services.append(Service(
                id=g.id, name=g.name, namespace=namespace, owner=owner,
                repo=repo, runtime=runtime, images=images,
                replicas=int(replicas) if replicas is not None else None,
                cpu_request=float(cpu) if cpu is not None else None,
                memory_request=int(memory) if memory is not None else None, labels=labels,
                workloads=workloads,
                system=system, lifecycle=lifecycle,
                description=description, aliases=aliases, sources=sources,
                evidence=evidence,
            ))
        else:
            resources.append(Resource(
                id=g.id, name=g.name, kind=g.role,  # type: ignore[arg-type]
                technology=technology, namespace=namespace,
                owner=owner, external=all(r.key.startswith("external:") for r in recs),
                images=images, replicas=int(replicas) if replicas is not None else None,
                cpu_request=float(cpu) if cpu is not None else None,
                memory_request=int(memory) if memory is not None else None,
                aliases=aliases, sources=sources, evidence=evidence,
            ))
    return services, resources, joins
