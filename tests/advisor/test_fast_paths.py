"""The shortcuts the analysis takes for speed give what the plain computations give."""

from __future__ import annotations

import random

import networkx as nx

from advisor.config import Config
from advisor.graph import build_coupling_graph
from advisor.proposals import _adjacency, _components, system_candidates
from advisor.rules import GroupContext, Indexes
from advisor.rules.base import limited_evidence
from advisor.rules.chatty_pair import chatty
from inventory.model import Dependency, Evidence, Inventory, Service


def test_components_match_networkx() -> None:
    rnd = random.Random(3)
    for _ in range(100):
        edges = [(f"n{rnd.randrange(25)}", f"n{rnd.randrange(25)}") for _ in range(rnd.randint(0, 30))]
        adj = _adjacency(edges)
        G = nx.Graph(edges)
        assert sorted(map(sorted, _components(adj))) == sorted(map(sorted, nx.connected_components(G)))
        within = {n for n in adj if rnd.random() < 0.6}
        expected = nx.connected_components(G.subgraph(within))
        assert sorted(map(sorted, _components(adj, within))) == sorted(map(sorted, expected))


def test_limited_evidence_is_the_natural_order() -> None:
    rnd = random.Random(1)
    items = {Evidence(rnd.choice(["kubernetes", "native"]), f"f{rnd.randrange(3)}.yaml:{rnd.randrange(20)}",
                      f"d{rnd.randrange(4)}") for _ in range(60)}
    items |= {Evidence("native", "http://x/y", "z"), Evidence("native", "f.yaml#doc", "a")}
    assert limited_evidence(items, limit=1000) == tuple(sorted(items))
    assert limited_evidence(items) == tuple(sorted(items))[:12]


def _observed(source: str, target: str, calls: float) -> Dependency:
    return Dependency(source, target, "sync", (Evidence("kiali", f"mesh:{source}-{target}", "calls"),),
                      weight=calls)


def test_chatty_reads_the_traffic_of_the_pair_only() -> None:
    services = tuple(Service(n, n, owner="t") for n in "abcx")
    deps = (_observed("a", "b", 400.0), _observed("b", "a", 100.0), _observed("x", "a", 300.0),
            _observed("a", "c", 50.0), _observed("c", "x", 5000.0))
    inv = Inventory(services=services, dependencies=deps)
    index = Indexes(inv, Config(), {}, frozenset())
    ctx = GroupContext(("a", "b", "c"), index)
    # a: 400 + 100 + 300 + 50 = 850 observed calls, b: 500; the pair exchanges 500 = 100% of b's
    assert [(key, n, share) for key, n, share, _ in chatty(ctx)] == [(("a", "b"), 500.0, 1.0)]


def test_candidate_groups_keep_never_merge_apart() -> None:
    services = tuple(Service(n, n, owner="t") for n in "abcd")
    deps = tuple(Dependency(s, t, "sync", (Evidence("native", f"i.yaml#{s}{t}", "call"),))
                 for s, t in ("ab", "ba", "bc", "cb", "cd", "dc"))
    inv = Inventory(services=services, dependencies=deps)
    config = Config(never_merge=(("a", "c"),))
    G, _ = build_coupling_graph(inv, config)
    index = Indexes(inv, config, {}, frozenset())
    # b is tied to both a and c; c (two ties) stays, a goes and the chain b-c-d is what is left
    assert system_candidates([("C1", tuple("abcd"))], index) == [(("b", "c", "d"), "C1")]
    assert sorted(G.edges) == [("a", "b"), ("b", "c"), ("c", "d")]
