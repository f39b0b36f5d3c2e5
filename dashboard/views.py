"""What each dashboard view shows, computed from a :class:`~advisor.model.Report` as plain data.

Nothing here imports Streamlit: the pages call these functions through the cached wrappers in
:mod:`dashboard.state` and only describe the UI. Three ideas keep the views quick at thousands of
services:

* **filters come first**: team, namespace, kind and minimum weight are applied to the service pairs
  before anything is grouped, laid out or drawn;
* **the first view is grouped**: one node per cluster, namespace or team, sized by its services;
  a cluster or one service's 1-2 hop neighbourhood is drawn service by service only on request;
* **a hard cap**: no view draws more than :data:`MAX_DRAWN_NODES` nodes, and every view says how
  many it left out.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import igraph as ig
import networkx as nx
import pandas as pd

from advisor.clustering import seeded
from advisor.model import Report

#: No view draws more nodes than this (the grouped view of 2,000 services has about 480 groups).
MAX_DRAWN_NODES = 500
#: A drilled-down view (one cluster with its neighbours, or a neighbourhood) draws at most this many.
MAX_DETAIL_NODES = 150
#: Above this many services the coupling matrix of the whole system is aggregated to groups.
MAX_MATRIX_SERVICES = 150
#: The aggregated matrix shows at most this many groups (the most coupled ones).
MAX_MATRIX_GROUPS = 120

#: Edge kinds in the order that decides an edge's style when it has several.
KIND_ORDER = ("datastore", "sync", "async", "declared", "other")
#: How an edge is known, best first.
BASIS_ORDER = ("observed", "static", "declared")

GroupBy = Literal["cluster", "namespace", "team"]
GROUP_BY_LABELS: Mapping[str, str] = {"cluster": "cluster", "namespace": "namespace", "team": "team"}
NO_NAMESPACE = "(no namespace)"
NO_TEAM = "(no team)"


# ----------------------------------------------------------------------------------------------
# Coupled pairs with their kinds and how they are known
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PairEdge:
    """One coupled pair of services: weight, the kinds of evidence, how the best of it is known."""

    a: str
    b: str
    weight: float
    kinds: tuple[str, ...]
    basis: str
    reasons: tuple[str, ...]

    @property
    def kind(self) -> str:
        """The kind that styles the edge: the first of :data:`KIND_ORDER` it has."""
        return self.kinds[0] if self.kinds else "other"


def reason_kind(reason: str) -> str | None:
    """The kind of evidence behind one coupling reason (as :func:`advisor.graph.build_coupling_graph`
    words them); ``None`` for the team multipliers, which are not evidence of their own.

    >>> reason_kind("shared datastore database:orders-db (orders schema)"), reason_kind("same team t (x1.25)")
    ('datastore', None)
    """
    if reason.startswith(("sync calls", "mutual calls", "sync cycle")):
        return "sync"
    if reason.startswith("shared datastore"):
        return "datastore"
    if reason.startswith(("topic ", "async messages")):
        return "async"
    if reason.startswith("declared dependency"):
        return "declared"
    if reason.startswith(("same team", "cross-team")):
        return None
    return "other"


def _resource_in(reason: str) -> str | None:
    for prefix in ("shared datastore ", "topic "):
        if reason.startswith(prefix):
            rest = reason[len(prefix):]
            return rest.split(" ", 1)[0] or None
    return None


def best_basis(bases: Iterable[str]) -> str:
    """``observed`` beats ``static`` beats ``declared``; nothing known counts as ``static``."""
    found = set(bases)
    for b in BASIS_ORDER:
        if b in found:
            return b
    return "static"


def coupling_pairs(report: Report) -> tuple[PairEdge, ...]:
    """Every coupled pair of the report (hubs included), with kinds and basis from the evidence."""
    deps = report.inventory.dependencies
    direct: dict[tuple[str, str], set[str]] = defaultdict(set)
    to_resource: dict[tuple[str, str], set[str]] = defaultdict(set)
    for d in deps:
        pair = (d.source, d.target) if d.source < d.target else (d.target, d.source)
        direct[pair].update(d.bases)
        to_resource[(d.source, d.target)].update(d.bases)
    out = []
    for e in report.coupling:
        kinds: set[str] = set()
        bases: set[str] = set(direct.get((e.a, e.b) if e.a < e.b else (e.b, e.a), ()))
        for reason in e.reasons:
            kind = reason_kind(reason)
            if kind is not None:
                kinds.add(kind)
            resource = _resource_in(reason)
            if resource is not None:
                bases |= to_resource.get((e.a, resource), set()) | to_resource.get((e.b, resource), set())
        ordered = tuple(k for k in KIND_ORDER if k in kinds)
        out.append(PairEdge(e.a, e.b, e.weight, ordered, best_basis(bases), e.reasons))
    return tuple(out)


# ----------------------------------------------------------------------------------------------
# Who belongs where
# ----------------------------------------------------------------------------------------------


def service_attribute(report: Report, by: str) -> dict[str, str]:
    """Each service's cluster, namespace or team, as the label the views group and colour by.

    Hubs are their own group (they are never merged), and services in no cluster are grouped by
    namespace as ``unclustered · <namespace>``.
    """
    services = report.inventory.services
    if by == "namespace":
        return {s.id: s.namespace or NO_NAMESPACE for s in services}
    if by == "team":
        return {s.id: s.owner or NO_TEAM for s in services}
    cluster_of = {m: c.id for c in report.clusters for m in c.members}
    hubs = set(report.system_metrics.hubs)
    out = {}
    for s in services:
        if s.id in hubs:
            out[s.id] = f"hub {s.id}"
        else:
            out[s.id] = cluster_of.get(s.id) or f"unclustered · {s.namespace or NO_NAMESPACE}"
    return out


def categories(values: Iterable[str]) -> tuple[str, ...]:
    """The distinct labels in a stable order (so a label keeps its colour whatever is filtered)."""
    return tuple(sorted(set(values), key=_natural))


def _natural(label: str) -> tuple[object, ...]:
    head = label.rstrip("0123456789")
    tail = label[len(head):]
    return (head, int(tail) if tail else -1, label)


# ----------------------------------------------------------------------------------------------
# Filters, applied before anything is drawn
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What the user narrowed the graph to; empty tuples mean "everything"."""

    teams: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    min_weight: float = 0.0
    hubs: bool = True

    @property
    def active(self) -> bool:
        return bool(self.teams or self.namespaces or self.kinds or self.min_weight > 0 or not self.hubs)


