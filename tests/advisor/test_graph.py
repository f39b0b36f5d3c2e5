"""The dependency graph and the coupling graph: exact weights and reasons for small inventories."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.config import Config, Infrastructure
from advisor.graph import (
    CouplingInfo,
    build_coupling_graph,
    build_dependency_graph,
    coupling_edges,
    coupling_edges_of,
    longest_chain,
    service_dependency_graph,
    strong_components,
    strongly_connected_groups,
)
from advisor.model import CouplingEdge
from inventory.model import Dependency, Evidence, Inventory, Resource, Service

STATIC = (Evidence("kubernetes", "k8s.yaml:10", "env"),)
TRACED = (Evidence("jaeger", "trace:abc", "spans"),)


def svc(sid: str, owner: str | None = None, aliases: tuple[str, ...] = ()) -> Service:
    return Service(sid, sid, owner=owner, aliases=aliases)


def dep(source: str, target: str, kind: str = "sync", *, via: str | None = None, role: str | None = None,
        weight: float = 1.0, evidence: tuple[Evidence, ...] = STATIC) -> Dependency:
    return Dependency(source, target, kind, evidence, via=via, role=role, weight=weight)  # type: ignore[arg-type]


def inventory(services: Sequence[Service], deps: Sequence[Dependency], resources: Sequence[Resource] = ()) -> Inventory:
    return Inventory(services=tuple(services), resources=tuple(resources), dependencies=tuple(deps))


def coupling(inv: Inventory, config: Config | None = None, **kw: Any) -> tuple[nx.Graph, CouplingInfo]:
    return build_coupling_graph(inv, config or Config(), **kw)


# ---------------------------------------------------------------------------- dependency graph

def test_dependency_graph_has_typed_nodes_and_one_edge_per_dependency() -> None:
    inv = inventory(
        [svc("orders", owner="t1"), svc("billing")],
        [dep("orders", "billing", "sync"), dep("orders", "billing", "async", via="invoices"),
         dep("orders", "database:db", "datastore", via="orders"), dep("orders", "ghost", "sync")],
        [Resource("database:db", "db", "database")],
    )
    D = build_dependency_graph(inv)
    assert isinstance(D, nx.MultiDiGraph)
    assert D.nodes["orders"] == {"type": "service", "name": "orders", "owner": "t1"}
    assert D.nodes["billing"] == {"type": "service", "name": "billing"}
    assert D.nodes["database:db"]["type"] == "database"
    assert D.nodes["ghost"]["type"] == "unknown"
    assert D.number_of_edges("orders", "billing") == 2
    edge = D.edges["orders", "billing", ("async", "invoices")]
    assert (edge["kind"], edge["via"], edge["weight"], edge["evidence"]) == ("async", "invoices", 1.0, STATIC)
    assert edge["dependency"] == inv.dependencies[1]


def test_service_dependency_graph_aggregates_pairs_and_filters_kinds() -> None:
    inv = inventory([svc("a"), svc("b"), svc("c")],
                    [dep("a", "b", "sync", weight=5, evidence=TRACED), dep("a", "b", "declared"),
                     dep("b", "c", "async", via="t"), dep("c", "c", "sync")])
    D = build_dependency_graph(inv)
    S = service_dependency_graph(D)
    assert sorted(S.nodes) == ["a", "b", "c"]
    assert dict(S.edges[("a", "b")]) == {"kinds": ("declared", "sync"), "weight": 6.0}
    assert not S.has_edge("c", "c")
    assert sorted(service_dependency_graph(D, kinds=("sync",)).edges) == [("a", "b")]


def test_strongly_connected_groups_are_sorted_largest_first() -> None:
    G = nx.DiGraph([("b", "a"), ("a", "b"), ("p", "q"), ("q", "r"), ("r", "p"), ("x", "y")])
    assert strongly_connected_groups(G) == (("p", "q", "r"), ("a", "b"))


# ---------------------------------------------------------------------------- coupling graph

def test_mutual_pair_with_shared_database_in_one_team() -> None:
    inv = inventory(
        [svc("a", "t1"), svc("b", "t1"), svc("lonely")],
        [dep("a", "b"), dep("b", "a"), dep("a", "database:db", "datastore"), dep("b", "database:db", "datastore")],
        [Resource("database:db", "db", "database")],
    )
    G, info = coupling(inv)
    assert sorted(G.nodes) == ["a", "b", "lonely"]
    assert G.edges["a", "b"]["weight"] == 8.75  # (sync 1 + sync 1 + mutual 2 + shared datastore 3) * 1.25
    assert G.edges["a", "b"]["reasons"] == ("sync calls a->b", "sync calls b->a", "mutual calls",
                                            "shared datastore database:db", "same team t1 (x1.25)")
    assert dict(info.shared_datastores) == {"database:db": ("a", "b")}
    assert dict(info.infrastructure) == {}


def test_call_volume_adds_on_a_log_scale_only_for_observed_calls() -> None:
    inv = inventory(
        [svc(n) for n in "abcdef"],
        [dep("a", "b", weight=1000, evidence=TRACED), dep("c", "d", weight=10, evidence=TRACED),
         dep("e", "f", weight=1.0)],
    )
    G, _ = coupling(inv)
    assert G.edges["a", "b"]["weight"] == 2.0
    assert G.edges["c", "d"]["weight"] == round(1 + math.log1p(10) / math.log1p(1000), 6)
    assert G.edges["e", "f"]["weight"] == 1.0
    assert G.edges["a", "b"]["reasons"] == ("sync calls a->b (1,000 calls)",)
    assert G.edges["e", "f"]["reasons"] == ("sync calls e->f",)


def test_sync_cycle_of_three_adds_cycle_weight_but_a_mutual_pair_does_not() -> None:
    inv = inventory([svc(n) for n in "abcxy"],
                    [dep("a", "b"), dep("b", "c"), dep("c", "a"), dep("x", "y"), dep("y", "x")])
    G, _ = coupling(inv)
    assert G.edges["a", "b"]["weight"] == 2.0
    assert G.edges["a", "b"]["reasons"] == ("sync calls a->b", "sync cycle")
    assert G.edges["a", "c"]["reasons"] == ("sync calls c->a", "sync cycle")
    assert G.edges["x", "y"]["weight"] == 4.0
    assert "sync cycle" not in G.edges["x", "y"]["reasons"]


def test_datastore_shared_by_thirteen_services_is_infrastructure() -> None:
    users = [f"s{i:02d}" for i in range(13)]
    inv = inventory([svc(u) for u in users], [dep(u, "cache:redis", "datastore") for u in users],
                    [Resource("cache:redis", "redis", "cache")])
    G, info = coupling(inv)
    assert G.number_of_edges() == 0
    assert dict(info.infrastructure) == {"cache:redis": "used by 13 services (more than 12)"}
    assert dict(info.shared_datastores) == {}


def test_datastore_of_four_teams_is_infrastructure_and_three_teams_is_not() -> None:
    resources = [Resource("database:pg", "pg", "database")]
    four = inventory([svc(f"s{i}", f"team{i}") for i in range(4)],
                     [dep(f"s{i}", "database:pg", "datastore") for i in range(4)], resources)
    G, info = coupling(four)
    assert G.number_of_edges() == 0
    assert dict(info.infrastructure) == {"database:pg": "used by services of 4 teams (more than 3)"}
    three = inventory([svc(f"s{i}", f"team{i}") for i in range(3)],
                      [dep(f"s{i}", "database:pg", "datastore") for i in range(3)], resources)
    G, info = coupling(three)
    assert G.edges["s0", "s1"]["weight"] == 1.5  # shared datastore 3 * cross-team 0.5
    assert dict(info.shared_datastores) == {"database:pg": ("s0", "s1", "s2")}


def test_schemas_separate_users_and_unknown_schema_shares_with_all() -> None:
    inv = inventory(
        [svc(n) for n in "abcd"],
        [dep("a", "database:pg", "datastore", via="orders"), dep("b", "database:pg", "datastore", via="orders"),
         dep("c", "database:pg", "datastore", via="payments"), dep("d", "database:pg", "datastore")],
        [Resource("database:pg", "pg", "database")],
    )
    G, info = coupling(inv)
    assert sorted(G.edges) == [("a", "b"), ("a", "d"), ("b", "d"), ("c", "d")]
    assert G.edges["a", "b"]["reasons"] == ("shared datastore database:pg (orders schema)",)
    assert G.edges["c", "d"]["reasons"] == ("shared datastore database:pg",)
    assert G.edges["a", "d"]["weight"] == 3.0
    assert dict(info.shared_datastores) == {"database:pg": ("a", "b", "c", "d")}


def test_topic_pairs_divide_by_consumers_and_a_bare_broker_is_no_coupling() -> None:
    inv = inventory(
        [svc(n) for n in ("p", "c1", "c2", "lone")],
        [dep("p", "topic:orders", "async", role="produce"), dep("c1", "topic:orders", "async", role="consume"),
         dep("c2", "topic:orders", "async", role="consume"), dep("p", "c1", "async", via="orders"),
         dep("p", "c2", "async", via="orders"), dep("lone", "broker:kafka", "async"),
         dep("p", "broker:kafka", "async")],
        [Resource("topic:orders", "orders", "topic"), Resource("broker:kafka", "kafka", "broker")],
    )
    G, info = coupling(inv)
    assert sorted(G.edges) == [("c1", "p"), ("c2", "p")]
    assert G.edges["p", "c1"]["weight"] == 0.5
    assert G.edges["p", "c1"]["reasons"] == ("topic topic:orders (2 consumers)",)
    assert dict(info.infrastructure) == {}


def test_topic_with_nine_consumers_is_a_broadcast() -> None:
    consumers = [f"c{i}" for i in range(9)]
    deps = [dep("p", "topic:events", "async", role="produce")]
    deps += [dep(c, "topic:events", "async", role="consume") for c in consumers]
    deps += [dep("p", c, "async", via="events") for c in consumers]
    inv = inventory([svc("p"), *(svc(c) for c in consumers)], deps, [Resource("topic:events", "events", "topic")])
    G, info = coupling(inv)
    assert G.number_of_edges() == 0
    assert dict(info.infrastructure) == {"topic:events": "broadcast: 9 consumers (more than 8)"}


def test_async_edge_without_topic_resource_counts_receivers_of_its_channel() -> None:
    inv = inventory([svc(n) for n in ("p", "c1", "c2", "q", "r")],
                    [dep("p", "c1", "async", via="jobs"), dep("p", "c2", "async", via="jobs"),
                     dep("q", "r", "async")])
    G, _ = coupling(inv)
    assert G.edges["p", "c1"]["weight"] == 0.5
    assert G.edges["p", "c1"]["reasons"] == ("async messages p->c1 via jobs (2 consumers)",)
    assert G.edges["q", "r"]["weight"] == 1.0


def test_declared_only_dependency_is_weak() -> None:
    G, _ = coupling(inventory([svc("a"), svc("b")], [dep("a", "b", "declared")]))
    assert G.edges["a", "b"]["weight"] == 0.3
    assert G.edges["a", "b"]["reasons"] == ("declared dependency a->b",)


def test_cross_team_pair_is_halved() -> None:
    G, _ = coupling(inventory([svc("a", "t1"), svc("b", "t2"), svc("c", "t1"), svc("d")],
                              [dep("a", "b"), dep("a", "d")]))
    assert G.edges["a", "b"]["weight"] == 0.5
    assert G.edges["a", "b"]["reasons"] == ("sync calls a->b", "cross-team t1/t2 (x0.5)")
    assert G.edges["a", "d"]["weight"] == 1.0  # d's owner unknown: no multiplier


def test_config_weights_are_used() -> None:
    config = replace(Config(), weights=replace(Config().weights, sync=2.0, mutual=0.0))
    G, _ = coupling(inventory([svc("a"), svc("b")], [dep("a", "b"), dep("b", "a")]), config)
    assert G.edges["a", "b"]["weight"] == 4.0


def test_extra_pairs_add_coupling() -> None:
    inv = inventory([svc("a", "t"), svc("b", "t"), svc("c")], [])
    G, _ = coupling(inv, extra_pairs={("b", "a"): (2.0, "co-change 80%"), ("a", "zzz"): (9.0, "unknown")})
    assert list(G.edges(data=True)) == [
        ("a", "b", {"weight": 2.5, "reasons": ("co-change 80%", "same team t (x1.25)")}),
    ]


def test_never_merge_keep_separate_and_hubs_leave_the_clustering_graph_only() -> None:
    inv = inventory([svc("a"), svc("b"), svc("c", aliases=("c-legacy",)), svc("d"), svc("auth"), svc("e")],
                    [dep("a", "b"), dep("b", "c"), dep("c", "d"), dep("d", "e"), dep("a", "auth"),
                     dep("e", "auth")])
    config = replace(Config(), never_merge=(("a", "B", "nobody"),), keep_separate=("c-legacy",))
    G, info = coupling(inv, config, hubs=("auth",))
    assert sorted(G.edges) == [("d", "e")]
    assert sorted(info.full.edges) == [("a", "auth"), ("a", "b"), ("auth", "e"), ("b", "c"), ("c", "d"), ("d", "e")]
    assert dict(info.excluded) == {("a", "auth"): "hub auth", ("a", "b"): "never_merge",
                                   ("auth", "e"): "hub auth", ("b", "c"): "keep_separate c",
                                   ("c", "d"): "keep_separate c"}
    assert info.unmatched_names == ("nobody",)
    assert sorted(G.nodes) == sorted(info.full.nodes)
    # the report's coupling list comes from the scored pairs, without building the full graph
    assert coupling_edges_of(info) == coupling_edges(info.full)
    assert [(e.a, e.b) for e in coupling_edges_of(info)] == sorted(
        info.full.edges, key=lambda ab: (-info.full.edges[ab]["weight"], *ab))


def test_coupling_edges_are_heaviest_first() -> None:
    G = nx.Graph()
    G.add_edge("b", "a", weight=1.0, reasons=("x",))
    G.add_edge("c", "d", weight=3.0, reasons=("y",))
    assert coupling_edges(G) == (CouplingEdge("c", "d", 3.0, ("y",)), CouplingEdge("a", "b", 1.0, ("x",)))


def test_infrastructure_thresholds_come_from_config() -> None:
    users = ["a", "b", "c"]
    inv = inventory([svc(u) for u in users], [dep(u, "cache:r", "datastore") for u in users],
                    [Resource("cache:r", "r", "cache")])
    config = replace(Config(), infrastructure=Infrastructure(max_datastore_users=2))
    G, info = coupling(inv, config)
    assert G.number_of_edges() == 0
    assert dict(info.infrastructure) == {"cache:r": "used by 3 services (more than 2)"}


@pytest.mark.parametrize("order", [1, -1])
def test_coupling_graph_does_not_depend_on_dependency_order(order: int) -> None:
    deps = [dep("a", "b"), dep("b", "a"), dep("b", "c"), dep("c", "a"), dep("a", "c", "declared")]
    G, _ = coupling(inventory([svc(n) for n in "abc"], deps[::order]))
    assert list(G.edges(data=True)) == [
        ("a", "b", {"weight": 5.0, "reasons": ("sync calls a->b", "sync calls b->a", "mutual calls", "sync cycle")}),
        ("a", "c", {"weight": 2.3, "reasons": ("sync calls c->a", "sync cycle", "declared dependency a->c")}),
        ("b", "c", {"weight": 2.0, "reasons": ("sync calls b->c", "sync cycle")}),
    ]


# --------------------------------------------------------------------------------------------
# The small-graph helpers agree with networkx
# --------------------------------------------------------------------------------------------

_EDGES = st.lists(st.tuples(st.sampled_from("abcdefgh"), st.sampled_from("abcdefgh")), max_size=24)


@settings(max_examples=300, deadline=None)
@given(_EDGES)
def test_strong_components_are_networkx_ones(edges: list[tuple[str, str]]) -> None:
    g = nx.DiGraph(edges)
    expected = sorted(sorted(c) for c in nx.strongly_connected_components(g))
    assert sorted(sorted(c) for c in strong_components(edges)) == expected


@settings(max_examples=300, deadline=None)
@given(_EDGES)
def test_longest_chain_is_networkx_dag_longest_path(edges: list[tuple[str, str]]) -> None:
    g = nx.DiGraph(edges)
    expected = nx.dag_longest_path_length(g) if nx.is_directed_acyclic_graph(g) else None
    assert longest_chain(edges) == expected


def test_service_dependency_graph_from_the_inventory_is_the_one_from_the_typed_graph() -> None:
    from pathlib import Path

    from inventory.reading import read_paths

    inventory = read_paths([Path(__file__).resolve().parents[2] / "examples" / "inventory"])
    direct, typed = service_dependency_graph(inventory), service_dependency_graph(build_dependency_graph(inventory))
    assert list(direct.nodes) == list(typed.nodes) and direct.number_of_edges() > 20
    assert list(direct.edges(data=True)) == list(typed.edges(data=True))
