"""The two graphs the advisor works on: the typed dependency graph and the weighted coupling graph.

:func:`build_dependency_graph` turns the inventory into a directed multigraph over services and
resources, one edge per :class:`~inventory.model.Dependency` (a pair can be joined by a sync call
*and* a topic, so edges are not aggregated). :func:`build_coupling_graph` scores how strongly every
pair of services is coupled, using the weights of :class:`~advisor.config.Weights`, into an undirected
graph over services only; that graph is what clustering runs on.

Every step is a pass over the dependencies (plus a strongly-connected-components pass), so both
graphs build in linear time; the only pairwise enumeration is among the users of one datastore,
which the infrastructure threshold bounds.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

import networkx as nx

from advisor.config import Config
from advisor.model import CouplingEdge
from inventory.lazy import cached_property
from inventory.model import DATASTORE_KINDS, Dependency, Inventory, Service

Pair = tuple[str, str]


def build_dependency_graph(inventory: Inventory) -> nx.MultiDiGraph:
    """The typed dependency graph: services and resources, one edge per dependency.

    Nodes are service and resource ids with attribute ``type`` (``"service"`` or the resource kind:
    ``database``, ``cache``, ``topic`` ...) and ``name``; services also carry ``owner`` when known.
    A dependency whose end is in neither list gets a node of type ``"unknown"``. Edges go from the
    dependent to what it depends on, keyed by ``(kind, via)``, with attributes ``kind``, ``via``,
    ``weight`` (call count when observed, else 1), ``protocol``, ``role``, ``evidence`` (tuple of
    :class:`~inventory.model.Evidence`) and ``dependency`` (the :class:`~inventory.model.Dependency`).

    Examples
    --------
    >>> from inventory.model import Dependency, Evidence, Inventory, Resource, Service
    >>> ev = (Evidence("native", "inv.yaml:3", "orders -> db"),)
    >>> inv = Inventory(services=(Service("orders", "orders"),),
    ...                 resources=(Resource("database:db", "db", "database"),),
    ...                 dependencies=(Dependency("orders", "database:db", "datastore", ev),))
    >>> D = build_dependency_graph(inv)
    >>> D.nodes["database:db"]["type"], list(D.edges(keys=True))
    ('database', [('orders', 'database:db', ('datastore', ''))])
    """
    D = nx.MultiDiGraph()
    for s in inventory.services:
        attrs: dict[str, object] = {"type": "service", "name": s.name}
        if s.owner:
            attrs["owner"] = s.owner
        D.add_node(s.id, **attrs)
    for r in inventory.resources:
        D.add_node(r.id, type=r.kind, name=r.name)
    for d in inventory.dependencies:
        for end in (d.source, d.target):
            if end not in D:
                D.add_node(end, type="unknown", name=end)
        D.add_edge(d.source, d.target, key=(d.kind, d.via or ""), kind=d.kind, via=d.via, weight=d.weight,
                   protocol=d.protocol, role=d.role, evidence=d.evidence, dependency=d)
    return D


@dataclass(frozen=True)
class Skeleton:
    """An inventory reduced to what the dependency metrics read: service ids, datastore ids and
    ``(source, target, kind, weight)`` per dependency. Plain tuples of shared strings: quick to
    pickle, so that the metrics can be computed in a worker process (see
    :func:`advisor.metrics.dependency_metrics`)."""

    services: tuple[str, ...]
    datastores: frozenset[str]
    dependencies: tuple[tuple[str, str, str, float], ...]

    @classmethod
    def of(cls, inventory: Inventory) -> Skeleton:
        return cls(tuple(s.id for s in inventory.services),
                   frozenset(r.id for r in inventory.resources if r.kind in DATASTORE_KINDS),
                   tuple((d.source, d.target, d.kind, float(d.weight)) for d in inventory.dependencies))


def service_dependency_graph(dependencies: nx.MultiDiGraph | Inventory | Skeleton, *,
                             kinds: Iterable[str] | None = None) -> nx.DiGraph:
    """The dependencies among services only, one edge per ordered pair (self-loops dropped), from
    the typed dependency graph or straight from the inventory or its :class:`Skeleton` (the same
    graph, without building the typed one first).

    ``kinds`` restricts the edges (e.g. ``("sync",)``); edge attributes are ``kinds`` (sorted tuple)
    and ``weight`` (the sum of the dependencies' weights). Every service is a node.

    >>> from inventory.model import Dependency, Inventory, Service
    >>> inv = Inventory(services=(Service("a", "a"), Service("b", "b")),
    ...                 dependencies=(Dependency("a", "b", "sync", ()), Dependency("a", "b", "declared", ())))
    >>> S = service_dependency_graph(build_dependency_graph(inv))
    >>> S.edges["a", "b"], service_dependency_graph(inv).edges["a", "b"]
    ({'kinds': ('declared', 'sync'), 'weight': 2.0}, {'kinds': ('declared', 'sync'), 'weight': 2.0})
    """
    wanted = None if kinds is None else frozenset(kinds)
    rows: Iterable[tuple[str, str, str, float]]
    if isinstance(dependencies, Skeleton):
        services = sorted(dependencies.services)
        known = frozenset(services)
        rows = dependencies.dependencies
    elif isinstance(dependencies, Inventory):
        services = sorted(s.id for s in dependencies.services)
        known = frozenset(services)
        rows = ((d.source, d.target, d.kind, float(d.weight)) for d in dependencies.dependencies
                if d.source in known and d.target in known)
    else:
        types = dependencies.nodes(data="type")
        services = sorted(n for n, t in types if t == "service")
        known = frozenset(services)
        rows = _edge_rows(dependencies)
    acc: dict[Pair, tuple[set[str], float]] = {}
    for u, v, kind, weight in rows:
        if u == v or u not in known or v not in known:
            continue
        if wanted is not None and kind not in wanted:
            continue
        seen = acc.get((u, v))
        if seen is None:
            acc[(u, v)] = ({kind}, weight)
        else:
            seen[0].add(kind)
            acc[(u, v)] = (seen[0], seen[1] + weight)
    S = nx.DiGraph()
    S.add_nodes_from(services)
    S.add_edges_from((u, v, {"kinds": tuple(sorted(k)) if len(k) > 1 else tuple(k), "weight": round(w, 6)})
                     for (u, v), (k, w) in sorted(acc.items()))
    return S


def _edge_rows(D: nx.MultiDiGraph) -> Iterable[tuple[str, str, str, float]]:
    for u, nbrs in D.adjacency():
        for v, keyed in nbrs.items():
            for data in keyed.values():
                yield u, v, data["kind"], float(data["weight"])


def strongly_connected_groups(G: nx.DiGraph) -> tuple[tuple[str, ...], ...]:
    """Strongly connected components of ``G`` with two or more members (its cycles), each sorted,
    the largest first and ties by their members.

    >>> G = nx.DiGraph([("a", "b"), ("b", "a"), ("b", "c"), ("x", "y"), ("y", "z"), ("z", "x")])
    >>> strongly_connected_groups(G)
    (('x', 'y', 'z'), ('a', 'b'))
    """
    comps = (tuple(sorted(c)) for c in nx.strongly_connected_components(G) if len(c) >= 2)
    return tuple(sorted(comps, key=lambda c: (-len(c), c)))


def strong_components(edges: Iterable[Pair]) -> list[set[str]]:
    """Strongly connected components of the directed graph given by ``edges`` (every node that is
    the end of an edge), in no particular order: Tarjan's algorithm on plain dicts, for the small
    graphs of one candidate group (building a networkx graph cost more than the search).

    >>> sorted(sorted(c) for c in strong_components([("a", "b"), ("b", "a"), ("b", "c")]))
    [['a', 'b'], ['c']]
    """
    succ: dict[str, list[str]] = {}
    for u, v in edges:
        succ.setdefault(u, []).append(v)
        succ.setdefault(v, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[set[str]] = []
    for root in succ:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            nexts = succ[node]
            if i < len(nexts):
                work.append((node, i + 1))
                child = nexts[i]
                if child not in index:
                    work.append((child, 0))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                out.append(component)
    return out


def longest_chain(edges: Iterable[Pair]) -> int | None:
    """The number of edges on the longest path of the directed graph given by ``edges``, or None
    when it has a cycle (Kahn's topological order on plain dicts).

    >>> longest_chain([("a", "b"), ("b", "c"), ("a", "c")]), longest_chain([("a", "b"), ("b", "a")])
    (2, None)
    """
    succ: dict[str, list[str]] = {}
    indegree: dict[str, int] = {}
    for u, v in set(edges):
        succ.setdefault(u, []).append(v)
        indegree[v] = indegree.get(v, 0) + 1
        indegree.setdefault(u, 0)
    ready = [n for n, d in indegree.items() if d == 0]
    depth = dict.fromkeys(indegree, 0)
    done = 0
    while ready:
        node = ready.pop()
        done += 1
        for child in succ.get(node, ()):
            depth[child] = max(depth[child], depth[node] + 1)
            indegree[child] -= 1
            if indegree[child] == 0:
                ready.append(child)
    if done < len(indegree):
        return None
    return max(depth.values(), default=0)


@dataclass(frozen=True)
class CouplingInfo:
    """What :func:`build_coupling_graph` learned besides the graph it returns.

    ``full`` is the coupling graph *before* ``never_merge``, ``keep_separate`` and hubs were taken
    out (same nodes; the returned graph is a subgraph of it), so a view can still show how strongly a
    hub is coupled; ``excluded`` says for every edge left out of the returned graph why (keyed by the
    pair in sorted order; ``"never_merge"``, ``"keep_separate <id>"`` or ``"hub <id>"``).
    ``infrastructure`` maps resource ids that couple nobody because too many use them to the reason;
    ``shared_datastores`` maps each datastore that couples services to those services.
    ``unmatched_names`` lists names in ``never_merge``/``keep_separate`` that match no service.

    ``full`` is built from ``nodes`` (every service) and ``rows`` (every scored pair ``(a, b,
    {"weight": ..., "reasons": ...})``, ``a < b``, in that order) when first asked for: the report's
    coupling list needs only the rows (:func:`coupling_edges_of`), and building the second graph of
    100,000 edges took a tenth of a second at 20,000 services.
    """

    nodes: tuple[str, ...] = field(default=(), compare=False, repr=False)
    rows: tuple[tuple[str, str, dict[str, object]], ...] = field(default=(), compare=False, repr=False)
    infrastructure: Mapping[str, str] = field(default_factory=dict)
    shared_datastores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    excluded: Mapping[Pair, str] = field(default_factory=dict)
    unmatched_names: tuple[str, ...] = ()

    @cached_property
    def full(self) -> nx.Graph:
        full = nx.Graph()
        full.add_nodes_from(self.nodes)
        full.add_edges_from(self.rows)
        return full

    @cached_property
    def kept(self) -> tuple[tuple[str, str, float], ...]:
        """``(a, b, weight)`` of the rows left in the clustering graph (:meth:`graph`), in order: the
        order that graph's ``edges`` gives them in (each edge from its smaller end, the nodes sorted)."""
        excluded = self.excluded
        return tuple((a, b, data["weight"]) for a, b, data in self.rows  # type: ignore[misc]
                     if (a, b) not in excluded)

    def graph(self) -> nx.Graph:
        """The clustering graph: every service, the rows not ``excluded``."""
        G = nx.Graph()
        G.add_nodes_from(self.nodes)
        excluded = self.excluded
        G.add_edges_from(row for row in self.rows if (row[0], row[1]) not in excluded)
        return G


class _Scores:
    """Accumulates weight and reasons per unordered pair ``a < b``, filed under ``a``: the pairs
    come out in order by sorting plain ids (:meth:`sorted_pairs`), where sorting tens of thousands
    of ``(a, b)`` tuples cost several times as much."""

    def __init__(self) -> None:
        self.weight: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self.reasons: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))

    def add(self, a: str, b: str, weight: float, reason: str) -> None:
        if b < a:
            a, b = b, a
        self.weight[a][b] += weight
        self.reasons[a][b].append(reason)

    def sorted_pairs(self) -> Iterator[tuple[str, str, float, list[str]]]:
        """``(a, b, weight, reasons)`` for every pair, sorted by ``(a, b)``."""
        for a in sorted(self.weight):
            weights, reasons = self.weight[a], self.reasons[a]
            for b in sorted(weights):
                yield a, b, weights[b], reasons[b]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def build_coupling_graph(
    inventory: Inventory,
    config: Config,
    *,
    hubs: Iterable[str] = (),
    extra_pairs: Mapping[Pair, tuple[float, str]] | None = None,
) -> tuple[nx.Graph, CouplingInfo]:
    """The undirected coupling graph over all services, and what was learned building it.

    Edge attribute ``weight`` (float, rounded to 6 decimals) is the sum of the evidence below, then
    multiplied by ``same_team`` when both owners are known and equal or by ``cross_team`` when both are
    known and differ; ``reasons`` (tuple of str) names each contribution in this order:

    * ``sync calls a->b``: ``weights.sync`` per direction, plus ``weights.sync_volume *
      log1p(calls) / log1p(max_calls)`` when traces observed the calls (``max_calls`` is the busiest
      observed sync edge between services; static edges get no volume bonus). The reason then reads
      ``sync calls a->b (1,234 calls)``.
    * ``mutual calls``: ``weights.mutual`` when both directions are sync calls.
    * ``sync cycle``: ``weights.cycle`` for a sync-connected pair in one strongly connected component of
      three or more services. A two-service component *is* the mutual pair, already counted.
    * ``shared datastore <id> (<schema> schema)``: ``weights.shared_datastore`` once per datastore
      (database, cache, search, storage) that both use. When a connection names the database/schema
      (``Dependency.via``), only users of the same schema share it; a user whose schema is unknown
      (``via`` None) may use any of them, so it shares with every user of that datastore. A schema (or
      a datastore without named schemas) used by more than ``infrastructure.max_datastore_users``
      services, or by services of more than ``max_datastore_teams`` known owners, is infrastructure.
    * ``topic <id> (n consumers)``: ``weights.async_ / n`` for each producer -> consumer pair of one
      topic or queue with ``n`` consuming services; more than ``max_topic_consumers`` consumers make it
      a broadcast (infrastructure). An async service -> service edge whose ``via`` names no topic
      resource counts its consumers as the services receiving that ``via`` (one when ``via`` is None).
      Using a broker without a topic is not coupling.
    * ``declared dependency a->b``: ``weights.declared`` per direction (declared-only edges).
    * ``extra_pairs``: ``{(a, b): (weight, reason)}`` added as given (e.g. co-change).

    Then ``never_merge`` pairs, every edge of ``keep_separate`` services and every edge of ``hubs``
    are removed from the returned graph (names match service ids, names or aliases); they stay in
    ``info.full``. Every service is a node, coupled or not.

    Examples
    --------
    >>> from advisor.config import Config
    >>> from inventory.model import Dependency, Evidence, Inventory, Resource, Service
    >>> ev = (Evidence("kubernetes", "k8s.yaml:9", "env"),)
    >>> inv = Inventory(
    ...     services=(Service("a", "a", owner="t1"), Service("b", "b", owner="t1"), Service("c", "c")),
    ...     resources=(Resource("database:db", "db", "database"),),
    ...     dependencies=(Dependency("a", "b", "sync", ev), Dependency("b", "a", "sync", ev),
    ...                   Dependency("a", "database:db", "datastore", ev),
    ...                   Dependency("b", "database:db", "datastore", ev)))
    >>> G, info = build_coupling_graph(inv, Config())
    >>> G.edges["a", "b"]["weight"]  # (1 + 1 + 2 + 3) * 1.25
    8.75
    >>> G.edges["a", "b"]["reasons"][:3], sorted(G.nodes)
    (('sync calls a->b', 'sync calls b->a', 'mutual calls'), ['a', 'b', 'c'])
    >>> dict(info.shared_datastores)
    {'database:db': ('a', 'b')}
    """
    info = score_coupling(inventory, config, hubs=hubs, extra_pairs=extra_pairs)
    return info.graph(), info