@dataclass(frozen=True)
class FilteredView:
    services: frozenset[str]
    edges: tuple[PairEdge, ...]
    services_hidden: int
    edges_hidden: int


def apply_filters(report: Report, pairs: Sequence[PairEdge], filters: Filters) -> FilteredView:
    """The services and coupled pairs that pass the filters.

    A service passes when its team and namespace are among the chosen ones (and it is not a hub, when
    hubs are hidden); a pair passes when both ends pass, it has at least one chosen kind, and its weight
    is at least ``min_weight``.
    """
    teams = set(filters.teams)
    namespaces = set(filters.namespaces)
    kinds = set(filters.kinds)
    hubs = set() if filters.hubs else set(report.system_metrics.hubs)
    visible = frozenset(
        s.id for s in report.inventory.services
        if s.id not in hubs
        and (not teams or (s.owner or NO_TEAM) in teams)
        and (not namespaces or (s.namespace or NO_NAMESPACE) in namespaces)
    )
    edges = tuple(
        e for e in pairs
        if e.a in visible and e.b in visible and e.weight >= filters.min_weight
        and (not kinds or any(k in kinds for k in e.kinds))
    )
    return FilteredView(visible, edges, len(report.inventory.services) - len(visible), len(pairs) - len(edges))


def restyle_for_kinds(edge: PairEdge, kinds: Sequence[str]) -> PairEdge:
    """The edge with only the chosen kinds left, so its style shows what the filter kept."""
    if not kinds:
        return edge
    kept = tuple(k for k in edge.kinds if k in kinds)
    return PairEdge(edge.a, edge.b, edge.weight, kept or edge.kinds, edge.basis, edge.reasons)


