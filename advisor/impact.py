"""What a merge would change, computed from the inventory with every assumption stated.

For any group of services (a proposal or a user's what-if): services, deployments and
repositories fewer; dependencies that become in-process calls (and how many of them were
synchronous network hops); synchronous cycles that disappear; cross-team edges that stop crossing
a service boundary; the members' summed CPU and memory requests (per replica x replicas); and the
per-pod overhead freed when the merged service runs as many pods as its largest member did.
"""

from __future__ import annotations

from advisor.graph import longest_chain
from advisor.model import Impact, SystemMetrics
from advisor.rules.base import GroupContext, fmt_list
from inventory.model import Dependency


def _mib(n: int) -> str:
    return f"{n / (1024 * 1024):,.0f} MiB"


def compute_impact(ctx: GroupContext, system: SystemMetrics) -> Impact:
    members = ctx.members
    services = [ctx.service(m) for m in members]
    n = len(services)
    proposals = ctx.config.proposals
    assumptions: list[str] = []

    workloads = sum(max(len(s.workloads), 1) for s in services)
    deployments_fewer = max(workloads - 1, 0)
    if any(not s.workloads for s in services):
        assumptions.append("one deployment per service where no workload was read")
    repos = {s.repo for s in services if s.repo}
    without_repo = sum(1 for s in services if not s.repo)
    if repos:
        # members sharing a repository already share it; one of their own for those with none read
        repositories_fewer = len(repos) + without_repo - 1
        if without_repo:
            assumptions.append("one repository per service where none was read")
    else:
        repositories_fewer = n - 1
        assumptions.append("one repository per service (no repository was read for these services)")

    internal = [d for d in ctx.internal if d.kind != "declared"]
    sync_internal = [d for d in internal if d.kind == "sync"]
    cycles_of, partners = _system_index(ctx, system)
    touched = {i for m in ctx.members for i in cycles_of.get(m, ())}
    cycles_removed = sum(1 for i in touched if set(system.cycles[i]) <= ctx.member_set)
    # internal edges between known owners that differ: declared ones count among those the merge
    # removes from the system's figure (``cross_team_edges_after``), not among those it turns local
    owner = {m: s.owner for m, s in zip(members, services, strict=True)}
    cross_team = cross_team_declared = 0
    for d in ctx.internal:
        source_owner, target_owner = owner[d.source], owner[d.target]
        if source_owner and target_owner and source_owner != target_owner:
            if d.kind == "declared":
                cross_team_declared += 1
            else:
                cross_team += 1

    cpu_total = None
    mem_total = None
    pods_before = 0
    largest = 0
    for s in services:
        replicas = s.replicas if s.replicas is not None else 1
        pods_before += replicas
        largest = max(largest, replicas)
        if s.cpu_request is not None:
            cpu_total = (cpu_total or 0.0) + s.cpu_request * replicas
        if s.memory_request is not None:
            mem_total = (mem_total or 0) + s.memory_request * replicas
    if any(s.replicas is None for s in services):
        assumptions.append("one replica where none was read")
    for what, total, missing in (
        ("CPU", cpu_total, [s.id for s in services if s.cpu_request is None]),
        ("memory", mem_total, [s.id for s in services if s.memory_request is None]),
    ):
        if missing and total is not None:
            assumptions.append(f"the {what} requests leave out {fmt_list(missing)}, for which none was read")
    pods_freed = max(pods_before - max(largest, 1), 0)
    cpu_freed = round(pods_freed * proposals.per_pod_overhead_cpu, 4)
    mem_freed = int(pods_freed * proposals.per_pod_overhead_memory)
    assumptions.append(
        f"the merged service runs {max(largest, 1)} pod(s), as many as its largest member; each pod removed frees "
        f"{proposals.per_pod_overhead_cpu:g} cores and {_mib(proposals.per_pod_overhead_memory)} of per-pod overhead "
        "(sidecars, runtime baseline)"
    )
    # repositories are saved as counted above (members sharing a repository save none), the rest per service
    fixed = {k: round(v * (repositories_fewer if k == "repositories" else n - 1), 3)
             for k, v in sorted(proposals.per_service_cost.items())}
    if fixed:
        assumptions.append(
            "per-service fixed costs saved: " + ", ".join(f"{v:g} {k.replace('_', ' ')}" for k, v in fixed.items())
            + f" ({n - 1} service(s) fewer)"
        )
    return Impact(
        services_before=system.services,
        services_after=system.services - (n - 1),
        deployments_fewer=deployments_fewer,
        repositories_fewer=repositories_fewer,
        edges_in_process=len(internal),
        sync_edges_in_process=len(sync_internal),
        cycles_removed=cycles_removed,
        cross_team_edges_removed=cross_team,
        cpu_request=round(cpu_total, 4) if cpu_total is not None else None,
        memory_request=mem_total,
        cpu_freed=cpu_freed,
        memory_freed=mem_freed,
        assumptions=tuple(assumptions),
        extra={"pods_before": pods_before, "pods_after": max(largest, 1), "fixed_costs_saved": fixed,
               **_contracted(ctx, system, partners, sync_internal, cross_team + cross_team_declared)},
    )


def _system_index(ctx: GroupContext, system: SystemMetrics) -> tuple[dict[str, list[int]], dict[str, list[str]]]:
    """Per service: the cycles it is on and its mutually dependent partners (built once per system)."""
    key = ("impact-system-index", id(system))
    cached = ctx.index.memo.get(key)
    if cached is None:
        cycles_of: dict[str, list[int]] = {}
        for i, members in enumerate(system.cycles):
            for m in members:
                cycles_of.setdefault(m, []).append(i)
        partners: dict[str, list[str]] = {}
        for a, b in system.mutual_pairs:
            partners.setdefault(a, []).append(b)
            partners.setdefault(b, []).append(a)
        cached = ctx.index.memo[key] = (cycles_of, partners)
    return cached  # type: ignore[return-value]


def _contracted(ctx: GroupContext, system: SystemMetrics, partners: dict[str, list[str]],
                sync_internal: list[Dependency], internal_cross: int) -> dict[str, int]:
    """Figures of the system with the members contracted into one service: SIY (mutually dependent
    pairs) and cross-team edges before and after (``internal_cross``: the members' edges to each
    other between different known owners), and the synchronous hops one request through the group
    no longer makes (the longest chain of sync calls inside it)."""
    group = ctx.member_set
    internal_pairs = 0
    outside: dict[str, int] = {}
    for m in ctx.members:
        for x in partners.get(m, ()):
            if x in group:
                internal_pairs += 1
            else:
                outside[x] = outside.get(x, 0) + 1
    # pairs inside vanish; k members mutually dependent with one outsider become one pair
    siy_after = len(system.mutual_pairs) - internal_pairs // 2 - sum(k - 1 for k in outside.values())
    chain = [(d.source, d.target) for d in sync_internal]
    hops = longest_chain(chain)
    if hops is None:
        hops = len({n for edge in chain for n in edge}) - 1  # a cycle: at worst every member is on the path
    return {
        "siy_before": len(system.mutual_pairs), "siy_after": siy_after,
        "cross_team_edges_before": system.cross_team_edges,
        "cross_team_edges_after": system.cross_team_edges - internal_cross,
        "sync_hops_removed_per_request": hops,
    }
