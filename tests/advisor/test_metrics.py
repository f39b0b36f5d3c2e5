"""Per-service and system metrics, and hubs, on small inventories with hand-computed values."""

from __future__ import annotations

from dataclasses import replace

import networkx as nx
import pytest

from advisor.config import Config, Hubs
from advisor.graph import build_coupling_graph
from advisor.metrics import find_hubs, service_metrics, sync_cycles, system_metrics
from advisor.model import ServiceMetrics
from inventory.model import Dependency, Evidence, Inventory, Resource, Service

EV = (Evidence("kubernetes", "k8s.yaml:1", "env"),)


def dep(source: str, target: str, kind: str = "sync", **kw: object) -> Dependency:
    return Dependency(source, target, kind, EV, **kw)  # type: ignore[arg-type]


def small_system() -> Inventory:
    """a<->b (sync), c->d->e->c (sync cycle), a->c declared, a and c share a database, e -> a via topic t."""
    return Inventory(
        services=(Service("a", "a", owner="t1"), Service("b", "b", owner="t1"), Service("c", "c", owner="t2"),
                  Service("d", "d"), Service("e", "e")),
        resources=(Resource("database:db", "db", "database"), Resource("topic:t", "t", "topic")),
        dependencies=(
            dep("a", "b"), dep("b", "a"), dep("c", "d"), dep("d", "e"), dep("e", "c"),
            dep("a", "c", "declared"),
            dep("a", "database:db", "datastore"), dep("c", "database:db", "datastore"),
            dep("e", "topic:t", "async", role="produce"), dep("a", "topic:t", "async", role="consume"),
            dep("e", "a", "async", via="t"),
        ),
    )


def by_id(metrics: tuple[ServiceMetrics, ...]) -> dict[str, ServiceMetrics]:
    return {m.id: m for m in metrics}


def test_service_metrics_exact_values() -> None:
    inv = small_system()
    m = by_id(service_metrics(inv))
    assert list(m) == ["a", "b", "c", "d", "e"]
    rows = {k: (v.fan_in, v.fan_out, v.ais, v.ads, v.acs, v.instability, v.siy, v.cycle) for k, v in m.items()}
    assert rows == {
        "a": (2, 4, 2, 2, 4, 0.666667, 1, 1),
        "b": (1, 1, 1, 1, 1, 0.5, 1, 1),
        "c": (2, 2, 2, 1, 2, 0.5, 0, 0),
        "d": (1, 1, 1, 1, 1, 0.5, 0, 0),
        "e": (1, 3, 1, 2, 2, 0.75, 0, 0),
    }
    assert m["a"].datastores == ("database:db",)
    assert m["c"].datastores == ("database:db",)
    assert m["b"].datastores == ()
    assert sum(v.pagerank for v in m.values()) == pytest.approx(1.0, abs=1e-5)


def test_hub_flag_and_cluster_are_filled_in() -> None:
    inv = small_system()
    m = by_id(service_metrics(inv, hubs=("c",), clusters={"a": "C1", "b": "C1"}))
    assert [(k, v.hub, v.cluster) for k, v in m.items()] == [
        ("a", False, "C1"), ("b", False, "C1"), ("c", True, None), ("d", False, None), ("e", False, None)]


def test_isolated_service_has_zero_metrics() -> None:
    inv = Inventory(services=(Service("solo", "solo"),))
    (m,) = service_metrics(inv)
    assert (m.fan_in, m.fan_out, m.acs, m.instability, m.siy, m.cycle, m.pagerank) == (0, 0, 0, 0.0, 0, None, 1.0)


def test_pagerank_is_highest_for_the_most_depended_upon_service() -> None:
    callers = [f"s{i}" for i in range(4)]
    inv = Inventory(services=tuple(Service(n, n) for n in [*callers, "core", "leaf"]),
                    dependencies=(*(dep(c, "core") for c in callers), dep("s0", "leaf")))
    m = by_id(service_metrics(inv))
    assert max(m.values(), key=lambda v: v.pagerank).id == "core"
    assert m["core"].pagerank > m["leaf"].pagerank > m["s1"].pagerank
    assert m["s1"].pagerank == m["s2"].pagerank


def test_pagerank_of_a_mutual_pair_is_even() -> None:
    inv = Inventory(services=(Service("a", "a"), Service("b", "b")), dependencies=(dep("a", "b"), dep("b", "a")))
    assert [v.pagerank for v in service_metrics(inv)] == [0.5, 0.5]


def test_sync_cycles_ignore_other_kinds_and_are_ordered() -> None:
    assert sync_cycles(small_system()) == (("c", "d", "e"), ("a", "b"))


def test_system_metrics_exact_values() -> None:
    inv = small_system()
    _, info = build_coupling_graph(inv, Config())
    s = system_metrics(inv, hubs=("c",), coupling=info)
    assert (s.services, s.resources) == (5, 2)
    assert dict(s.dependencies) == {"sync": 5, "async": 3, "datastore": 2, "declared": 1}
    assert s.cycles == (("c", "d", "e"), ("a", "b"))
    assert s.mutual_pairs == (("a", "b"),)
    assert s.hubs == ("c",)
    assert dict(s.shared_datastores) == {"database:db": ("a", "c")}
    assert s.infrastructure == ()
    assert s.cross_team_edges == 1  # a (t1) -> c (t2); d and e have no owner
    assert s.modularity is None


