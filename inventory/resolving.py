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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

from inventory import backstage, kubernetes
from inventory.addresses import (
    BROKER_TECHNOLOGIES,
    DATASTORE_TECHNOLOGIES,
    split_cluster_host,
    technology_of,
)
from inventory.model import (
    DATASTORE_KINDS,
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
)
from inventory.options import DEFAULT_OPTIONS, ReadOptions
from inventory.secrets import redact_text

#: Which reader's spelling of a name wins when records join (earlier wins).
READER_PRIORITY = ("kubernetes", "compose", "native", "config", "backstage", "asyncapi", "source",
                   "otlp", "jaeger", "zipkin", "alibaba", "prometheus", "kiali", "edgelist")
_KIND_ORDER: dict[str, int] = {"sync": 0, "async": 1, "datastore": 2, "declared": 3}
_ROLE_ORDER = ("database", "cache", "search", "storage", "broker", "topic", "queue", "service", "other")
_SUFFIX = re.compile(r"(?:-v\d+|-service|-svc|-srv|_service|(?<=[a-z]{3})service)$")
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


@dataclass
class _Group:
    records: list[EntityRecord]
    id: str = ""
    role: str = "service"
    name: str = ""
    rules: set[str] = field(default_factory=set)

    @property
    def readers(self) -> set[str]:
        return {r.reader for r in self.records}

    @property
    def primary(self) -> EntityRecord:
        return min(self.records, key=_record_order)


def _names(record: EntityRecord) -> set[str]:
    names = {record.name.lower(), *(a.lower() for a in record.aliases)}
    names.update(a.lower() for a in record.addresses)
    return {n for n in names if n}


def _join_identities(records: list[EntityRecord], options: ReadOptions) -> tuple[list[_Group], list[Join]]:
    uf = _UnionFind(len(records))
    readers_of: dict[int, set[str]] = {i: {r.reader} for i, r in enumerate(records)}
    rules: dict[int, set[str]] = defaultdict(set)

    def join(a: int, b: int, rule: str) -> bool:
        ra, rb = uf.find(a), uf.find(b)
        if ra == rb:
            return True
        if readers_of[ra] & readers_of[rb]:
            return False
        root = uf.union(ra, rb)
        other = rb if root == ra else ra
        readers_of[root] = readers_of[ra] | readers_of[rb]
        rules[root] |= rules.pop(other, set()) | {rule}
        return True

    by_key: dict[str, int] = {}
    for i, r in enumerate(records):
        if r.key in by_key:
            j = by_key[r.key]
            ra, rb = uf.find(i), uf.find(j)
            if ra != rb:
                root = uf.union(ra, rb)
                readers_of[root] = readers_of[ra] | readers_of[rb]
        else:
            by_key[r.key] = i

    def index(key_fn: Callable[[EntityRecord], set[str]]) -> dict[str, dict[str, set[int]]]:
        """name -> reader -> the roots of the records that have that name."""
        out: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
        for i, r in enumerate(records):
            for n in key_fn(r):
                out[n][r.reader].add(uf.find(i))
        return out

    def join_unambiguous(idx: dict[str, dict[str, set[int]]], rule: str) -> None:
        for _name, per_reader in sorted(idx.items()):
            if len(per_reader) < 2:
                continue
            if any(len({uf.find(x) for x in roots}) > 1 for roots in per_reader.values()):
                continue
            roots = sorted(next(iter(roots)) for roots in per_reader.values())
            for other in roots[1:]:
                join(roots[0], other, rule)

    join_unambiguous(index(_names), "same name")
    # configured aliases: canonical -> other names
    if options.aliases:
        name_roots: dict[str, set[int]] = defaultdict(set)
        for i, r in enumerate(records):
            for n in _names(r) | {normalise_name(r.name)}:
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
                    readers_of[root] = readers_of[ra] | readers_of[rb]
                    rules[root].add("configured alias")
    if options.normalise_names:
        join_unambiguous(index(lambda r: {normalise_name(n) for n in _names(r)}), "normalised name")

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
    roles = {r.role for r in group.records}
    for role in _ROLE_ORDER:
        if role in roles:
            return role
    return "service"


def _assign_ids(groups: list[_Group]) -> None:
    for g in groups:
        g.role = _role(g)
        g.name = g.primary.name
    counts: dict[str, int] = defaultdict(int)
    for g in groups:
        counts[_base_id(g)] += 1
    for g in groups:
        base = _base_id(g)
        if counts[base] > 1:
            ns = g.primary.namespace or g.primary.reader
            g.id = f"{base.rsplit(':', 1)[0]}:{ns}/{g.name.lower()}" if ":" in base else f"{ns}/{g.name.lower()}"
        else:
            g.id = base
    seen: dict[str, int] = defaultdict(int)
    for g in sorted(groups, key=lambda g: (g.id, g.primary.key)):
        seen[g.id] += 1
        if seen[g.id] > 1:
            g.id = f"{g.id}~{seen[g.id]}"