# ----------------------------------------------------------------------------------------------
# The grouped view
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupNode:
    id: str
    members: tuple[str, ...]
    internal_weight: float


@dataclass(frozen=True)
class GroupEdge:
    a: str
    b: str
    weight: float
    pairs: int
    kind: str
    basis: str
    kinds: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class GroupGraph:
    nodes: tuple[GroupNode, ...]
    edges: tuple[GroupEdge, ...]
    groups_hidden: int
    services_hidden: int


def group_graph(view: FilteredView, group_of: Mapping[str, str], *, limit: int = MAX_DRAWN_NODES) -> GroupGraph:
    """One node per group of visible services, one edge per pair of groups with coupled members.

    When there are more than ``limit`` groups, the ones with the fewest services (then the least
    coupling) are left out and counted.
    """
    members: dict[str, list[str]] = defaultdict(list)
    for sid in sorted(view.services):
        members[group_of[sid]].append(sid)
    internal: dict[str, float] = defaultdict(float)
    between: dict[tuple[str, str], list[PairEdge]] = defaultdict(list)
    for e in view.edges:
        ga, gb = group_of[e.a], group_of[e.b]
        if ga == gb:
            internal[ga] += e.weight
        else:
            between[(ga, gb) if ga < gb else (gb, ga)].append(e)
    touching: dict[str, float] = defaultdict(float)
    for (ga, gb), edges in between.items():
        w = sum(e.weight for e in edges)
        touching[ga] += w
        touching[gb] += w
    ranked = sorted(members, key=lambda g: (-len(members[g]), -(internal[g] + touching[g]), _natural(g)))
    kept = set(ranked[:limit])
    hidden = ranked[limit:]
    nodes = tuple(GroupNode(g, tuple(members[g]), round(internal[g], 6)) for g in sorted(kept, key=_natural))
    out_edges = []
    for (ga, gb), edges in sorted(between.items()):
        if ga not in kept or gb not in kept:
            continue
        by_kind: Counter[str] = Counter()
        weight_by_kind: dict[str, float] = defaultdict(float)
        for e in edges:
            by_kind[e.kind] += 1
            weight_by_kind[e.kind] += e.weight
        kind = max(KIND_ORDER, key=lambda k: (weight_by_kind.get(k, 0.0), -KIND_ORDER.index(k)))
        out_edges.append(GroupEdge(
            ga, gb, round(sum(e.weight for e in edges), 6), len(edges), kind,
            best_basis(e.basis for e in edges), dict(sorted(by_kind.items())),
        ))
    return GroupGraph(nodes, tuple(out_edges), len(hidden), sum(len(members[g]) for g in hidden))


# ----------------------------------------------------------------------------------------------
# Drilled-down views
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DetailView:
    """The services a drilled-down view draws, the pairs among them, and what was left out."""

    focus: tuple[str, ...]
    nodes: tuple[str, ...]
    edges: tuple[PairEdge, ...]
    nodes_hidden: int


def _adjacency(edges: Iterable[PairEdge]) -> dict[str, dict[str, float]]:
    adj: dict[str, dict[str, float]] = defaultdict(dict)
    for e in edges:
        adj[e.a][e.b] = e.weight
        adj[e.b][e.a] = e.weight
    return adj


def _induced(nodes: Iterable[str], edges: Iterable[PairEdge]) -> tuple[PairEdge, ...]:
    keep = set(nodes)
    return tuple(e for e in edges if e.a in keep and e.b in keep)


def group_detail(view: FilteredView, members: Sequence[str], *, neighbours: bool = True,
                 limit: int = MAX_DETAIL_NODES) -> DetailView:
    """The visible members of one group and, optionally, the services they are coupled with outside it
    (the most strongly coupled first, up to ``limit`` nodes in all)."""
    inside = [m for m in members if m in view.services]
    chosen = list(inside[:limit])
    hidden = len(inside) - len(chosen)
    if neighbours:
        adj = _adjacency(view.edges)
        strength: dict[str, float] = defaultdict(float)
        inside_set = set(inside)
        for m in inside:
            for other, w in adj.get(m, {}).items():
                if other not in inside_set:
                    strength[other] += w
        ranked = sorted(strength, key=lambda s: (-strength[s], s))
        room = max(0, limit - len(chosen))
        chosen += ranked[:room]
        hidden += max(0, len(ranked) - room)
    return DetailView(tuple(inside), tuple(chosen), _induced(chosen, view.edges), hidden)


