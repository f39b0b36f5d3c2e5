"""What-if arithmetic: exact figures and the assumptions printed next to them."""

from __future__ import annotations

from dataclasses import replace

from advisor.analysis import analyze_inventory, what_if
from advisor.config import Config, Proposals
from advisor.model import Impact, Report
from inventory.model import Dependency, Evidence, Inventory, Resource, Service

MiB = 1024 * 1024


def _ev(what: str) -> tuple[Evidence, ...]:
    return (Evidence("native", f"inv.yaml#{what}", what),)


def _dep(source: str, target: str, kind: str = "sync", **kw: object) -> Dependency:
    return Dependency(source, target, kind, _ev(f"{source}->{target} {kind}"), **kw)  # type: ignore[arg-type]


def _inventory() -> Inventory:
    """Seven services. a, b and c call each other in a synchronous cycle; e and f form another cycle;
    g only reads the topic."""
    services = (
        Service("a", "a", owner="team-1", repo="git/shop", replicas=2, cpu_request=0.25, memory_request=256 * MiB,
                workloads=("Deployment/a",), evidence=_ev("a")),
        Service("b", "b", owner="team-2", repo="git/shop", replicas=3, cpu_request=0.5, memory_request=512 * MiB,
                workloads=("Deployment/b", "CronJob/b-cleanup"), evidence=_ev("b")),
        Service("c", "c", owner="team-1", evidence=_ev("c")),  # nothing known: no workload, repo, replicas, requests
        Service("d", "d", owner="team-1", replicas=4, cpu_request=1.0, memory_request=1024 * MiB, evidence=_ev("d")),
        Service("e", "e", evidence=_ev("e")),
        Service("f", "f", evidence=_ev("f")),
        Service("g", "g", evidence=_ev("g")),
    )
    topic = Resource("topic:events", "events", "topic")
    deps = [
        _dep("a", "b"), _dep("b", "a"),            # mutual, cross-team (team-1 / team-2)
        _dep("b", "c"), _dep("c", "a"),            # closes the cycle a -> b -> c -> a; b -> c is cross-team
        _dep("b", "c", "async", via="events"),     # async between members, cross-team
        _dep("a", "c", "declared"),                # declared only: never counted as an in-process call
        _dep("c", "d"),                            # leaves the group
        _dep("a", topic.id, "async", role="produce"),
        _dep("g", topic.id, "async", role="consume"),
        _dep("e", "f"), _dep("f", "e"),
    ]
    return Inventory(services=services, resources=(topic,),
                     dependencies=tuple(sorted(deps, key=lambda d: (d.source, d.target, d.kind))))


def _report(config: Config | None = None) -> Report:
    return analyze_inventory(_inventory(), config or Config())


def _impact(members: list[str], config: Config | None = None) -> Impact:
    config = config or Config()
    return what_if(_report(config), members, config).impact


def test_the_system_before() -> None:
    report = _report()
    assert report.system_metrics.services == 7
    assert sorted(report.system_metrics.cycles) == [("a", "b", "c"), ("e", "f")]


def test_what_if_counts_exactly() -> None:
    i = _impact(["c", "a", "b"])
    assert (i.services_before, i.services_after) == (7, 5)
    # a: 1 workload, b: 2, c: none read -> counted as 1; 4 become 1
    assert i.deployments_fewer == 3
    # a and b share git/shop; c has no repository read -> assumed its own: 2 repositories become 1
    assert i.repositories_fewer == 1
    # a->b, b->a, b->c, c->a (sync) and b->c (async); the declared a->c is not a call
    assert i.edges_in_process == 5
    assert i.sync_edges_in_process == 4
    assert i.cycles_removed == 1
    # a->b, b->a, b->c sync, b->c async cross team-1/team-2; c->a is within team-1
    assert i.cross_team_edges_removed == 4
    # requests x replicas: a 0.25 x 2 + b 0.5 x 3; c has none
    assert i.cpu_request == 2.0
    assert i.memory_request == 256 * MiB * 2 + 512 * MiB * 3
    # pods 2 + 3 + 1 (c assumed one replica) = 6 -> 3 (the largest member): 3 pods' overhead freed
    assert i.extra["pods_before"] == 6
    assert i.extra["pods_after"] == 3
    assert i.cpu_freed == 0.3
    assert i.memory_freed == 3 * 128 * MiB
    assert i.extra["fixed_costs_saved"] == {"dashboards": 2.0, "on_call_rotations": 0.4, "pipelines": 2.0,
                                            "repositories": 1.0}


def test_what_if_prints_its_assumptions() -> None:
    i = _impact(["a", "b", "c"])
    assert i.assumptions == (
        "one deployment per service where no workload was read",
        "one repository per service where none was read",
        "one replica where none was read",
        "the CPU requests leave out c, for which none was read",
        "the memory requests leave out c, for which none was read",
        "the merged service runs 3 pod(s), as many as its largest member; each pod removed frees 0.1 cores and "
        "128 MiB of per-pod overhead (sidecars, runtime baseline)",
        "per-service fixed costs saved: 2 dashboards, 0.4 on call rotations, 2 pipelines, 1 repositories "
        "(2 service(s) fewer)",
    )