def test_system_metrics_reports_infrastructure() -> None:
    users = [f"s{i:02d}" for i in range(13)]  # more than infrastructure.max_datastore_users (12)
    inv = Inventory(services=tuple(Service(u, u) for u in users), resources=(Resource("cache:r", "r", "cache"),),
                    dependencies=tuple(dep(u, "cache:r", "datastore") for u in users))
    _, info = build_coupling_graph(inv, Config())
    s = system_metrics(inv, coupling=info)
    assert s.infrastructure == ("cache:r",)
    assert dict(s.shared_datastores) == {}


def two_triangles() -> nx.Graph:
    G = nx.Graph()
    G.add_weighted_edges_from([("a", "b", 1), ("b", "c", 1), ("a", "c", 1), ("x", "y", 1), ("y", "z", 1),
                               ("x", "z", 1), ("c", "x", 1)])
    return G


def test_modularity_of_the_final_partition() -> None:
    inv = Inventory(services=tuple(Service(n, n) for n in "abcxyz"))
    both = system_metrics(inv, coupling_graph=two_triangles(), clusters=[("a", "b", "c"), ("x", "y", "z")])
    assert both.modularity == 0.357143  # 2 * (3/7 - (7/14)^2)
    one = system_metrics(inv, coupling_graph=two_triangles(), clusters=[("a", "b", "c")])
    assert one.modularity == 0.091837  # the others as singletons


def test_find_hubs_counts_distinct_sync_or_declared_callers() -> None:
    callers = [f"s{i}" for i in range(5)]
    services = tuple(Service(n, n) for n in [*callers, "auth"])
    five = Inventory(services=services, dependencies=tuple(dep(c, "auth") for c in callers))
    assert find_hubs(five, Config()) == ("auth",)
    mixed = Inventory(services=services, dependencies=(
        *(dep(c, "auth") for c in callers[:4]), dep("s4", "auth", "declared"), dep("s0", "auth", "declared")))
    assert find_hubs(mixed, Config()) == ("auth",)
    via_topic = Inventory(services=services, dependencies=(
        *(dep(c, "auth") for c in callers[:4]), dep("s4", "auth", "async", via="t")))
    assert find_hubs(via_topic, Config()) == ()


def test_find_hubs_needs_a_share_of_all_services() -> None:
    others = tuple(Service(f"x{i:02d}", f"x{i:02d}") for i in range(53))
    callers = [f"s{i}" for i in range(6)]
    services = (*others, *(Service(c, c) for c in callers), Service("auth", "auth"))  # 60 services
    five = Inventory(services=services, dependencies=tuple(dep(c, "auth") for c in callers[:5]))
    assert find_hubs(five, Config()) == ()  # 5 < 10% of 60
    six = Inventory(services=services, dependencies=tuple(dep(c, "auth") for c in callers))
    assert find_hubs(six, Config()) == ("auth",)
    assert find_hubs(six, replace(Config(), hubs=Hubs(min_callers=7))) == ()


def test_pagerank_keeps_six_significant_digits_in_large_inventories() -> None:
    inv = Inventory(services=tuple(Service(f"s{i:04d}", f"s{i:04d}") for i in range(3000)))
    assert {m.pagerank for m in service_metrics(inv)} == {0.000333333}


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("self_loop", [False, True])
def test_modularity_from_the_rows_is_networkxs_on_the_graph(seed: int, self_loop: bool) -> None:
    from planted import random_coupling

    from advisor.clustering import partition_of
    from advisor.metrics import coupling_modularity

    info, clusters = random_coupling(seed, self_loop)
    G = info.graph()
    expected = nx.community.modularity(G, partition_of(G, clusters), weight="weight")
    assert coupling_modularity(info, clusters) == pytest.approx(expected, abs=1e-12)
    inv = Inventory(services=tuple(Service(n, n) for n in info.nodes))
    from_rows = system_metrics(inv, coupling=info, clusters=clusters)
    from_graph = system_metrics(inv, coupling=info, coupling_graph=G, clusters=clusters)
    assert from_rows.modularity == from_graph.modularity == round(expected, 6)


def test_an_unweighted_coupling_has_no_modularity() -> None:
    from advisor.graph import CouplingInfo
    from advisor.metrics import coupling_modularity

    assert coupling_modularity(CouplingInfo(nodes=("a", "b")), [("a", "b")]) is None


def test_modularity_from_rows_that_name_nodes_beyond_the_services_is_networkxs_too() -> None:
    from advisor.clustering import partition_of
    from advisor.graph import CouplingInfo
    from advisor.metrics import coupling_modularity

    info = CouplingInfo(nodes=("a", "b"), rows=(("a", "b", {"weight": 1.0}), ("a", "z", {"weight": 2.0}),
                                                ("b", "c", {"weight": 0.5})))
    G = info.graph()
    expected = nx.community.modularity(G, partition_of(G, [("a", "b")]), weight="weight")
    assert coupling_modularity(info, [("a", "b")]) == pytest.approx(expected, abs=1e-12)
