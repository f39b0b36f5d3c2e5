"""Clustering: merge groups of 2-12 services from the coupling graph (Louvain, fixed seed).

Louvain is igraph's C implementation (``community_multilevel``), which recovers planted groups as
well as networkx's pure-Python one did (``docs/clustering.md``) in a tenth of the time: 0.2-0.4 s
at 20,000 services, conversion included, where networkx took 2.6-4.5 s.

**How the resolution is set.** Modularity at the default resolution 1 lumps small groups together,
and the more services there are the worse it gets (its null model compares a group's internal
weight with ``k_A k_B / 2m``, which shrinks as the graph grows). The ``"auto"`` resolution is

    resolution = factor * N / <k>,    <k> = 2 E / N   (the *unweighted* mean degree)

where ``N`` counts the nodes that have at least one edge and ``E`` the edges among them. Put into
Louvain's merge test (join A and B when ``w_AB > resolution * k_A k_B / 2m``) with ``k_A ~ n_A <k_w>``
this asks for ``w_AB > factor * w_mean * n_A * n_B``, with ``w_mean`` the mean edge weight: a
constant-Potts threshold that does not depend on the size of the inventory, and that does not change
when every weight is multiplied by the same number. Using the *weighted* mean degree instead ties the
threshold to the absolute scale of the weights (here: merging too much, as the planted weights average
about 5); on the planted partitions of ``docs/clustering.md`` it scored ARI 0.58-0.87 before the
size cap and 0.83-0.95 after it, against 0.88-0.99 and 0.85-0.99 for the unweighted rule, which is
therefore what :func:`choose_resolution` measures. ``factor=0.16`` sits on a broad plateau: across
three noise levels and 300-20,000 nodes, 0.13-0.2 are all within 0.05 ARI of the best factor.

**Groups larger than** ``max_size`` are split by running Louvain again on their own subgraph. The run
starts at the resolution that asks of the subgraph what the first run asked of the whole graph
(``resolution * W_sub / W``: Louvain's penalty for joining two parts is ``resolution * k_A k_B / 2W``,
so the same threshold on a subgraph of total weight ``W_sub`` needs the resolution scaled by
``W_sub / W``) and doubles it until the group falls apart; pieces still too large are split the same
way. Starting at the parent's unscaled resolution instead shatters the group into single nodes.
An evenly coupled group (a clique) goes from whole to single services at once; it is halved by a
Kernighan-Lin minimum cut instead (seeded). Such halves are arbitrary, which the stability figure
(:func:`co_assignment`) shows. (Searching between the last doubling that kept the group whole and the
first that split it changed no ARI on the planted graphs by more than 0.003 and cost 2-3x the time.)

Every Louvain run sorts the nodes and edges first (:class:`LouvainGraph`) and draws from a private
``random.Random(seed)`` (:func:`seeded`), so the same graph and seed always give the same groups,
whatever order the graph was built in.
"""

from __future__ import annotations

import os
import random
import threading
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

import igraph as ig
import networkx as nx

if TYPE_CHECKING:
    from advisor.graph import CouplingInfo

#: Doublings of the resolution tried on one oversized group (2**30 splits any weighted graph).
_MAX_DOUBLINGS = 30


def choose_resolution(G: nx.Graph, *, factor: float = 0.16) -> float:
    """The modularity resolution ``factor * N / <k>`` for clustering ``G`` into small groups.

    ``N`` is the number of nodes with at least one edge (self-loops ignored), ``<k> = 2E/N`` their
    unweighted mean degree. Returns 1.0 for a graph without edges.

    Examples
    --------
    >>> G = nx.Graph([("a", "b"), ("b", "c"), ("c", "d")])
    >>> G.add_node("lonely")
    >>> round(choose_resolution(G), 6)  # N = 4, <k> = 2 * 3 / 4 = 1.5
    0.426667
    """
    edges = sum(1 for u, v in G.edges() if u != v)
    nodes = sum(1 for n in G if any(v != n for v in G[n]))
    return _auto_resolution(factor, nodes, edges)