def neighbourhood(view: FilteredView, center: str, *, hops: int = 1, limit: int = MAX_DETAIL_NODES) -> DetailView:
    """``center`` and the services within ``hops`` coupled pairs of it, nearest and strongest first."""
    if center not in view.services:
        return DetailView((center,), (), (), 0)
    adj = _adjacency(view.edges)
    order: list[str] = [center]
    seen = {center}
    frontier = [center]
    for _ in range(max(1, hops)):
        strength: dict[str, float] = defaultdict(float)
        for node in frontier:
            for other, w in adj.get(node, {}).items():
                if other not in seen:
                    strength[other] += w
        ring = sorted(strength, key=lambda s: (-strength[s], s))
        order += ring
        seen.update(ring)
        frontier = ring
    chosen = order[:limit]
    return DetailView((center,), tuple(chosen), _induced(chosen, view.edges), len(order) - len(chosen))


# ----------------------------------------------------------------------------------------------
# Layout
# ----------------------------------------------------------------------------------------------


def layout(nodes: Sequence[str], edges: Iterable[tuple[str, str, float]], *, seed: int = 7,
           first: Collection[str] = ()) -> dict[str, tuple[float, float]]:
    """Positions for ``nodes`` (force-directed, weights on a log scale, seeded so it never moves).

    Nodes linked to a large share of the others (a hub such as auth, linked to hundreds of clusters)
    would pull everything into one ball; they are left out of the force layout and placed at the
    centre of their neighbours afterwards.

    ``first``, when it leaves some nodes out, names the nodes a view draws before any filter (the
    largest groups): they are laid out on their own, as if they were the whole graph, and the others
    are placed around them afterwards without moving them. Laid out together, thousands of small
    groups would push the drawn ones into one overlapping ball in the middle.

    >>> pos = layout(["a", "b", "c"], [("a", "b", 2.0)])
    >>> sorted(pos) == ["a", "b", "c"] and pos == layout(["a", "b", "c"], [("a", "b", 2.0)])
    True
    """
    G = nx.Graph()
    G.add_nodes_from(sorted(nodes))
    for a, b, w in edges:
        if a in G and b in G and a != b:
            G.add_edge(a, b, weight=math.log1p(max(w, 0.0)) + 0.1)
    n = G.number_of_nodes()
    if n == 0:
        return {}
    if n == 1:
        return {next(iter(G.nodes)): (0.0, 0.0)}
    limit = max(12.0, 3 * math.sqrt(n)) if n > 50 else float("inf")
    hubs = sorted(v for v, d in G.degree() if d > limit)
    core = G.subgraph(v for v in G if v not in set(hubs))
    pos = _force_layout(core, seed, first)
    for i, h in enumerate(hubs):
        around = [pos[v] for v in G[h] if v in pos]
        x = sum(p[0] for p in around) / len(around) if around else 0.0
        y = sum(p[1] for p in around) / len(around) if around else 0.0
        angle = 2 * math.pi * i / max(len(hubs), 1)
        pos[h] = (x + 0.08 * math.cos(angle), y + 0.08 * math.sin(angle))
    return {v: (round(x, 5), round(y, 5)) for v, (x, y) in pos.items()}


#: Above this many nodes the force layout is igraph's Fruchterman-Reingold (C, with a grid for the
#: repulsion): networkx's spring layout costs n² per iteration, and took 39 s on the 4,407 cluster groups
#: of 20,000 generated services (igraph: 0.4 s). Below it, networkx's, whose spacing suits the small views.
LARGE_LAYOUT = 300