def score_coupling(
    inventory: Inventory,
    config: Config,
    *,
    hubs: Iterable[str] = (),
    extra_pairs: Mapping[Pair, tuple[float, str]] | None = None,
) -> CouplingInfo:
    """The coupling of every pair of services, as :func:`build_coupling_graph` scores it, without
    the graph: :class:`CouplingInfo` holds the scored pairs (``rows``) and what is left out of the
    clustering graph (``excluded``); :meth:`CouplingInfo.graph` builds that graph, and the analysis
    works from the rows (see :class:`~advisor.clustering.LouvainGraph.of_coupling`).
    """
    w = config.weights
    infra = config.infrastructure
    services = {s.id: s for s in inventory.services}
    kinds = {r.id: r.kind for r in inventory.resources}
    names = {r.id: r.name for r in inventory.resources}
    scores = _Scores()
    infrastructure: dict[str, str] = {}
    deps = sorted(inventory.dependencies, key=lambda d: (d.source, d.target, d.kind, d.via or ""))
    between_services = [d for d in deps
                        if d.source != d.target and d.source in services and d.target in services]

    _score_sync(scores, between_services, w.sync, w.sync_volume, w.mutual, w.cycle)
    shared = _score_datastores(scores, deps, services, kinds, config, infrastructure)
    _score_messaging(scores, deps, between_services, services, kinds, names, w.async_,
                     infra.max_topic_consumers, infrastructure)
    for d in between_services:
        if d.kind == "declared":
            scores.add(d.source, d.target, w.declared, f"declared dependency {d.source}->{d.target}")
    for (a, b), (weight, reason) in sorted((extra_pairs or {}).items()):
        if a != b and a in services and b in services:
            scores.add(a, b, weight, reason)

    rows: list[tuple[str, str, dict[str, object]]] = []
    owner = {sid: s.owner for sid, s in services.items()}
    same_factor, cross_factor = f" (x{w.same_team:g})", f" (x{w.cross_team:g})"  # formatted once, not per pair
    for a, b, total, reasons in scores.sorted_pairs():
        oa, ob = owner[a], owner[b]
        if oa and ob:
            if oa == ob:
                total *= w.same_team
                reasons.append(f"same team {oa}{same_factor}")
            else:
                total *= w.cross_team
                reasons.append(f"cross-team {oa}/{ob}{cross_factor}")
        total = round(total, 6)
        if total > 0:
            rows.append((a, b, {"weight": total, "reasons": tuple(reasons)}))

    excluded, unmatched = _excluded_pairs(rows, inventory, config, hubs)
    return CouplingInfo(nodes=tuple(sorted(services)), rows=tuple(rows),
                        infrastructure=dict(sorted(infrastructure.items())), shared_datastores=shared,
                        excluded=excluded, unmatched_names=unmatched)