def _auto_resolution(factor: float, nodes: int, edges: int) -> float:
    """``factor * N / <k>`` with ``<k> = 2E/N``; 1.0 without edges."""
    if edges == 0:
        return 1.0
    mean_degree = 2.0 * edges / nodes
    return factor * nodes / mean_degree


class LouvainGraph:
    """The coupling graph as igraph holds it: vertex ``i`` is ``names[i]`` (names sorted), edges
    sorted, no self-loops or isolated nodes, weights in the edge attribute ``weight``."""

    def __init__(self, G: nx.Graph) -> None:
        self._made_of((u, v, float(w)) for u, v, w in G.edges(data="weight", default=1.0) if u != v)

    @classmethod
    def of_coupling(cls, info: CouplingInfo) -> LouvainGraph:
        """The LouvainGraph of ``info.graph()``, made from its rows without building that graph (at
        20,000 services networkx took 0.05 s to build it and 0.08 s to give its edges here)."""
        graph = cls.__new__(cls)
        graph._made_of((a, b, float(w)) for a, b, w in info.kept if a != b)
        return graph

    def _made_of(self, pairs: Iterable[tuple[str, str, float]]) -> None:
        """From the weighted pairs of distinct nodes (each pair once): the nodes are their ends."""
        listed = list(pairs)
        names = sorted({n for a, b, _ in listed for n in (a, b)})
        index = {n: i for i, n in enumerate(names)}
        edges = sorted((index[u], index[v], w) if index[u] < index[v] else (index[v], index[u], w)
                       for u, v, w in listed)
        self.names = names
        self.graph = ig.Graph(n=len(names), edges=[(a, b) for a, b, _ in edges])
        self.graph.es["weight"] = [w for _, _, w in edges]
        self.total = sum(w for _, _, w in edges)

    def resolution(self, factor: float) -> float:
        """:func:`choose_resolution` of the graph this was made from (it has the same edges)."""
        return _auto_resolution(factor, len(self.names), self.graph.ecount())


#: igraph's random number generator is one for the whole process: analyses running in two threads
#: (two dashboard sessions) take turns with it.
_RNG_LOCK = threading.Lock()


def _new_lock_in_child() -> None:
    """A process forked while another thread held the lock (a dashboard session laying out a graph
    while another's analysis starts its workers) would wait for it for ever at its first stability
    run: the child has only the forking thread, so it starts with a lock of its own."""
    global _RNG_LOCK
    _RNG_LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_lock_in_child)


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """igraph draws its random numbers from the ``random`` module unless told otherwise: give it a
    private generator for one block, so that a run depends on ``seed`` and nothing else."""
    with _RNG_LOCK:
        ig.set_random_number_generator(random.Random(seed))
        try:
            yield
        finally:
            ig.set_random_number_generator(random)  # igraph's default


def _louvain(graph: ig.Graph, resolution: float, seed: int) -> list[tuple[int, ...]]:
    """Louvain communities of ``graph`` as sorted tuples of vertex ids, the tuples sorted."""
    if graph.ecount() == 0:
        return [(v,) for v in range(graph.vcount())]
    with seeded(seed):
        membership = graph.community_multilevel(weights="weight", resolution=resolution).membership
    groups: dict[int, list[int]] = {}
    for v, c in enumerate(membership):
        groups.setdefault(c, []).append(v)
    return sorted(tuple(g) for g in groups.values())


def _bisect(graph: ig.Graph, seed: int) -> list[tuple[int, ...]]:
    """Halve an evenly coupled graph by a seeded Kernighan-Lin minimum cut (networkx)."""
    G = nx.Graph()
    G.add_nodes_from(range(graph.vcount()))
    G.add_weighted_edges_from((e.source, e.target, e["weight"]) for e in graph.es)
    halves = nx.community.kernighan_lin_bisection(G, weight="weight", seed=seed)
    return sorted(tuple(sorted(h)) for h in halves)


