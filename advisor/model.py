"""The advisor's results as plain frozen values: metrics, clusters, signals, proposals, the report.

Analysis returns a :class:`Report`; the CLI, the exports and the dashboard only render it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from inventory.frozen import quick_init
from inventory.model import Evidence, Inventory

if TYPE_CHECKING:
    from advisor.cochange import ChangeHistory

SCHEMA_VERSION = 1


@quick_init
@dataclass(frozen=True)
class ServiceMetrics:
    """Per-service coupling metrics (Rud et al. / Bogner et al. naming).

    ``fan_in``/``fan_out`` count dependency edges to/from other services and resources;
    ``ais`` (absolute importance) = distinct services that depend on this one, ``ads``
    (absolute dependence) = distinct services this one depends on, ``acs`` = ais x ads;
    ``instability`` = fan_out / (fan_in + fan_out); ``siy`` = services it is mutually dependent
    with; ``pagerank`` on the dependency graph; ``cycle`` the id of its sync cycle, if any.
    """

    id: str
    fan_in: int
    fan_out: int
    ais: int
    ads: int
    acs: int
    instability: float
    siy: int
    pagerank: float
    cycle: int | None = None
    hub: bool = False
    cluster: str | None = None
    datastores: tuple[str, ...] = ()


@dataclass(frozen=True)
class SystemMetrics:
    services: int
    resources: int
    dependencies: Mapping[str, int]
    cycles: tuple[tuple[str, ...], ...]
    mutual_pairs: tuple[tuple[str, str], ...]
    hubs: tuple[str, ...]
    shared_datastores: Mapping[str, tuple[str, ...]]
    infrastructure: tuple[str, ...]
    cross_team_edges: int
    modularity: float | None = None


@quick_init
@dataclass(frozen=True)
class CouplingEdge:
    """One edge of the undirected coupling graph, with what made it."""

    a: str
    b: str
    weight: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Cluster:
    id: str
    members: tuple[str, ...]
    internal_weight: float
    external_weight: float

    @property
    def cohesion(self) -> float:
        total = self.internal_weight + self.external_weight
        return self.internal_weight / total if total else 0.0


@quick_init
@dataclass(frozen=True)
class Signal:
    """A reason for (``direction="for"``) or against a merge, with the evidence it rests on."""

    code: str
    name: str
    direction: Literal["for", "against"]
    points: float
    summary: str
    services: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class Impact:
    """What merging the members would change. Every figure states what it assumes in ``assumptions``."""

    services_before: int
    services_after: int
    deployments_fewer: int
    repositories_fewer: int
    edges_in_process: int
    sync_edges_in_process: int
    cycles_removed: int
    cross_team_edges_removed: int
    cpu_request: float | None
    memory_request: int | None
    cpu_freed: float | None = None
    memory_freed: int | None = None
    assumptions: tuple[str, ...] = ()
    extra: Mapping[str, object] = field(default_factory=dict)


@quick_init
@dataclass(frozen=True)
class PlanStep:
    stage: str
    title: str
    changes: tuple[str, ...]
    risks: tuple[str, ...] = ()


@quick_init
@dataclass(frozen=True)
class Proposal:
    id: str
    rank: int
    members: tuple[str, ...]
    score: float
    signals: tuple[Signal, ...]
    counter_signals: tuple[Signal, ...]
    impact: Impact
    title: str = ""
    cluster: str | None = None
    stability: float | None = None
    plan: tuple[PlanStep, ...] = ()
    decision: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Report:
    """Everything one analysis produced. Rendering lives in :mod:`advisor.exports`."""

    inventory: Inventory
    service_metrics: tuple[ServiceMetrics, ...]
    system_metrics: SystemMetrics
    coupling: tuple[CouplingEdge, ...]
    clusters: tuple[Cluster, ...]
    proposals: tuple[Proposal, ...]
    settings: Mapping[str, object] = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION
    co_change: Mapping[tuple[str, str], tuple[float, tuple[Evidence, ...]]] = field(default_factory=dict)
    history: ChangeHistory | None = None  # when git history was read