def _score_sync(scores: _Scores, deps: list[Dependency], sync: float, volume: float, mutual: float,
                cycle: float) -> None:
    calls: dict[Pair, float] = {}
    for d in deps:
        if d.kind == "sync":
            observed = d.weight if "observed" in d.bases else 0.0
            calls[(d.source, d.target)] = calls.get((d.source, d.target), 0.0) + observed
    max_calls = max(calls.values(), default=0.0)
    scale = math.log1p(max_calls) if max_calls > 0 else 0.0
    for (a, b), n in calls.items():
        bonus = volume * math.log1p(n) / scale if n > 0 and scale > 0 else 0.0
        label = f"sync calls {a}->{b}" + (f" ({n:,.0f} calls)" if n > 0 else "")
        scores.add(a, b, sync + bonus, label)
    for a, b in calls:
        if a < b and (b, a) in calls:
            scores.add(a, b, mutual, "mutual calls")
    # only "same component or not" matters here, so the plain-dict search does (no DiGraph to build)
    component: dict[str, int] = {}
    for i, members in enumerate(strong_components(calls)):
        if len(members) >= 3:
            for m in members:
                component[m] = i
    done: set[Pair] = set()
    for a, b in calls:
        pair = (a, b) if a < b else (b, a)
        if pair not in done and a in component and component.get(b) == component[a]:
            done.add(pair)
            scores.add(a, b, cycle, "sync cycle")


