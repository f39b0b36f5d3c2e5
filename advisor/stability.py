"""How sure we are: does a proposed group survive other seeds and other resolutions?

Community detection is randomised and its resolution is a choice. A proposal that holds only for
one seed at one resolution is an accident; one that every run agrees on is robust. For every
proposal this module reports its *co-assignment*: the fraction of clustering runs, over a spread
of seeds and resolution multipliers (``clustering.seeds`` x ``clustering.resolution_spread``), in
which all of its members end up in one community.

The runs use igraph's C implementation of Louvain, as the main clustering does
(:mod:`advisor.clustering`): 24 runs take about a second at 20,000 services. Each run is seeded
(igraph draws from a private ``random.Random``), so the figures are deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import networkx as nx

from advisor.clustering import LouvainGraph, seeded


def memberships(graph: LouvainGraph, resolution: float, seeds: Iterable[int] = range(8),
                multipliers: Sequence[float] = (0.7, 1.0, 1.4)) -> list[list[int]]:
    """The community of every vertex of ``graph`` in each seeded run, seeds outer, multipliers inner.

    A function of its arguments alone, so that it can run in another process while the analysis goes
    on (see :func:`advisor.analysis.analyze_inventory`).
    """
    runs: list[list[int]] = []
    for seed in seeds:
        for multiplier in multipliers:
            if graph.graph.ecount() == 0:
                runs.append(list(range(graph.graph.vcount())))
                continue
            with seeded(seed * 1009 + int(multiplier * 1000)):
                runs.append(graph.graph.community_multilevel(weights="weight",
                                                             resolution=resolution * multiplier).membership)
    return runs


def together(graph: LouvainGraph, runs: Sequence[Sequence[int]], groups: Sequence[Sequence[str]]) -> list[float]:
    """For each group, the fraction of ``runs`` (from :func:`memberships`) that put all its members
    in one community. A member without any coupling is in no community with the others: its group
    never counts."""
    index = {n: i for i, n in enumerate(graph.names)}
    members = [[index[m] for m in group if m in index] for group in groups]
    counts = [0] * len(groups)
    for membership in runs:
        for i, nodes in enumerate(members):
            if len(nodes) == len(groups[i]) and len({membership[n] for n in nodes}) == 1:
                counts[i] += 1
    return [round(c / len(runs), 4) if runs else 0.0 for c in counts]


def co_assignment(G: nx.Graph | LouvainGraph, groups: Sequence[Sequence[str]], *, resolution: float,
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
    graph = G if isinstance(G, LouvainGraph) else LouvainGraph(G)
    return together(graph, memberships(graph, resolution, seeds, multipliers), groups)