def _force_layout(core: nx.Graph, seed: int, first: Collection[str] = ()) -> dict[str, tuple[float, float]]:
    """Force-directed positions of ``core`` within [-1, 1]² (those of ``first`` when it leaves some out;
    see :func:`layout`), seeded."""
    chosen = set(first)
    lead = [v for v in core if v in chosen]
    if lead and len(lead) < core.number_of_nodes():
        return _around(core, _force_layout(core.subgraph(lead), seed), seed)
    n = core.number_of_nodes()
    if n <= LARGE_LAYOUT:
        k = 1.6 / math.sqrt(max(n, 1))
        return {str(v): (float(x), float(y))
                for v, (x, y) in nx.spring_layout(core, seed=seed, weight="weight", k=k, iterations=60).items()}
    names, graph, weights = _igraph_of(core)
    with seeded(seed):
        coords = graph.layout_fruchterman_reingold(weights=weights, niter=500, grid="auto").coords
    cx = sum(x for x, _ in coords) / n
    cy = sum(y for _, y in coords) / n
    scale = max((max(abs(x - cx), abs(y - cy)) for x, y in coords), default=0.0) or 1.0
    return {str(v): ((x - cx) / scale, (y - cy) / scale) for v, (x, y) in zip(names, coords, strict=True)}


def _around(core: nx.Graph, pinned: dict[str, tuple[float, float]], seed: int) -> dict[str, tuple[float, float]]:
    """Positions for every node of ``core``: those of ``pinned`` as given, the others by igraph's
    Fruchterman-Reingold with the pinned ones held in place (at igraph's own scale, then scaled back)."""
    names, graph, weights = _igraph_of(core)
    scale = math.sqrt(len(pinned))  # about the spacing Fruchterman-Reingold gives that many nodes
    start = [[pinned[v][0] * scale, pinned[v][1] * scale] if v in pinned else [0.0, 0.0] for v in names]
    free = [v not in pinned for v in names]
    low = [-1e9 if f else xy[0] for f, xy in zip(free, start, strict=True)]
    high = [1e9 if f else xy[0] for f, xy in zip(free, start, strict=True)]
    low_y = [-1e9 if f else xy[1] for f, xy in zip(free, start, strict=True)]
    high_y = [1e9 if f else xy[1] for f, xy in zip(free, start, strict=True)]
    with seeded(seed):
        rng = random.Random(seed)
        for xy, f in zip(start, free, strict=True):
            if f:  # free nodes start on a ring around the pinned ones
                angle = rng.uniform(0.0, 2 * math.pi)
                xy[0], xy[1] = 1.2 * scale * math.cos(angle), 1.2 * scale * math.sin(angle)
        coords = graph.layout_fruchterman_reingold(
            weights=weights, niter=300, seed=start, minx=low, maxx=high, miny=low_y, maxy=high_y, grid="auto").coords
    return {str(v): (pinned[v] if v in pinned else (x / scale, y / scale))
            for v, (x, y) in zip(names, coords, strict=True)}


def _igraph_of(core: nx.Graph) -> tuple[list[str], ig.Graph, list[float] | None]:
    """``core`` as igraph holds it: vertex ``i`` is ``names[i]`` (names sorted), the edges in one fixed
    order whatever order they were added in, and their weights (None without edges)."""
    names = sorted(core.nodes)
    index = {v: i for i, v in enumerate(names)}
    pairs = sorted((min(index[a], index[b]), max(index[a], index[b]), w) for a, b, w in core.edges(data="weight"))
    return names, ig.Graph(n=len(names), edges=[(a, b) for a, b, _ in pairs]), [w for _, _, w in pairs] or None


# ----------------------------------------------------------------------------------------------
# Tables
# ----------------------------------------------------------------------------------------------


SERVICE_COLUMNS = (
    "service", "name", "namespace", "team", "cluster", "hub", "fan_in", "fan_out", "ais", "ads", "acs",
    "instability", "siy", "pagerank", "cycle", "replicas", "cpu_request", "memory_mib", "datastores",
    "sources", "files",
)