def _score_datastores(scores: _Scores, deps: list[Dependency], services: Mapping[str, Service],
                      kinds: Mapping[str, str], config: Config, infrastructure: dict[str, str]
                      ) -> dict[str, tuple[str, ...]]:
    infra = config.infrastructure
    owner = {sid: s.owner for sid, s in services.items()}
    users: dict[str, dict[str | None, set[str]]] = defaultdict(lambda: defaultdict(set))
    for d in deps:
        if d.kind == "datastore" and d.source in services and kinds.get(d.target) in DATASTORE_KINDS:
            users[d.target][d.via].add(d.source)
    shared: dict[str, tuple[str, ...]] = {}
    for resource in sorted(users):
        by_schema = users[resource]
        unknown = by_schema.get(None, set())
        schemas = sorted(s for s in by_schema if s is not None)
        groups: list[tuple[str | None, set[str]]] = (
            [(s, by_schema[s] | unknown) for s in schemas] if schemas else [(None, unknown)]
        )
        pairs: dict[Pair, str] = {}
        too_wide: list[str] = []
        for schema, members in groups:
            teams = {owner[m] for m in members if owner[m]}
            where = f"schema {schema}: " if schema is not None else ""
            if len(members) > infra.max_datastore_users:
                too_wide.append(f"{where}used by {len(members)} services "
                                f"(more than {infra.max_datastore_users})")
                continue
            if len(teams) > infra.max_datastore_teams:
                too_wide.append(f"{where}used by services of {len(teams)} teams "
                                f"(more than {infra.max_datastore_teams})")
                continue
            ordered = sorted(members)
            for i, a in enumerate(ordered):
                for b in ordered[i + 1:]:
                    both_named = schema is not None and a in by_schema[schema] and b in by_schema[schema]
                    label = f"shared datastore {resource}" + (f" ({schema} schema)" if both_named else "")
                    if (a, b) not in pairs or label < pairs[(a, b)]:
                        pairs[(a, b)] = label
        if too_wide:
            infrastructure[resource] = "; ".join(too_wide)
        for (a, b), label in sorted(pairs.items()):
            scores.add(a, b, config.weights.shared_datastore, label)
        if pairs:
            shared[resource] = tuple(sorted({m for p in pairs for m in p}))
    return shared


