"""Coupling metrics per service and for the whole system, from the typed dependency graph.

Per service (names after Rud et al. and Bogner et al.): fan-in/fan-out, AIS/ADS/ACS, instability,
SIY, PageRank, the sync cycle it sits on and the datastores it uses. For the system: sync cycles
(strongly connected components), mutually dependent pairs, hubs, shared datastores and
infrastructure (from :func:`advisor.graph.build_coupling_graph`), cross-team dependencies and the
modularity of the final clustering.

Everything is linear in the number of dependencies (PageRank is a sparse power iteration); no
all-pairs measure such as betweenness is computed. Floats are rounded (to 6 decimals; PageRank to
6 significant digits) so the same inventory always gives byte-identical output.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

import networkx as nx

from advisor.clustering import partition_of
from advisor.config import Config
from advisor.graph import CouplingInfo, Skeleton, service_dependency_graph, strongly_connected_groups
from advisor.model import ServiceMetrics, SystemMetrics
from inventory.model import DEPENDENCY_KINDS, Inventory


def sync_cycles(dependencies: nx.MultiDiGraph | Inventory) -> tuple[tuple[str, ...], ...]:
    """The synchronous cycles: strongly connected components (two or more services) of the sync
    calls between services, each sorted, the largest first and ties by their members.
    A service's ``cycle`` id is the index of its cycle here.

    >>> from inventory.model import Dependency, Inventory, Service
    >>> inv = Inventory(services=tuple(Service(n, n) for n in "abc"),
    ...                 dependencies=(Dependency("a", "b", "sync", ()), Dependency("b", "a", "sync", ()),
    ...                               Dependency("b", "c", "async", ()), Dependency("c", "b", "sync", ())))
    >>> sync_cycles(inv)
    (('a', 'b'),)
    """
    return sync_cycles_among(service_dependency_graph(dependencies))


def sync_cycles_among(services: nx.DiGraph) -> tuple[tuple[str, ...], ...]:
    """:func:`sync_cycles` from the :func:`~advisor.graph.service_dependency_graph` already built."""
    sync = nx.DiGraph()
    sync.add_edges_from((u, v) for u, v, kinds in services.edges(data="kinds") if "sync" in kinds)
    return strongly_connected_groups(sync)


def mutual_pairs_of(services: nx.DiGraph) -> tuple[tuple[str, str], ...]:
    """The sorted pairs of services that depend on each other (any kind) in a service graph."""
    return tuple(sorted((u, v) for u, v in services.edges() if u < v and services.has_edge(v, u)))


#: What :func:`dependency_metrics` returns: per-service metrics, sync cycles, mutual pairs.
DependencyMetrics = tuple[tuple[ServiceMetrics, ...], tuple[tuple[str, ...], ...], tuple[tuple[str, str], ...]]


def dependency_metrics(skeleton: Skeleton, hubs: Iterable[str], clusters: Mapping[str, str]) -> DependencyMetrics:
    """Per-service metrics, sync cycles and mutual pairs from an inventory's :class:`Skeleton`: what
    the analysis hands to a worker process while it works out the candidate groups (a function of
    its arguments alone). The figures are those of :func:`service_metrics` and :func:`system_metrics`."""
    S = service_dependency_graph(skeleton)
    cycles = sync_cycles_among(S)
    per_service = service_metrics(skeleton, hubs=hubs, clusters=clusters, services_graph=S, cycles=cycles)
    return per_service, cycles, mutual_pairs_of(S)


def find_hubs(inventory: Inventory, config: Config) -> tuple[str, ...]:
    """Services that many others call: at least ``config.hubs.min_callers`` distinct callers *and* at
    least ``config.hubs.min_share`` of all services, counting sync and declared dependencies.

    >>> from advisor.config import Config
    >>> from inventory.model import Dependency, Inventory, Service
    >>> callers = [f"s{i}" for i in range(5)]
    >>> inv = Inventory(services=tuple(Service(n, n) for n in [*callers, "auth"]),
    ...                 dependencies=tuple(Dependency(c, "auth", "sync", ()) for c in callers))
    >>> find_hubs(inv, Config())
    ('auth',)
    """
    services = {s.id for s in inventory.services}
    callers: dict[str, set[str]] = defaultdict(set)
    for d in inventory.dependencies:
        between_services = d.source != d.target and d.source in services and d.target in services
        if between_services and d.kind in ("sync", "declared"):
            callers[d.target].add(d.source)
    least = max(config.hubs.min_callers, config.hubs.min_share * len(services))
    return tuple(sorted(t for t, c in callers.items() if len(c) >= least))


def service_metrics(
    inventory: Inventory | Skeleton,
    *,
    hubs: Iterable[str] = (),
    clusters: Mapping[str, str] | None = None,
    services_graph: nx.DiGraph | None = None,
    cycles: Sequence[Sequence[str]] | None = None,
) -> tuple[ServiceMetrics, ...]:
    """:class:`~advisor.model.ServiceMetrics` for every service, sorted by id.

    * ``fan_out``/``fan_in``: dependency edges (one per :class:`~inventory.model.Dependency`, so a
      sync call and a topic between the same two count twice) from/to this service, to and from
      services and resources alike; derived producer -> consumer edges count too.
    * ``ads``/``ais``: distinct services this one depends on / that depend on it (any kind);
      ``acs = ais * ads``; ``instability = fan_out / (fan_in + fan_out)`` (0 when both are 0).
    * ``siy``: services it depends on that also depend on it (any kind).
    * ``pagerank``: :func:`networkx.pagerank` on the service-to-service dependency graph, edges
      pointing at what is depended on, weighted by ``log1p`` of the summed dependency weights
      (call counts when observed), the log scale the coupling graph uses too. Rounded to 6
      *significant* digits: PageRank averages 1/N, so 6 decimals would leave 20,000 services with
      two digits and many false ties.
    * ``cycle``: index into :func:`sync_cycles`; ``datastores``: datastore resources it uses.
    * ``hub``: whether the id is in ``hubs``; ``cluster``: ``clusters[id]`` when given.

    The inventory may be given as its :class:`~advisor.graph.Skeleton` (all these figures read).
    ``services_graph`` (:func:`~advisor.graph.service_dependency_graph`) and ``cycles``
    (:func:`sync_cycles`) may be passed when the caller has them already.

    Examples
    --------
    >>> from inventory.model import Dependency, Inventory, Resource, Service
    >>> inv = Inventory(services=(Service("a", "a"), Service("b", "b")),
    ...                 resources=(Resource("database:db", "db", "database"),),
    ...                 dependencies=(Dependency("a", "b", "sync", ()), Dependency("b", "a", "sync", ()),
    ...                               Dependency("a", "database:db", "datastore", ())))
    >>> a = service_metrics(inv)[0]
    >>> a.fan_out, a.fan_in, a.acs, a.instability, a.siy, a.cycle, a.datastores
    (2, 1, 1, 0.666667, 1, 0, ('database:db',))
    """
    skeleton = inventory if isinstance(inventory, Skeleton) else Skeleton.of(inventory)
    S = services_graph if services_graph is not None else service_dependency_graph(skeleton)
    hub_set = set(hubs)
    cycle_of = {m: i for i, members in enumerate(sync_cycles_among(S) if cycles is None else cycles) for m in members}
    for _, _, data in S.edges(data=True):
        data["rank_weight"] = math.log1p(data["weight"])
    rank = nx.pagerank(S, weight="rank_weight") if len(S) else {}
    mutual: dict[str, int] = defaultdict(int)
    for u, v in S.edges():
        if S.has_edge(v, u):
            mutual[u] += 1
    fan_out: dict[str, int] = defaultdict(int)
    fan_in: dict[str, int] = defaultdict(int)
    stores: dict[str, set[str]] = defaultdict(set)
    datastores = skeleton.datastores
    for source, target, kind, _ in skeleton.dependencies:
        if source == target:
            continue
        fan_out[source] += 1
        fan_in[target] += 1
        if kind == "datastore" and target in datastores:
            stores[source].add(target)
    out: list[ServiceMetrics] = []
    for sid in sorted(skeleton.services):
        fi, fo = fan_in[sid], fan_out[sid]
        ais = S.in_degree(sid) if sid in S else 0
        ads = S.out_degree(sid) if sid in S else 0
        out.append(ServiceMetrics(
            id=sid, fan_in=fi, fan_out=fo, ais=ais, ads=ads, acs=ais * ads,
            instability=round(fo / (fi + fo), 6) if fi + fo else 0.0, siy=mutual[sid],
            pagerank=float(f"{rank.get(sid, 0.0):.6g}"), cycle=cycle_of.get(sid), hub=sid in hub_set,
            cluster=(clusters or {}).get(sid), datastores=tuple(sorted(stores[sid])),
        ))
    return tuple(out)


def coupling_modularity(info: CouplingInfo, clusters: Sequence[Sequence[str]]) -> float | None:
    """``networkx.community.modularity`` (weighted, resolution 1) of ``clusters``, completed with
    singletons (:func:`~advisor.clustering.partition_of`), on the clustering graph ``info.graph()``,
    worked out from ``info.kept`` without building that graph; None when it has no weight.

    The same sums as networkx's, in the same order, but for the weight inside each community,
    which networkx adds up in the order of a set of names (the hash seed's) and this in the graph's
    edge order: the two can differ in the last bit, which the report's six decimals do not show.
    A graph with a self-loop (which networkx counts twice, at the end of its node's sum) is built.

    >>> from advisor.graph import CouplingInfo
    >>> info = CouplingInfo(nodes=("a", "b", "c", "d"), rows=(("a", "b", {"weight": 2.0}),
    ...                     ("b", "c", {"weight": 1.0}), ("c", "d", {"weight": 2.0})))
    >>> G = info.graph()
    >>> coupling_modularity(info, [("a", "b")]) == nx.community.modularity(G, [{"a", "b"}, {"c"}, {"d"}])
    True
    """
    kept = info.kept
    if any(a == b for a, b, _ in kept):
        G = info.graph()
        if G.size(weight="weight") <= 0:
            return None
        return float(nx.community.modularity(G, partition_of(G, clusters), weight="weight"))
    if sum(w for _, _, w in kept) <= 0:
        return None
    # the graph's nodes in networkx's order (those of the rows that are not in ``nodes`` after them,
    # as adding the edges adds them), each with its edges' weights in its adjacency's order
    incident: dict[str, list[float]] = {n: [] for n in info.nodes}
    for a, b, w in kept:
        incident.setdefault(a, []).append(w)
        incident.setdefault(b, []).append(w)
    degree = {n: sum(weights) for n, weights in incident.items()}
    deg_sum = sum(degree.values())
    m = deg_sum / 2
    norm = 1 / deg_sum**2
    partition = partition_of(incident.keys(), clusters)
    member_of = {n: i for i, community in enumerate(partition) for n in community}
    inside: list[float] = [0] * len(partition)
    for a, b, w in kept:
        if member_of[a] == member_of[b]:
            inside[member_of[a]] += w

    def contribution(i: int) -> float:
        degree_sum = sum(degree[u] for u in set(partition[i]))
        return inside[i] / m - 1 * degree_sum * degree_sum * norm

    return sum(map(contribution, range(len(partition))))


def system_metrics(
    inventory: Inventory,
    *,
    hubs: Iterable[str] = (),
    coupling: CouplingInfo | None = None,
    coupling_graph: nx.Graph | None = None,
    clusters: Sequence[Sequence[str]] | None = None,
    cycles: Sequence[Sequence[str]] | None = None,
    mutual_pairs: Sequence[tuple[str, str]] | None = None,
) -> SystemMetrics:
    """:class:`~advisor.model.SystemMetrics` for the whole inventory.

    ``dependencies`` counts dependencies per kind (every kind present, zeros included); ``cycles`` is
    :func:`sync_cycles`; ``mutual_pairs`` the sorted pairs of services that depend on each other
    (any kind); ``shared_datastores`` and ``infrastructure`` come from ``coupling`` (empty without
    it); ``cross_team_edges`` counts dependencies between two services whose known owners differ;
    ``modularity`` is the standard (resolution 1) weighted modularity of ``clusters`` (completed
    with singletons) on ``coupling_graph``, when both are given and the graph has edges; without
    ``coupling_graph``, on ``coupling``'s clustering graph (:func:`coupling_modularity`).
    ``cycles`` and ``mutual_pairs`` may be passed when the caller has them (from
    :func:`dependency_metrics`); else they are worked out from the inventory.

    Examples
    --------
    >>> from inventory.model import Dependency, Inventory, Service
    >>> inv = Inventory(services=(Service("a", "a", owner="t1"), Service("b", "b", owner="t2")),
    ...                 dependencies=(Dependency("a", "b", "sync", ()), Dependency("b", "a", "declared", ())))
    >>> m = system_metrics(inv)
    >>> m.mutual_pairs, m.cycles, m.cross_team_edges, dict(m.dependencies)["declared"]
    ((('a', 'b'),), (), 2, 1)
    """
    if cycles is None or mutual_pairs is None:
        S = service_dependency_graph(inventory)
        cycles = sync_cycles_among(S) if cycles is None else cycles
        mutual_pairs = mutual_pairs_of(S) if mutual_pairs is None else mutual_pairs
    counts: dict[str, int] = dict.fromkeys(DEPENDENCY_KINDS, 0)
    owner = {s.id: s.owner for s in inventory.services}
    cross = 0
    for d in inventory.dependencies:  # one pass for both figures
        counts[d.kind] = counts.get(d.kind, 0) + 1
        # known owners that differ: two services, never a self-dependency (one id has one owner)
        source_owner = owner.get(d.source)
        if source_owner:
            target_owner = owner.get(d.target)
            if target_owner and source_owner != target_owner:
                cross += 1
    modularity: float | None = None
    if coupling_graph is not None and clusters is not None and coupling_graph.size(weight="weight") > 0:
        partition = partition_of(coupling_graph, clusters)
        modularity = round(float(nx.community.modularity(coupling_graph, partition, weight="weight")), 6)
    elif coupling_graph is None and coupling is not None and clusters is not None:
        value = coupling_modularity(coupling, clusters)
        modularity = round(float(value), 6) if value is not None else None
    return SystemMetrics(
        services=len(inventory.services),
        resources=len(inventory.resources),
        dependencies=counts,
        cycles=tuple(tuple(c) for c in cycles),
        mutual_pairs=tuple(mutual_pairs),
        hubs=tuple(sorted(set(hubs))),
        shared_datastores=dict(coupling.shared_datastores) if coupling else {},
        infrastructure=tuple(sorted(coupling.infrastructure)) if coupling else (),
        cross_team_edges=cross,
        modularity=modularity,
    )
