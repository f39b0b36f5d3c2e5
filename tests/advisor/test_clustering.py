"""Clustering: the automatic resolution, determinism, size limits, and recovery of planted groups."""

from __future__ import annotations

import random

import networkx as nx
import pytest
from planted import labels, planted_partition
from sklearn.metrics import adjusted_rand_score

from advisor.clustering import choose_resolution, cluster_services, partition_of

NO_CAP = 10**9


def two_triangles(bridge: float = 0.5) -> nx.Graph:
    G = nx.Graph()
    G.add_weighted_edges_from([("a", "b", 5), ("b", "c", 5), ("a", "c", 5), ("x", "y", 5), ("y", "z", 5),
                               ("x", "z", 5), ("c", "x", bridge)])
    return G


def ari(G: nx.Graph, truth: dict[str, int], groups: list[tuple[str, ...]]) -> float:
    nodes = sorted(G)
    return float(adjusted_rand_score([truth[n] for n in nodes], labels(nodes, groups)))


def test_choose_resolution_is_factor_n_over_unweighted_mean_degree() -> None:
    G = two_triangles()
    G.add_node("isolated")
    G.add_edge("q", "q", weight=3)  # a self-loop does not count as an edge or make q active
    # N = 6 active nodes, E = 7 edges, <k> = 14 / 6
    assert choose_resolution(G) == pytest.approx(0.16 * 6 / (14 / 6))
    assert choose_resolution(G, factor=0.32) == pytest.approx(2 * choose_resolution(G))
    assert choose_resolution(nx.Graph()) == 1.0


def test_resolution_and_clusters_do_not_depend_on_the_scale_of_the_weights() -> None:
    G, _ = planted_partition(200, seed=3)
    scaled = nx.Graph()
    scaled.add_weighted_edges_from((u, v, 10 * w) for u, v, w in G.edges(data="weight"))
    assert choose_resolution(scaled) == choose_resolution(G)
    assert cluster_services(scaled) == cluster_services(G)


def test_two_triangles_and_singletons_dropped() -> None:
    G = two_triangles()
    G.add_node("alone")
    assert cluster_services(G, seed=1) == [("a", "b", "c"), ("x", "y", "z")]
    assert cluster_services(G, seed=1, min_size=4) == []
    assert cluster_services(nx.Graph([("p", "q")]), seed=1) == [("p", "q")]
    assert cluster_services(nx.empty_graph(["a", "b"])) == []


def test_same_groups_whatever_the_insertion_order() -> None:
    G, _ = planted_partition(150, seed=5)
    edges = list(G.edges(data="weight"))
    random.Random(9).shuffle(edges)
    shuffled = nx.Graph()
    shuffled.add_nodes_from(sorted(G, reverse=True))
    shuffled.add_weighted_edges_from((v, u, w) for u, v, w in edges)
    assert cluster_services(shuffled, seed=3) == cluster_services(G, seed=3)


def test_groups_larger_than_max_size_are_split() -> None:
    G = nx.complete_graph([f"n{i:02d}" for i in range(20)])
    nx.set_edge_attributes(G, 1.0, "weight")
    assert cluster_services(G, max_size=30) == [tuple(sorted(G))]
    groups = cluster_services(G, max_size=12)
    assert len(groups) >= 2
    assert all(2 <= len(g) <= 12 for g in groups)
    assert sorted(m for g in groups for m in g) == sorted(G)  # nothing lost to singletons
    assert groups == cluster_services(G, max_size=12)


def test_fixed_resolution_and_bad_values() -> None:
    assert cluster_services(two_triangles(), resolution=1.0, seed=1) == [("a", "b", "c"), ("x", "y", "z")]
    with pytest.raises(ValueError, match="positive number"):
        cluster_services(two_triangles(), resolution=-1.0)
    with pytest.raises(ValueError, match="'auto' or a positive number, not 'fast'"):
        cluster_services(two_triangles(), resolution="fast")


def test_partition_of_completes_with_singletons() -> None:
    G = two_triangles()
    assert [sorted(c) for c in partition_of(G, [("a", "b", "c"), ("gone",)])] == [
        ["a", "b", "c"], ["x"], ["y"], ["z"]]


@pytest.mark.parametrize("n", [300, 2000])
def test_auto_resolution_recovers_planted_groups(n: int) -> None:
    G, truth = planted_partition(n, seed=1)
    assert ari(G, truth, cluster_services(G, seed=42)) >= 0.9  # measured 0.990 (300), 0.989 (2000)


def test_default_resolution_lumps_small_groups_together() -> None:
    G, truth = planted_partition(2000, seed=1)
    auto = ari(G, truth, cluster_services(G, seed=42))
    default = ari(G, truth, cluster_services(G, resolution=1.0, seed=42, max_size=NO_CAP))
    assert default < 0.5  # measured 0.389 (0.372 with networkx Louvain)
    assert auto - default > 0.4  # measured 0.600


def test_weakly_joined_cliques_split_along_the_weak_link() -> None:
    left = [f"l{i:02d}" for i in range(8)]
    right = [f"r{i:02d}" for i in range(8)]
    G = nx.Graph()
    G.add_weighted_edges_from((g[i], g[j], 4.0) for g in (left, right) for i in range(8) for j in range(i + 1, 8))
    G.add_weighted_edges_from((left[i], right[i], 1.0) for i in range(8))
    assert cluster_services(G, resolution=0.01, max_size=30) == [tuple(sorted(G))]  # one group: too low
    assert cluster_services(G, resolution=0.01, max_size=12) == [tuple(left), tuple(right)]


def test_seeded_runs_in_two_threads_take_turns_with_the_random_generator() -> None:
    import threading

    from advisor.clustering import seeded

    entered = threading.Event()

    def other() -> None:
        with seeded(2):
            entered.set()

    with seeded(1):
        thread = threading.Thread(target=other)
        thread.start()
        assert not entered.wait(0.3)  # igraph's one generator is ours until this block ends
    assert entered.wait(10)
    thread.join()


@pytest.mark.parametrize("seed", range(4))
def test_the_louvain_graph_of_the_rows_is_the_one_of_the_graph(seed: int) -> None:
    """The analysis makes igraph's graph from the scored pairs, without building networkx's."""
    from planted import random_coupling

    from advisor.clustering import LouvainGraph

    info, _ = random_coupling(seed)
    of_rows, of_graph = LouvainGraph.of_coupling(info), LouvainGraph(info.graph())
    assert of_rows.names == of_graph.names and of_rows.total == of_graph.total
    assert of_rows.graph.get_edgelist() == of_graph.graph.get_edgelist()
    assert of_rows.graph.es["weight"] == of_graph.graph.es["weight"]
    assert [(u, v, w) for u, v, w in info.graph().edges(data="weight")] == list(info.kept)