def _score_messaging(scores: _Scores, deps: list[Dependency], between_services: list[Dependency],
                     services: Mapping[str, Service], kinds: Mapping[str, str], names: Mapping[str, str],
                     weight: float, max_consumers: int, infrastructure: dict[str, str]) -> None:
    producers: dict[str, set[str]] = defaultdict(set)
    consumers: dict[str, set[str]] = defaultdict(set)
    for d in deps:
        if d.kind == "async" and d.source in services and kinds.get(d.target) in ("topic", "queue"):
            (consumers if d.role == "consume" else producers)[d.target].add(d.source)
    destinations: dict[str, list[str]] = defaultdict(list)
    for rid, kind in sorted(kinds.items()):
        if kind in ("topic", "queue"):
            destinations[names[rid]].append(rid)
    for rid, members in sorted(consumers.items()):
        if len(members) > max_consumers:
            infrastructure[rid] = f"broadcast: {len(members)} consumers (more than {max_consumers})"
    direct: dict[str | None, set[str]] = defaultdict(set)
    for d in between_services:
        if d.kind == "async":
            direct[d.via].add(d.target)
    for d in between_services:
        if d.kind != "async":
            continue
        through = [t for t in destinations.get(d.via or "", ())
                   if d.source in producers[t] and d.target in consumers[t]]
        if through:
            for t in through:
                n = len(consumers[t])
                if n <= max_consumers:
                    scores.add(d.source, d.target, weight / n, f"topic {t} ({_plural(n, 'consumer')})")
            continue
        n = len(direct[d.via]) if d.via is not None else 1
        if n <= max_consumers:
            channel = f" via {d.via}" if d.via else ""
            scores.add(d.source, d.target, weight / n,
                       f"async messages {d.source}->{d.target}{channel} ({_plural(n, 'consumer')})")