def service_table(report: Report) -> pd.DataFrame:
    """One row per service with its metrics and where it was seen (readers and files)."""
    metrics = {m.id: m for m in report.service_metrics}
    rows = []
    for s in report.inventory.services:
        m = metrics.get(s.id)
        files = sorted({e.location.rsplit(":", 1)[0] for e in s.evidence})
        rows.append({
            "service": s.id, "name": s.name, "namespace": s.namespace, "team": s.owner,
            "cluster": m.cluster if m else None, "hub": bool(m and m.hub),
            "fan_in": m.fan_in if m else None, "fan_out": m.fan_out if m else None,
            "ais": m.ais if m else None, "ads": m.ads if m else None, "acs": m.acs if m else None,
            "instability": m.instability if m else None, "siy": m.siy if m else None,
            "pagerank": m.pagerank if m else None, "cycle": m.cycle if m else None,
            "replicas": s.replicas, "cpu_request": s.cpu_request,
            "memory_mib": None if s.memory_request is None else round(s.memory_request / 2**20, 1),
            "datastores": ", ".join(m.datastores) if m else "",
            "sources": ", ".join(s.sources), "files": ", ".join(files),
        })
    return pd.DataFrame(rows, columns=list(SERVICE_COLUMNS))


def input_table(report: Report) -> pd.DataFrame:
    """What was read, per input file and format."""
    return pd.DataFrame([a.as_dict() for a in report.inventory.inputs],
                        columns=["location", "format", "documents", "used", "skipped"])


def format_summary(report: Report) -> pd.DataFrame:
    """Files, documents, used and skipped per input format."""
    acc: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for a in report.inventory.inputs:
        row = acc[a.format]
        row[0] += 1
        row[1] += a.documents
        row[2] += a.used
        row[3] += a.skipped
    return pd.DataFrame([{"format": f, "files": r[0], "documents": r[1], "used": r[2], "skipped": r[3]}
                         for f, r in sorted(acc.items())],
                        columns=["format", "files", "documents", "used", "skipped"])


def proposal_table(report: Report) -> pd.DataFrame:
    return pd.DataFrame([
        {"rank": p.rank, "proposal": p.id, "title": p.title, "score": p.score, "members": len(p.members),
         "stability": p.stability, "decision": (p.decision or {}).get("status", "")}
        for p in report.proposals
    ], columns=["rank", "proposal", "title", "score", "members", "stability", "decision"])


# ----------------------------------------------------------------------------------------------
# The coupling matrix
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Matrix:
    labels: tuple[str, ...]
    groups: tuple[str, ...]
    values: tuple[tuple[float, ...], ...]
    aggregated: bool
    left_out: int


def service_matrix(pairs: Iterable[PairEdge], services: Sequence[str], group_of: Mapping[str, str]) -> Matrix:
    """Coupling weight between every two of ``services``, ordered by group then name."""
    order = sorted(services, key=lambda s: (_natural(group_of.get(s, "")), s))
    index = {s: i for i, s in enumerate(order)}
    z = [[0.0] * len(order) for _ in order]
    for e in pairs:
        i, j = index.get(e.a), index.get(e.b)
        if i is not None and j is not None:
            z[i][j] = z[j][i] = e.weight
    return Matrix(tuple(order), tuple(group_of.get(s, "") for s in order), tuple(tuple(r) for r in z), False, 0)


def group_matrix(pairs: Iterable[PairEdge], group_of: Mapping[str, str], *,
                 limit: int = MAX_MATRIX_GROUPS) -> Matrix:
    """Summed coupling between groups (the diagonal is the coupling inside a group); the ``limit``
    most coupled groups are kept."""
    weight: dict[tuple[str, str], float] = defaultdict(float)
    total: dict[str, float] = defaultdict(float)
    for e in pairs:
        ga, gb = group_of.get(e.a), group_of.get(e.b)
        if ga is None or gb is None:
            continue
        key = (ga, gb) if ga <= gb else (gb, ga)
        weight[key] += e.weight
        total[ga] += e.weight
        total[gb] += e.weight
    ranked = sorted(total, key=lambda g: (-total[g], _natural(g)))
    kept = sorted(ranked[:limit], key=_natural)
    index = {g: i for i, g in enumerate(kept)}
    z = [[0.0] * len(kept) for _ in kept]
    for (ga, gb), w in weight.items():
        i, j = index.get(ga), index.get(gb)
        if i is not None and j is not None:
            z[i][j] = z[j][i] = round(w, 6)
    return Matrix(tuple(kept), tuple(kept), tuple(tuple(r) for r in z), True, max(0, len(ranked) - limit))