def _base_id(g: _Group) -> str:
    name = g.name.lower()
    return name if g.role == "service" else f"{g.role}:{name}"


@dataclass
class _Lookup:
    """Name/alias/address -> groups, with the reader and namespace each entry came from."""

    entries: dict[str, list[tuple[_Group, str, str | None]]] = field(default_factory=lambda: defaultdict(list))
    by_key: dict[str, _Group] = field(default_factory=dict)

    def add(self, group: _Group) -> None:
        for r in group.records:
            self.by_key[r.key] = group
            for other in r.claim_keys:
                self.by_key[other] = group
            for n in _names(r):
                self.entries[n].append((group, r.reader, r.namespace))

    def find(self, name: str, namespace: str | None, reader: str, source_ns: str | None,
             roles: frozenset[str] | None = None) -> list[_Group]:
        hits = [h for h in self.entries.get(name.lower(), ()) if roles is None or h[0].role in roles]
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
    out: list[_Group] = []
    for g in groups:
        if all(g is not o for o in out):
            out.append(g)
    return out


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


@dataclass
class _Edge:
    source: str
    target: str
    kind: DependencyKind
    via: str | None
    protocol: str | None = None
    role: str | None = None
    evidence: set[Evidence] = field(default_factory=set)
    observed_weight: float = 0.0
    errors: int | None = None
    operations: set[str] = field(default_factory=set)

    def add(self, claim: Claim) -> None:
        self.evidence.add(claim.evidence)
        if claim.evidence.basis == "observed":
            self.observed_weight += claim.weight
        if claim.errors is not None:
            self.errors = (self.errors or 0) + claim.errors
        self.operations.update(claim.operations)
        if self.protocol is None and claim.protocol:
            self.protocol = claim.protocol
        if self.role is None and claim.role:
            self.role = claim.role

    def freeze(self) -> Dependency:
        return Dependency(
            source=self.source, target=self.target, kind=self.kind,
            evidence=tuple(sorted(self.evidence)), protocol=self.protocol, via=self.via, role=self.role,
            weight=round(self.observed_weight, 6) if self.observed_weight else 1.0,
            errors=self.errors, operations=tuple(sorted(self.operations))[:50],
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

    groups, _ = _join_identities(records, options)
    _assign_ids(groups)
    lookup = _Lookup()
    for g in groups:
        lookup.add(g)

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

    for claim in claims:
        src_group = lookup.by_key.get(claim.source)
        src_rec = source_records.get(claim.source)
        if src_group is None or src_rec is None:
            continue
        target = claim.target
        targets: list[_Group] = []
        ref_text = ""
        if isinstance(target, NamedTarget):
            ref_text = target.name
            hit = lookup.by_key.get(target.name)
            if hit is not None:
                targets = [hit]
            else:
                roles = _ROLE_FILTER.get(target.role)
                targets = lookup.find(target.name, target.namespace, src_rec.reader, src_rec.namespace, roles)
                if not targets and target.create:
                    targets = [created_group(target)]
        else:
            ref_text = target.raw or target.host
            for name, ns in split_cluster_host(target.host):
                targets = lookup.find(name, ns, src_rec.reader, src_rec.namespace)
                if targets:
                    break
            if not targets:
                tech = technology_of(target)
                known_kind = tech in DATASTORE_TECHNOLOGIES or tech in BROKER_TECHNOLOGIES
                if options.external_datastores and tech and known_kind:
                    targets = [external_group(target, tech)]
        if not targets:
            if claim.report_unresolved:
                key = (src_group.id, ref_text.lower(), claim.evidence.location)
                if key not in unresolved:
                    host = target.host if isinstance(target, Address) else target.name
                    unresolved[key] = Unresolved(
                        source=src_group.id, reference=host, evidence=claim.evidence,
                        reason=f"no service or resource named '{host}' is in the inventory",
                    )
            continue
        for tgt in targets:
            if tgt is src_group:
                continue
            kind: DependencyKind = claim.kind or _kind_for(tgt.role)
            via = claim.via
            if tgt.role in ("topic", "queue"):
                via = tgt.name
            elif kind in ("sync", "declared") and tgt.role in DATASTORE_KINDS:
                kind = "datastore"  # using a database is a datastore dependency, however it is known
            key4 = (src_group.id, tgt.id, kind, via if kind not in ("sync", "declared") else None)
            edge = edges.get(key4)
            if edge is None:
                edge = edges[key4] = _Edge(src_group.id, tgt.id, kind, key4[3])
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
    for (_src, tgt, kind, _via), edge in list(edges.items()):
        g = groups.get(tgt)
        if g is None or g.role not in ("topic", "queue") or kind != "async":
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
                pair.evidence |= p.evidence | c.evidence
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
            into.evidence |= edge.evidence
            into.observed_weight += edge.observed_weight
            into.operations |= edge.operations
            into.protocol = into.protocol or edge.protocol


def _edge_order(item: tuple[tuple[str, str, str, str | None], _Edge]) -> tuple[str, str, str, str]:
    (src, tgt, kind, via), _ = item
    return (src, tgt, kind, via or "")


def _fold_declared(edges: dict[tuple[str, str, str, str | None], _Edge]) -> list[Dependency]:
    stronger: dict[tuple[str, str], list[_Edge]] = defaultdict(list)
    for (src, tgt, kind, _via), edge in edges.items():
        if kind != "declared":
            stronger[(src, tgt)].append(edge)
    kept: list[_Edge] = []
    for (src, tgt, kind, _via), edge in edges.items():
        if kind == "declared" and stronger.get((src, tgt)):
            target = min(stronger[(src, tgt)], key=lambda e: (_KIND_ORDER[e.kind], e.via or ""))
            target.evidence |= edge.evidence
        else:
            kept.append(edge)
    return [edge.freeze() for edge in kept]  # the caller sorts the dependencies


def _first_str(records: Sequence[EntityRecord], attr: str) -> str | None:
    for r in records:
        value = getattr(r, attr)
        if isinstance(value, str) and value:
            return value
    return None


def _first_num(records: Sequence[EntityRecord], attr: str) -> float | int | None:
    for r in records:
        value = getattr(r, attr)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
    return None


def _freeze_groups(groups: Sequence[_Group], options: ReadOptions) -> tuple[list[Service], list[Resource], list[Join]]:
    owner_of: dict[str, str] = {}
    for team, members in options.owners.items():
        for m in members:
            owner_of[m.lower()] = team
    services: list[Service] = []
    resources: list[Resource] = []
    joins: list[Join] = []
    for g in groups:
        recs = sorted(g.records, key=_record_order)
        names = sorted({r.name for r in recs} | {a for r in recs for a in r.aliases})
        aliases = tuple(n for n in names if n != g.name)
        sources = tuple(sorted({r.reader for r in recs}))
        evidence = tuple(sorted({r.evidence for r in recs if r.evidence.location}))
        owner = owner_of.get(g.name.lower()) or owner_of.get(g.id) or _first_str(recs, "owner")
        images = tuple(dict.fromkeys(i for r in recs for i in r.images))
        labels: dict[str, str] = {}
        for r in reversed(recs):
            labels.update(r.labels)
        if len({r.name.lower() for r in recs}) > 1 or len(sources) > 1:
            rule = ", ".join(sorted(g.rules)) or "same name"
            distinct = tuple(sorted({f"{r.name} ({r.reader})" for r in recs}))
            if len(distinct) > 1:
                joins.append(Join(g.id, distinct, rule))
        replicas = _first_num(recs, "replicas")
        cpu = _first_num(recs, "cpu_request")
        memory = _first_num(recs, "memory_request")
        if g.role == "service":
            services.append(Service(
                id=g.id, name=g.name, namespace=_first_str(recs, "namespace"), owner=owner,
                repo=_first_str(recs, "repo"), runtime=_first_str(recs, "runtime"), images=images,
                replicas=int(replicas) if replicas is not None else None,
                cpu_request=float(cpu) if cpu is not None else None,
                memory_request=int(memory) if memory is not None else None, labels=labels,
                workloads=tuple(dict.fromkeys(w for r in recs for w in r.workloads)),
                system=_first_str(recs, "system"), lifecycle=_first_str(recs, "lifecycle"),
                description=_first_str(recs, "description"), aliases=aliases, sources=sources,
                evidence=evidence,
            ))
        else:
            resources.append(Resource(
                id=g.id, name=g.name, kind=g.role,  # type: ignore[arg-type]
                technology=_first_str(recs, "technology"), namespace=_first_str(recs, "namespace"),
                owner=owner, external=all(r.key.startswith("external:") for r in recs),
                images=images, replicas=int(replicas) if replicas is not None else None,
                cpu_request=float(cpu) if cpu is not None else None,
                memory_request=int(memory) if memory is not None else None,
                aliases=aliases, sources=sources, evidence=evidence,
            ))
    return services, resources, joins