def _service_index(inventory: Inventory) -> dict[str, set[str]]:
    index: dict[str, set[str]] = defaultdict(set)
    for s in inventory.services:
        for name in (s.id, s.name, *s.aliases):
            index[name].add(s.id)
            index[name.lower()].add(s.id)
    return index


def _excluded_pairs(rows: list[tuple[str, str, dict[str, object]]], inventory: Inventory, config: Config,
                    hubs: Iterable[str]) -> tuple[dict[Pair, str], tuple[str, ...]]:
    """Which coupled pairs stay out of clustering, and why; and the configured names matching nothing."""
    index: dict[str, set[str]] = {}
    unmatched: list[str] = []

    def ids(name: str) -> set[str]:
        if not index:  # built on the first configured name: most configurations name none
            index.update(_service_index(inventory))
        found = index.get(name) or index.get(name.lower())
        if not found:
            unmatched.append(name)
            return set()
        return found

    never: dict[Pair, str] = {}
    for group in config.never_merge:
        members = sorted(set().union(*(ids(n) for n in group)))
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                never[(a, b)] = "never_merge"
    alone: dict[str, str] = {}
    for name in config.keep_separate:
        for sid in ids(name):
            alone.setdefault(sid, f"keep_separate {sid}")
    for hub in set(hubs):
        alone.setdefault(hub, f"hub {hub}")
    excluded: dict[Pair, str] = {}
    for a, b, _ in rows:
        why = never.get((a, b)) or alone.get(a) or alone.get(b)
        if why:
            excluded[(a, b)] = why
    return excluded, tuple(dict.fromkeys(unmatched))


