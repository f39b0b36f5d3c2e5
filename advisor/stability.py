"""How sure we are: does a proposed group survive other seeds and other resolutions?

Community detection is randomised and its resolution is a choice. A proposal that holds only for
one seed at one resolution is an accident; one that every run agrees on is robust. For every
proposal this module reports its *co-assignment*: the fraction of clustering runs, over a spread
of seeds and resolution multipliers (``clustering.seeds`` x ``clustering.resolution_spread``), in
which all of its members end up in one community.

The runs use igraph's C implementation of the same Louvain method as the main clustering
(:mod:`advisor.clustering` uses networkx): 24 runs take about as long as one networkx run, so the
spread is affordable at 20,000 services. Each run is seeded (igraph draws from a private
``random.Random(seed)``), so the figures are deterministic.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence

import igraph as ig
import networkx as nx


def _to_igraph(G: nx.Graph) -> tuple[ig.Graph, dict[str, int]]:
    nodes = sorted(G)
    index = {n: i for i, n in enumerate(nodes)}
    edges = sorted((min(index[u], index[v]), max(index[u], index[v]), float(w))
                   for u, v, w in G.edges(data="weight", default=1.0) if u != v)
    graph = ig.Graph(n=len(nodes), edges=[(a, b) for a, b, _ in edges])
    graph.es["weight"] = [w for _, _, w in edges]
    return graph, index


def co_assignment(G: nx.Graph, groups: Sequence[Sequence[str]], *, resolution: float,
                  seeds: Iterable[int] = range(8), multipliers: Sequence[float] = (0.7, 1.0, 1.4)
                  ) -> list[float]:
    """For each group, the fraction of Louvain runs that put all its members in one community.

    Examples
    --------
    >>> G = nx.Graph()
    >>> G.add_weighted_edges_from([("a", "b", 5), ("b", "c", 5), ("a", "c", 5),
    ...                            ("x", "y", 5), ("y", "z", 5), ("c", "x", 0.5)])
    >>> co_assignment(G, [("a", "b", "c"), ("c", "x")], resolution=1.0, seeds=range(3))
    [1.0, 0.0]
    """
    graph, index = _to_igraph(G)
    together = [0] * len(groups)
    runs = 0
    members = [[index[m] for m in group if m in index] for group in groups]
    try:
        for seed in seeds:
            for multiplier in multipliers:
                ig.set_random_number_generator(random.Random(seed * 1009 + int(multiplier * 1000)))
                if graph.ecount() == 0:
                    membership = list(range(graph.vcount()))
                else:
                    membership = graph.community_multilevel(weights="weight",
                                                            resolution=resolution * multiplier).membership
                runs += 1
                for i, nodes in enumerate(members):
                    if len(nodes) == len(groups[i]) and len({membership[n] for n in nodes}) == 1:
                        together[i] += 1
    finally:
        ig.set_random_number_generator(random)  # igraph's default: the random module
    return [round(t / runs, 4) if runs else 0.0 for t in together]