def _split(graph: ig.Graph, members: tuple[int, ...], resolution: float, total: float, seed: int,
           max_size: int) -> list[tuple[int, ...]]:
    """Split one oversized group (vertex ids of ``graph``) found at ``resolution`` on a graph of
    total weight ``total`` into pieces of at most ``max_size`` (see the module docstring)."""
    # ``members`` are ascending vertex ids and the subgraph keeps their order: its vertex i is members[i]
    sub = graph.induced_subgraph(members)
    size = sum(sub.es["weight"]) if sub.ecount() else 0.0
    r = resolution * size / total if size > 0 and total > 0 else resolution
    parts = _louvain(sub, r, seed)
    for _ in range(_MAX_DOUBLINGS):
        if len(parts) > 1:
            break
        r *= 2.0
        parts = _louvain(sub, r, seed)
    if len(parts) == 1 or max(len(p) for p in parts) == 1:
        # An evenly coupled group (a clique) goes from one piece to single services at once:
        # halve it by minimum cut instead, so that it stays visible as groups.
        parts = _bisect(sub, seed)
    out: list[tuple[int, ...]] = []
    for p in parts:
        piece = tuple(members[i] for i in p)
        out.extend(_split(graph, piece, r, size, seed, max_size) if len(piece) > max_size else [piece])
    return out


def cluster_services(
    G: nx.Graph | LouvainGraph,
    *,
    resolution: float | str = "auto",
    seed: int = 42,
    min_size: int = 2,
    max_size: int = 12,
    factor: float = 0.16,
) -> list[tuple[str, ...]]:
    """Groups of tightly coupled services in the undirected, weighted coupling graph ``G``.

    Parameters
    ----------
    G : nx.Graph or LouvainGraph
        Coupling graph; edge attribute ``weight`` (missing means 1). Node names must be sortable.
        A :class:`LouvainGraph` of it may be passed instead when the caller needs it again.
    resolution : "auto" or float
        Modularity resolution; ``"auto"`` is :func:`choose_resolution` with ``factor``.
    seed : int
        Seed for Louvain (same graph and seed give the same groups).
    min_size, max_size : int
        Groups smaller than ``min_size`` are dropped (singletons are not merge groups); groups
        larger than ``max_size`` are split again at higher resolution until they fit.
    factor : float
        The factor of the automatic resolution.

    Returns
    -------
    list of tuple of str
        Each group's members sorted; the groups sorted by their members.

    Examples
    --------
    >>> G = nx.Graph()
    >>> G.add_weighted_edges_from([("a", "b", 5), ("b", "c", 5), ("a", "c", 5),
    ...                            ("x", "y", 5), ("y", "z", 5), ("c", "x", 0.5)])
    >>> cluster_services(G, seed=1)
    [('a', 'b', 'c'), ('x', 'y', 'z')]
    """
    if max_size < 1:
        raise ValueError(f"max_size must be at least 1, not {max_size!r}")
    g = G if isinstance(G, LouvainGraph) else LouvainGraph(G)
    if g.graph.ecount() == 0:
        return []
    if resolution == "auto":
        r = g.resolution(factor)
    elif isinstance(resolution, int | float) and not isinstance(resolution, bool) and resolution > 0:
        r = float(resolution)
    else:
        raise ValueError(f"resolution must be 'auto' or a positive number, not {resolution!r}")
    out: list[tuple[int, ...]] = []
    for community in _louvain(g.graph, r, seed):
        if len(community) > max_size:
            out.extend(_split(g.graph, community, r, g.total, seed, max_size))
        else:
            out.append(community)
    return sorted(tuple(g.names[v] for v in c) for c in out if len(c) >= min_size)


def partition_of(G: Collection[str], communities: Sequence[Sequence[str]]) -> list[set[str]]:
    """``communities`` completed with a singleton for every other node of ``G`` (a graph, or its
    nodes): a full partition, as :func:`networkx.community.modularity` needs.

    >>> [sorted(c) for c in partition_of(nx.path_graph(["a", "b", "c"]), [("a", "b")])]
    [['a', 'b'], ['c']]
    """
    nodes = set(G)
    seen: set[str] = set()
    out: list[set[str]] = []
    for c in communities:
        members = set(c) & nodes
        if members:
            out.append(members)
            seen |= members
    out.extend({n} for n in sorted(G) if n not in seen)
    return out
