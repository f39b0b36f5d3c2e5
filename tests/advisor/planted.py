"""Planted-partition coupling graphs: groups of 3-12 services, dense inside, sparse noise between.

Used by the clustering tests and by ``bench/planted_clustering.py``. Weights are on a log scale
(``1 + log1p(calls)``), as the coupling graph's call-volume weights are.
"""

from __future__ import annotations

import math
import random

import networkx as nx

from advisor.graph import CouplingInfo


def planted_partition(
    n: int,
    *,
    seed: int = 0,
    min_group: int = 3,
    max_group: int = 12,
    p_in: float = 0.6,
    noise: float = 1.0,
) -> tuple[nx.Graph, dict[str, int]]:
    """A coupling-like graph of ``n`` services in planted groups, and the group of every node.

    Each group of ``min_group``-``max_group`` services (uniform sizes) is connected by a random
    spanning tree plus every other internal pair with probability ``p_in``; internal call counts
    are log-normal around e^5 (about 150). Every node then gets Poisson(``noise``) edges to random
    nodes of other groups with weaker call counts (around e^3, about 20) -- the weights overlap, so
    only the structure separates the groups. Node names are shuffled so that the sorted order
    says nothing about the groups.

    >>> G, truth = planted_partition(50, seed=1)
    >>> G.number_of_nodes(), len(set(truth.values())) > 3
    (50, True)
    """
    rng = random.Random(seed)
    names = [f"svc-{i:05d}" for i in range(n)]
    rng.shuffle(names)
    truth: dict[str, int] = {}
    groups: list[list[str]] = []
    i = 0
    while i < n:
        size = min(rng.randint(min_group, max_group), n - i)
        members = names[i:i + size]
        for m in members:
            truth[m] = len(groups)
        groups.append(members)
        i += size
    G = nx.Graph()
    G.add_nodes_from(sorted(names))

    def weight(mu: float) -> float:
        return round(1.0 + math.log1p(rng.lognormvariate(mu, 1.0)), 6)

    for members in groups:
        for k in range(1, len(members)):
            G.add_edge(members[k], members[rng.randrange(k)], weight=weight(5.0))
        for a in range(len(members)):
            for b in range(a + 1, len(members)):
                if not G.has_edge(members[a], members[b]) and rng.random() < p_in:
                    G.add_edge(members[a], members[b], weight=weight(5.0))
    for u in names:
        # Poisson(noise) by inversion: small means, no numpy needed.
        k, p, threshold = 0, 1.0, math.exp(-noise)
        while True:
            p *= rng.random()
            if p < threshold:
                break
            k += 1
        for _ in range(k):
            v = names[rng.randrange(n)]
            if truth[v] != truth[u] and not G.has_edge(u, v):
                G.add_edge(u, v, weight=weight(3.0))
    return G, truth


def labels(nodes: list[str], communities: list[tuple[str, ...]]) -> list[int]:
    """Community labels for ``nodes`` in order; nodes in no community each get their own label."""
    where: dict[str, int] = {}
    for i, c in enumerate(communities):
        for m in c:
            where[m] = i
    fresh = len(communities)
    out: list[int] = []
    for node in nodes:
        if node in where:
            out.append(where[node])
        else:
            out.append(fresh)
            fresh += 1
    return out


def random_coupling(seed: int, self_loop: bool = False) -> tuple[CouplingInfo, list[tuple[str, ...]]]:
    """Scored coupling pairs as :func:`advisor.graph.score_coupling` gives them (``a < b``, sorted),
    random weights, every seventh pair excluded (and, with ``self_loop``, a self-loop last), and
    random clusters over them: six disjoint ones of seven services, and one naming a service and a
    node the graph does not have."""
    rng = random.Random(seed)
    nodes = tuple(f"s{i:03d}" for i in range(60))
    pairs = sorted({tuple(sorted(rng.sample(nodes, 2))) for _ in range(150)})
    rows: list[tuple[str, str, dict[str, object]]] = [
        (a, b, {"weight": round(rng.uniform(0.1, 9.0), 6), "reasons": ("x",)}) for a, b in pairs]
    if self_loop:
        rows.append(("s059", "s059", {"weight": 1.5, "reasons": ("x",)}))
    excluded = {(a, b): "hub" for a, b, _ in rows[::7]}
    shuffled = list(nodes)
    rng.shuffle(shuffled)
    clusters = [tuple(shuffled[i:i + 7]) for i in range(0, 42, 7)] + [("gone", shuffled[50])]
    return CouplingInfo(nodes=nodes, rows=tuple(rows), excluded=excluded), clusters
