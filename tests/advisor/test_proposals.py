"""From clusters to proposals: candidate groups, never-merge, ids, ranking, the score."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from advisor.analysis import analyze_inventory
from advisor.config import Config, Proposals
from advisor.metrics import system_metrics
from advisor.model import SystemMetrics
from advisor.proposals import candidate_groups, evaluate_group, proposal_id, propose_merges, strong_pairs
from advisor.rules import Indexes
from inventory.model import Dependency, Evidence, Inventory, Resource, Service


def _ev(what: str) -> tuple[Evidence, ...]:
    return (Evidence("native", f"inv.yaml:{abs(hash(what)) % 1000}", what),)


def _svc(name: str, owner: str | None = "team-a", **kw: object) -> Service:
    return Service(name, name, owner=owner, evidence=(Evidence("native", f"inv.yaml#{name}", f"service {name}"),),
                   **kw)  # type: ignore[arg-type]


def _dep(source: str, target: str, kind: str = "sync", **kw: object) -> Dependency:
    ev = (Evidence("native", f"inv.yaml#{source}->{target}", f"dependency {source} -> {target}"),)
    return Dependency(source, target, kind, ev, **kw)  # type: ignore[arg-type]


def _mutual(a: str, b: str) -> list[Dependency]:
    return [_dep(a, b), _dep(b, a)]


def _inventory(services: Iterable[Service], deps: Iterable[Dependency],
               resources: Iterable[Resource] = ()) -> Inventory:
    return Inventory(services=tuple(sorted(services, key=lambda s: s.id)), resources=tuple(resources),
                     dependencies=tuple(sorted(deps, key=lambda d: (d.source, d.target, d.kind))))


def _index(inv: Inventory, config: Config | None = None, hubs: Iterable[str] = ()) -> Indexes:
    return Indexes(inv, config or Config(), {}, frozenset(hubs))


def _system(inv: Inventory) -> SystemMetrics:
    return system_metrics(inv, hubs=())


# --------------------------------------------------------------------------------------------
# Candidate groups
# --------------------------------------------------------------------------------------------


def test_candidate_groups_keep_only_strongly_joined_members() -> None:
    # a and b call each other; c is only called by a (one-way) and shares their team
    inv = _inventory([_svc("a"), _svc("b"), _svc("c")], [*_mutual("a", "b"), _dep("a", "c")])
    index = _index(inv)
    assert strong_pairs(["a", "b", "c"], index) == {("a", "b"): {"mutual-calls"}}
    assert candidate_groups(["c", "b", "a"], index) == [("a", "b")]


def test_candidate_groups_exclude_hubs() -> None:
    inv = _inventory([_svc("a"), _svc("b"), _svc("auth")], [*_mutual("a", "b"), *_mutual("a", "auth")])
    assert candidate_groups(["a", "auth", "b"], _index(inv)) == [("a", "auth", "b")]
    assert candidate_groups(["a", "auth", "b"], _index(inv, hubs=["auth"])) == [("a", "b")]
    # a hub that was the only link leaves nothing to propose
    inv2 = _inventory([_svc("a"), _svc("b"), _svc("auth")], [*_mutual("a", "auth"), *_mutual("b", "auth")])
    assert candidate_groups(["a", "auth", "b"], _index(inv2, hubs=["auth"])) == []


def test_candidate_groups_exclude_keep_separate_case_insensitively() -> None:
    inv = _inventory([_svc("a"), _svc("b"), _svc("c")], [*_mutual("a", "b"), *_mutual("b", "c")])
    assert candidate_groups(["a", "b", "c"], _index(inv)) == [("a", "b", "c")]
    assert candidate_groups(["a", "b", "c"], _index(inv, Config(keep_separate=("C",)))) == [("a", "b")]
    # removing the member in the middle leaves two singletons: nothing
    assert candidate_groups(["a", "b", "c"], _index(inv, Config(keep_separate=("b",)))) == []


def test_never_merge_keeps_the_best_tied_member() -> None:
    # chain a-b-c-d: c has two strong ties, a one; never merge a with c -> a leaves
    inv = _inventory([_svc(n) for n in "abcd"], [*_mutual("a", "b"), *_mutual("b", "c"), *_mutual("c", "d")])
    config = Config(never_merge=(("A", "c"),))
    assert candidate_groups(list("abcd"), _index(inv, config)) == [("b", "c", "d")]


def test_never_merge_splits_a_group() -> None:
    # chain a-b-c-d-e-f; c and d must never be together: both have two ties, d (the later name) stays,
    # c leaves and the chain falls apart into a-b and d-e-f
    inv = _inventory([_svc(n) for n in "abcdef"],
                     [*_mutual("a", "b"), *_mutual("b", "c"), *_mutual("c", "d"), *_mutual("d", "e"),
                      *_mutual("e", "f")])
    assert candidate_groups(list("abcdef"), _index(inv)) == [tuple("abcdef")]
    config = Config(never_merge=(("c", "d"),))
    groups = candidate_groups(list("abcdef"), _index(inv, config))
    assert groups == [("a", "b"), ("d", "e", "f")]
    assert not any({"c", "d"} <= set(g) for g in groups)


def test_never_merge_with_only_one_present_member_changes_nothing() -> None:
    inv = _inventory([_svc("a"), _svc("b")], _mutual("a", "b"))
    config = Config(never_merge=(("a", "somewhere-else"),))
    assert candidate_groups(["a", "b"], _index(inv, config)) == [("a", "b")]


# --------------------------------------------------------------------------------------------
# Ids
# --------------------------------------------------------------------------------------------


def test_proposal_ids_are_derived_from_the_members() -> None:
    pid = proposal_id(["orders", "order-history"])
    assert pid == proposal_id(["order-history", "orders"])
    assert pid == proposal_id(("orders", "order-history"))
    assert pid == "P-" + hashlib.sha256(b"order-history\norders").hexdigest()[:8]
    assert pid != proposal_id(["orders", "payments"])
    assert pid != proposal_id(["orders", "order-history", "payments"])
    assert proposal_id(["ab", "c"]) != proposal_id(["a", "bc"])


def test_proposal_ids_are_stable_across_runs_and_input_order() -> None:
    services = [_svc("a"), _svc("b"), _svc("c"), _svc("d")]
    deps = [*_mutual("a", "b"), *_mutual("c", "d")]
    first = analyze_inventory(_inventory(services, deps), Config())
    again = analyze_inventory(_inventory(reversed(services), reversed(deps)), Config())
    assert [p.id for p in first.proposals] == [p.id for p in again.proposals]
    assert {p.id for p in first.proposals} == {proposal_id(["a", "b"]), proposal_id(["c", "d"])}


def test_evaluate_group_normalises_the_members() -> None:
    inv = _inventory([_svc("a"), _svc("b")], _mutual("a", "b"))
    p = evaluate_group(["b", "a", "b"], _index(inv), _system(inv))
    assert p.members == ("a", "b")
    assert p.id == proposal_id(["a", "b"])
    assert p.title == "Merge a and b"


# --------------------------------------------------------------------------------------------
# The score and ranking
# --------------------------------------------------------------------------------------------


def test_score_arithmetic_exact() -> None:
    db = Resource("database:shared-db", "shared-db", "database")
    inv = _inventory(
        [_svc("a"), _svc("b")],
        [*_mutual("a", "b"), _dep("a", db.id, "datastore"), _dep("b", db.id, "datastore")],
        [db],
    )
    p = evaluate_group(["a", "b"], _index(inv), _system(inv))
    points = {s.name: s.points for s in p.signals}
    # shared datastore 3, mutual calls 2, same owner 1, two sync calls at 0.5 each
    assert points == {"shared-datastore": 3.0, "mutual-calls": 2.0, "same-owner": 1.0, "sync-calls": 1.0}
    assert p.counter_signals == ()
    assert p.score == 0.7  # 7 / (7 + 3)


def test_score_with_counter_signals() -> None:
    db = Resource("database:shared-db", "shared-db", "database")
    inv = _inventory(
        [_svc("a", runtime="java"), _svc("b", runtime="go")],
        [*_mutual("a", "b"), _dep("a", db.id, "datastore"), _dep("b", db.id, "datastore")],
        [db],
    )
    p = evaluate_group(["a", "b"], _index(inv), _system(inv))
    assert [(s.name, s.points) for s in p.counter_signals] == [("different-runtime", 1.0)]
    assert p.score == 0.6667  # (7 - 1) / (6 + 3), rounded to 4 places


def test_score_is_zero_when_the_reasons_against_win() -> None:
    inv = _inventory([_svc("a", owner="team-a"), _svc("b", owner="team-b")], _mutual("a", "b"))
    p = evaluate_group(["a", "b"], _index(inv), _system(inv))
    assert sum(s.points for s in p.signals) == 3.0  # mutual calls 2, two sync calls 1
    assert sum(s.points for s in p.counter_signals) == 4.0  # cross-team
    assert p.score == 0.0


def test_a_cross_team_pair_with_only_mutual_calls_is_not_proposed() -> None:
    inv = _inventory([_svc("a", owner="team-a"), _svc("b", owner="team-b")], _mutual("a", "b"))
    report = analyze_inventory(inv, Config())
    assert [c.members for c in report.clusters] == [("a", "b")]  # the clustering does put them together
    assert report.proposals == ()
    # not even when every score is accepted: the reasons against outweigh the reasons for
    report = analyze_inventory(inv, Config(proposals=Proposals(min_score=0.0)))
    assert report.proposals == ()


def test_the_same_pair_within_one_team_is_proposed() -> None:
    inv = _inventory([_svc("a"), _svc("b")], _mutual("a", "b"))
    report = analyze_inventory(inv, Config())
    assert [(p.members, p.score) for p in report.proposals] == [(("a", "b"), round(4 / 7, 4))]


def test_min_score_filters() -> None:
    inv = _inventory([_svc("a"), _svc("b")], _mutual("a", "b"))
    index = _index(inv, Config(proposals=Proposals(min_score=0.58)))
    assert propose_merges([("C1", ("a", "b"))], index, _system(inv)) == []
    index = _index(inv, Config(proposals=Proposals(min_score=0.57)))
    assert [p.members for p in propose_merges([("C1", ("a", "b"))], index, _system(inv))] == [("a", "b")]


def test_proposals_are_ranked_by_score() -> None:
    db = Resource("database:cd-db", "cd-db", "database")
    inv = _inventory(
        [_svc(n) for n in ("a", "b", "c", "d", "e", "f")],
        [*_mutual("a", "b"),  # 2 + 1 + 1 = 4 -> 0.5714
         *_mutual("c", "d"), _dep("c", db.id, "datastore"), _dep("d", db.id, "datastore"),  # 7 -> 0.7
         *_mutual("e", "f")],  # same as a-b: ties are ordered by members
        [db],
    )
    index = _index(inv)
    proposals = propose_merges([("C1", ("a", "b")), ("C2", ("e", "f")), ("C3", ("c", "d"))], index, _system(inv))
    assert [(p.rank, p.members, p.score, p.cluster) for p in proposals] == [
        (1, ("c", "d"), 0.7, "C3"),
        (2, ("a", "b"), 0.5714, "C1"),
        (3, ("e", "f"), 0.5714, "C2"),
    ]
    # through the whole analysis too
    report = analyze_inventory(inv, Config())
    assert [(p.rank, p.members) for p in report.proposals] == [(1, ("c", "d")), (2, ("a", "b")), (3, ("e", "f"))]
    assert [p.score for p in report.proposals] == sorted((p.score for p in report.proposals), reverse=True)


def test_a_cluster_can_give_several_proposals() -> None:
    # a one-way call b -> c does not join the two pairs (c keeps a datastore, so it is no pass-through)
    db = Resource("database:c-db", "c-db", "database")
    inv = _inventory([_svc(n) for n in "abcd"],
                     [*_mutual("a", "b"), *_mutual("c", "d"), _dep("b", "c"), _dep("c", db.id, "datastore")], [db])
    proposals = propose_merges([("C1", tuple("abcd"))], _index(inv), _system(inv))
    assert [(p.members, p.cluster, p.score) for p in proposals] == [
        (("a", "b"), "C1", round(4 / 7, 4)), (("c", "d"), "C1", round(4 / 7, 4))]


def test_every_proposal_has_a_strong_signal_and_evidence() -> None:
    db = Resource("database:cd-db", "cd-db", "database")
    inv = _inventory(
        [_svc(n) for n in "abcd"],
        [*_mutual("a", "b"), _dep("c", db.id, "datastore"), _dep("d", db.id, "datastore"), _dep("b", "c")],
        [db],
    )
    report = analyze_inventory(inv, Config())
    assert report.proposals
    strong = {"shared-datastore", "sync-cycle", "mutual-calls", "chatty-pair", "single-consumer-topic",
              "pass-through", "nano-service"}
    for p in report.proposals:
        assert strong & {s.name for s in p.signals}
        for s in (*p.signals, *p.counter_signals):
            assert s.evidence, s.name
