"""The analysis pipeline: inventory -> graphs -> metrics -> clusters -> proposals -> report.

Each stage is a function of the previous stage's plain data; this module only wires them and
times them. It never reads files (``inventory`` does) and never renders (``exports`` does).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor, Future
from contextlib import AbstractContextManager, nullcontext, suppress
from dataclasses import replace
from typing import Any, Protocol, TypeVar

import networkx as nx

from advisor.clustering import LouvainGraph, cluster_services
from advisor.cochange import ChangeHistory, coupled_pairs
from advisor.config import Config, config_as_dict
from advisor.graph import Skeleton, coupling_edges_of, score_coupling
from advisor.metrics import dependency_metrics, find_hubs, system_metrics
from advisor.model import Cluster, Proposal, Report
from advisor.proposals import evaluate_group, rank_candidates, system_candidates
from advisor.rules import Indexes
from advisor.stability import memberships, together
from inventory.model import Evidence, Inventory
from inventory.reading import worker_job


class StageTimer(Protocol):
    def stage(self, name: str, detail: str = "") -> AbstractContextManager[None]: ...


class _NoTimer:
    def stage(self, name: str, detail: str = "") -> AbstractContextManager[None]:
        return nullcontext()


def _clusters(edges: Iterable[tuple[str, str, float]], communities: Sequence[Sequence[str]]) -> tuple[Cluster, ...]:
    """Cluster values with internal and external coupling (over the weighted ``edges`` of the
    clustering graph, :attr:`~advisor.graph.CouplingInfo.kept`), ids C1.. in a stable order."""
    member_of = {m: i for i, c in enumerate(communities) for m in c}
    internal = [0.0] * len(communities)
    external = [0.0] * len(communities)
    for u, v, w in edges:
        cu, cv = member_of.get(u), member_of.get(v)
        if cu is not None and cu == cv:
            internal[cu] += w
        else:
            if cu is not None:
                external[cu] += w
            if cv is not None:
                external[cv] += w
    return tuple(
        Cluster(f"C{i + 1}", tuple(c), round(internal[i], 6), round(external[i], 6))
        for i, c in enumerate(communities)
    )


_T = TypeVar("_T")


#: The nice value of the stability runs in a worker. Their answer is wanted only after the proposals,
#: while this process works out the candidate groups meanwhile, and the other worker the metrics,
#: wanted first: three processes on two cores. At this value the runs mostly take what the other two
#: leave of the cores; they start as soon as the resolution is known, before the clusters, when one
#: core is theirs. At 20,000 services, five runs each, the stages from the candidates to the
#: stability took 1.46 s at nice 5, 1.48 s at 10 (the runs were then waited for 0.20 s), 1.52 s at 2,
#: and 1.67 s before (nice 0, started after the clusters); see docs/performance.md.
STABILITY_NICE = 5


def _offload(executor: Executor | None, fn: Callable[..., _T], *args: Any, nice: int = 0) -> Callable[[], _T]:
    """``fn(*args)`` started in a worker of ``executor`` when there is one (at nice value ``nice``:
    see :func:`inventory.reading.worker_job`); the returned function gives its result. If the worker
    cannot take the job or fails on it (a worker killed for memory, say), the job is done here
    instead: the workers only make an analysis faster, never decide whether it succeeds."""
    future: Future[_T] | None = None
    if executor is not None:
        try:
            future = executor.submit(worker_job, fn, *args, nice=nice)
        except Exception:  # a broken pool: fall back to this process
            future = None

    def result() -> _T:
        if future is not None:
            with suppress(Exception):  # the job failed in the worker: do it here
                return future.result()
        return fn(*args)

    return result


def analyze_inventory(inventory: Inventory, config: Config, *, stages: StageTimer | None = None,
                      history: ChangeHistory | None = None,
                      co_change: Mapping[tuple[str, str], tuple[float, tuple[Evidence, ...]]] | None = None,
                      executor: Executor | None = None, executor_ready: Callable[[], bool] | None = None,
                      on_measured: Callable[[Report], None] | None = None) -> Report:
    """Analyse one resolved inventory with ``config``; the report carries everything shown later.

    With an ``executor`` (the worker processes that read the files), two jobs go to the workers as
    soon as the clusters are known: the stability runs, which need nothing but the coupling graph,
    and the dependency metrics, which need nothing but the inventory's :class:`Skeleton`. They run
    while this process works out the candidate groups and evaluates them, unless ``executor_ready``
    says the workers are not ready for them yet (then this process does them). The figures are the
    same either way.

    ``on_measured`` is called with the report so far (no proposals yet, no settings) once the metrics
    are known, before the proposals are worked out: the caller may render those parts meanwhile.
    """
    timer: StageTimer = stages or _NoTimer()
    with timer.stage("graph", f"{len(inventory.services):,} services, {len(inventory.dependencies):,} dependencies"):
        hubs = find_hubs(inventory, config)
        extra = None
        if co_change is None:
            co_change = coupled_pairs(history, config.co_change) if history is not None else {}
        if co_change:
            extra = {pair: (config.weights.co_change * degree, f"changed together ({degree:.0%})")
                     for pair, (degree, _) in co_change.items()}
        # the scored pairs, without networkx's graph: what follows works from them
        info = score_coupling(inventory, config, hubs=hubs, extra_pairs=extra)
    spread = config.clustering
    with timer.stage("cluster"):
        louvain = LouvainGraph.of_coupling(info)
        auto = spread.resolution == "auto"
        resolution = louvain.resolution(spread.factor) if auto else float(spread.resolution)
        if executor is not None and executor_ready is not None and not executor_ready():
            executor = None
        # the stability runs need nothing but the graph and the resolution: they start while the
        # clusters are found here (a core of their own then, before the metrics job)
        seeds, multipliers = range(spread.seeds), spread.resolution_spread
        runs = _offload(executor, memberships, louvain, resolution, seeds, multipliers, nice=STABILITY_NICE)
        communities = cluster_services(louvain, resolution=resolution, seed=config.seed,
                                       min_size=spread.min_size, max_size=spread.max_size)
        clusters = _clusters(info.kept, communities)
        cluster_of = {m: c.id for c in clusters for m in c.members}
        skeleton = Skeleton.of(inventory)
        measured = _offload(executor, dependency_metrics, skeleton, hubs, cluster_of)
    with timer.stage("candidates", f"{len(clusters):,} clusters"):
        # the candidate groups need no metrics: with a worker, they are found while it measures
        index = Indexes(inventory, config, {}, frozenset(hubs), co_change, history=history)
        candidates = system_candidates([(c.id, c.members) for c in clusters], index)
    with timer.stage("report"):  # nor does the report's coupling list: before waiting for the worker
        coupling_list = coupling_edges_of(info)
    with timer.stage("metrics"):
        per_service, cycles, mutual = measured()
        system = system_metrics(inventory, hubs=hubs, coupling=info, clusters=communities,
                                cycles=cycles, mutual_pairs=mutual)
        index.metrics = {m.id: m for m in per_service}
    if on_measured is not None:
        on_measured(Report(inventory=inventory, service_metrics=per_service, system_metrics=system,
                        coupling=coupling_list, clusters=clusters, proposals=(), settings={},
                        co_change=co_change, history=history))
    with timer.stage("propose", f"{len(candidates):,} candidate groups"):
        proposals = rank_candidates(candidates, index, system)
    with timer.stage("stability", f"{len(proposals):,} proposals"):
        stability = together(louvain, runs(), [p.members for p in proposals])
        proposals = [replace(p, stability=s) for p, s in zip(proposals, stability, strict=True)]
    settings = config_as_dict(config)
    settings["resolution_used"] = round(resolution, 6)
    settings["hubs"] = list(hubs)
    return Report(
        inventory=inventory,
        service_metrics=per_service,
        system_metrics=system,
        coupling=coupling_list,
        clusters=clusters,
        proposals=tuple(proposals),
        settings=settings,
        co_change=co_change,
        history=history,
    )


def what_if(report: Report, members: Sequence[str], config: Config) -> Proposal:
    """Evaluate any set of services as a merge against an existing report (signals, impact, plan).

    On top of a proposal's impact, the modularity of the service boundaries before and after the
    merge (``impact.extra``), computed on the coupling graph.
    """
    index = Indexes(report.inventory, config, {m.id: m for m in report.service_metrics},
                    frozenset(report.system_metrics.hubs), report.co_change, history=report.history)
    proposal = evaluate_group(members, index, report.system_metrics)
    before, after = _modularity_after_merge(report, proposal.members)
    extra = {**proposal.impact.extra, "modularity_before": before, "modularity_after": after}
    return replace(proposal, impact=replace(proposal.impact, extra=extra))


def _modularity_after_merge(report: Report, members: Sequence[str]) -> tuple[float | None, float | None]:
    """Modularity of the service boundaries, before and after the merge.

    Each service is one community (the members one community after): the figure rises as more of
    the coupling falls inside a service, which is what a good merge does.
    """
    G = nx.Graph()
    G.add_nodes_from(s.id for s in report.inventory.services)
    for e in report.coupling:
        G.add_edge(e.a, e.b, weight=e.weight)
    if G.size(weight="weight") <= 0:
        return None, None
    group = set(members) & set(G)
    before = nx.community.modularity(G, [{n} for n in G], weight="weight")
    after = nx.community.modularity(G, [group, *({n} for n in G if n not in group)] if group else
                                    [{n} for n in G], weight="weight")
    return round(float(before), 6), round(float(after), 6)