def coupling_edges_of(info: CouplingInfo) -> tuple[CouplingEdge, ...]:
    """:func:`coupling_edges` of ``info.full``, from its rows (without building the graph)."""
    edges = [CouplingEdge(a, b, float(data.get("weight", 1.0)), tuple(data.get("reasons", ())))  # type: ignore[arg-type]
             for a, b, data in info.rows]
    return tuple(sorted(edges, key=lambda e: (-e.weight, e.a, e.b)))


def coupling_edges(G: nx.Graph) -> tuple[CouplingEdge, ...]:
    """The edges of a coupling graph as :class:`~advisor.model.CouplingEdge` values, ``a < b``,
    heaviest first (ties by names).

    >>> G = nx.Graph()
    >>> G.add_edge("b", "a", weight=2.0, reasons=("mutual calls",))
    >>> coupling_edges(G)
    (CouplingEdge(a='a', b='b', weight=2.0, reasons=('mutual calls',)),)
    """
    edges = []
    for u, v, data in G.edges(data=True):
        a, b = (u, v) if u < v else (v, u)
        edges.append(CouplingEdge(a, b, float(data.get("weight", 1.0)), tuple(data.get("reasons", ()))))
    return tuple(sorted(edges, key=lambda e: (-e.weight, e.a, e.b)))