def test_a_pair_with_everything_known_needs_fewer_assumptions() -> None:
    i = _impact(["a", "b"])
    assert (i.services_before, i.services_after) == (7, 6)
    assert i.deployments_fewer == 2  # 3 workloads become 1
    assert i.repositories_fewer == 0  # one repository already
    assert (i.edges_in_process, i.sync_edges_in_process) == (2, 2)
    assert i.cycles_removed == 0  # the cycle a-b-c stays (through c)
    assert i.cross_team_edges_removed == 2
    assert i.cpu_request == 2.0
    assert i.memory_request == 2048 * MiB
    assert (i.extra["pods_before"], i.extra["pods_after"]) == (5, 3)
    assert i.cpu_freed == 0.2 and i.memory_freed == 256 * MiB
    assert i.extra["fixed_costs_saved"] == {"dashboards": 1.0, "on_call_rotations": 0.2, "pipelines": 1.0,
                                            "repositories": 0.0}
    assert not any("where" in a and "read" in a for a in i.assumptions)
    assert not any("leave out" in a for a in i.assumptions)


def test_no_repository_known() -> None:
    i = _impact(["e", "f"])
    assert i.repositories_fewer == 1
    assert "one repository per service (no repository was read for these services)" in i.assumptions
    assert i.cycles_removed == 1
    assert (i.edges_in_process, i.sync_edges_in_process, i.cross_team_edges_removed) == (2, 2, 0)
    assert i.cpu_request is None and i.memory_request is None  # unknown, not zero
    assert (i.extra["pods_before"], i.extra["pods_after"], i.cpu_freed) == (2, 1, 0.1)


def test_distinct_repositories_all_known() -> None:
    inv = _inventory()
    services = tuple(s if s.id not in ("e", "f") else Service(s.id, s.name, repo=f"git/{s.id}", evidence=s.evidence)
                     for s in inv.services)
    report = analyze_inventory(Inventory(services=services, resources=inv.resources,
                                         dependencies=inv.dependencies), Config())
    i = what_if(report, ["e", "f"], Config()).impact
    assert i.repositories_fewer == 1
    assert not any("repository" in a for a in i.assumptions)


def test_a_group_without_calls_between_members() -> None:
    i = _impact(["d", "g"])
    assert (i.edges_in_process, i.sync_edges_in_process, i.cycles_removed, i.cross_team_edges_removed) == (0, 0, 0, 0)
    assert i.cpu_request == 4.0  # d: 1.0 x 4; g unknown
    assert i.memory_request == 4096 * MiB
    # d runs 4 pods, g 1: merged into 4 pods, one pod's overhead freed
    assert (i.extra["pods_before"], i.extra["pods_after"], i.cpu_freed, i.memory_freed) == (5, 4, 0.1, 128 * MiB)


def test_overhead_and_fixed_costs_are_configurable() -> None:
    config = Config(proposals=Proposals(per_pod_overhead_cpu=0.25, per_pod_overhead_memory=64 * MiB,
                                        per_service_cost={"pipelines": 2.0}))
    i = _impact(["a", "b", "c"], config)
    assert i.cpu_freed == 0.75
    assert i.memory_freed == 3 * 64 * MiB
    assert i.extra["fixed_costs_saved"] == {"pipelines": 4.0}
    assert ("the merged service runs 3 pod(s), as many as its largest member; each pod removed frees 0.25 cores and "
            "64 MiB of per-pod overhead (sidecars, runtime baseline)") in i.assumptions
    assert "per-service fixed costs saved: 4 pipelines (2 service(s) fewer)" in i.assumptions


def test_the_proposal_carries_the_same_impact_as_the_what_if() -> None:
    report = _report()
    by_members = {p.members: p for p in report.proposals}
    assert ("e", "f") in by_members
    whatif = what_if(report, ["f", "e"], Config()).impact
    extra = dict(whatif.extra)
    # the what-if adds the modularity of the service boundaries before and after; the rest is the same
    before, after = extra.pop("modularity_before"), extra.pop("modularity_after")
    assert isinstance(before, float) and isinstance(after, float) and after > before
    assert by_members[("e", "f")].impact == replace(whatif, extra=extra)


def test_contracted_figures_siy_cross_team_and_hops() -> None:
    report = _report()
    extra = what_if(report, ["e", "f"], Config()).impact.extra
    assert extra["siy_before"] - extra["siy_after"] == sum(
        1 for a, b in report.system_metrics.mutual_pairs if {a, b} == {"e", "f"})
    assert extra["cross_team_edges_after"] <= extra["cross_team_edges_before"]
    assert extra["sync_hops_removed_per_request"] >= 1
