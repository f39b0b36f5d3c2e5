"""The inventory model: what the readers learn and what the resolved inventory holds.

Two levels live here.

*Reader output* (:class:`Fragment`): each reader turns the documents of one input into
:class:`EntityRecord` candidates (a service or a resource as that source names it) and
:class:`Claim` statements ("this entity depends on that address, topic or name"), plus an
account of every document it read, used or skipped. Readers know nothing about each other.

*The resolved inventory* (:class:`Inventory`): after every input has been read,
:mod:`inventory.resolving` joins the names one service has in different sources, resolves every
claim to a service or a resource id (or reports it as :class:`Unresolved`), merges claims about
the same pair into one :class:`Dependency` that keeps every piece of :class:`Evidence`, and
returns plain frozen values that the advisor builds its graphs from.

Nothing here holds YAML nodes, paths to open files or UI objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Literal

from inventory.frozen import quick_init
from inventory.lazy import cached_property

DependencyKind = Literal["sync", "async", "datastore", "declared"]
DEPENDENCY_KINDS: tuple[DependencyKind, ...] = ("sync", "async", "datastore", "declared")

#: Kinds of resources. ``database``, ``cache`` and ``search`` are datastores; ``broker`` is a
#: message broker; ``topic`` and ``queue`` are destinations on a broker.
ResourceKind = Literal["database", "cache", "search", "storage", "broker", "topic", "queue", "other"]
DATASTORE_KINDS = frozenset({"database", "cache", "search", "storage"})
MESSAGING_KINDS = frozenset({"broker", "topic", "queue"})

#: Which kind of knowledge each reader contributes: ``declared`` (someone wrote the dependency
#: down, e.g. a catalog), ``static`` (configuration or code that makes the call happen),
#: ``observed`` (traces or mesh telemetry saw it happen).
READER_BASIS: Mapping[str, str] = {
    "kubernetes": "static",
    "compose": "static",
    "backstage": "declared",
    "asyncapi": "declared",
    "native": "declared",
    "config": "declared",
    "source": "static",
    "jaeger": "observed",
    "otlp": "observed",
    "zipkin": "observed",
    "alibaba": "observed",
    "prometheus": "observed",
    "kiali": "observed",
    "edgelist": "observed",
}


@quick_init
@dataclass(frozen=True)
class Evidence:
    """Where a fact came from: the reader, a location a person can open, and what was seen.

    ``location`` is ``path:line`` when the line is known, ``path#document`` otherwise, or a URL.
    ``detail`` never contains a secret value (see :mod:`inventory.secrets`).
    """

    reader: str
    location: str
    detail: str

    @property
    def basis(self) -> str:
        return READER_BASIS.get(self.reader, "static")

    def as_dict(self) -> dict[str, str]:
        return {"reader": self.reader, "location": self.location, "detail": self.detail}

    @cached_property
    def sort_key(self) -> tuple[str, int, str, str]:
        """Natural order: by file, then line as a number (``f.yaml:9`` before ``f.yaml:11``)."""
        path, sep, line = self.location.rpartition(":")
        if sep and line.isascii() and line.isdigit():
            return (path, int(line), self.detail, self.reader)
        return (self.location, -1, self.detail, self.reader)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Evidence):
            return NotImplemented
        return self.sort_key < other.sort_key


_natural_order = attrgetter("sort_key")


def sorted_evidence(evidence: Iterable[Evidence]) -> tuple[Evidence, ...]:
    """``tuple(sorted(evidence))``: the same order, ties included, comparing the precomputed
    :attr:`Evidence.sort_key` tuples rather than calling ``Evidence.__lt__`` (two key look-ups) for
    every comparison, which costs several times as much."""
    return tuple(sorted(evidence, key=_natural_order))


@quick_init
@dataclass(frozen=True)
class Skipped:
    """An input (a file, or one document of it) that was not used, and why."""

    location: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"location": self.location, "reason": self.reason}


@dataclass(frozen=True)
class InputAccount:
    """The accounting for one input file: documents read = used + skipped."""

    location: str
    format: str
    documents: int
    used: int
    skipped: int

    def as_dict(self) -> dict[str, object]:
        return {
            "location": self.location,
            "format": self.format,
            "documents": self.documents,
            "used": self.used,
            "skipped": self.skipped,
        }


# --------------------------------------------------------------------------------------------
# Reader output
# --------------------------------------------------------------------------------------------

EntityRole = Literal["service", "database", "cache", "search", "storage", "broker", "topic", "queue", "other"]


@quick_init
@dataclass(frozen=True)
class EntityRecord:
    """A service or resource as one source names it, before identity resolution.

    ``key`` is unique within the reader's output (e.g. ``kubernetes:shop/orders``) and is what
    :class:`Claim` sources refer to. ``addresses`` are the host names the entity answers to in its
    own source (Kubernetes Service names, compose service names and network aliases); ``name`` is
    the plain name as the source spells it.
    """

    key: str
    name: str
    role: EntityRole
    reader: str
    evidence: Evidence
    namespace: str | None = None
    technology: str | None = None
    addresses: tuple[str, ...] = ()
    owner: str | None = None
    repo: str | None = None
    runtime: str | None = None
    images: tuple[str, ...] = ()
    replicas: int | None = None
    cpu_request: float | None = None
    memory_request: int | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    workloads: tuple[str, ...] = ()
    system: str | None = None
    lifecycle: str | None = None
    description: str | None = None
    aliases: tuple[str, ...] = ()
    #: Other keys that claims of this reader use for the same entity (e.g. one per workload).
    claim_keys: tuple[str, ...] = ()


@quick_init
@dataclass(frozen=True)
class Address:
    """A network reference found in a string: the host (and what came with it)."""

    host: str
    port: int | None = None
    scheme: str | None = None
    database: str | None = None
    raw: str = ""
    form: str = "hostport"


@quick_init
@dataclass(frozen=True)
class NamedTarget:
    """A reference by name rather than by network address (catalog refs, topics, compose deps).

    ``role`` narrows what the name may resolve to (``service``, ``topic``, ``any`` ...).
    ``create`` asks the resolver to create the resource if nothing by that name exists (topics and
    queues are real even when only their users are known).
    """

    name: str
    role: str = "any"
    namespace: str | None = None
    technology: str | None = None
    create: bool = False


@quick_init
@dataclass(frozen=True)
class Claim:
    """One source's statement that ``source`` (an entity key) depends on ``target``.

    ``kind`` may be ``None``: the resolver then derives it from what the target turns out to be
    (a service gives ``sync``, a datastore ``datastore``, a broker, topic or queue ``async``).
    ``role`` is ``produce`` or ``consume`` for messaging claims. ``report_unresolved`` is False for
    weak references (a ``host:port`` in free text) that count only when they resolve.
    """

    source: str
    target: Address | NamedTarget
    evidence: Evidence
    kind: DependencyKind | None = None
    protocol: str | None = None
    via: str | None = None
    role: str | None = None
    weight: float = 1.0
    errors: int | None = None
    operations: tuple[str, ...] = ()
    report_unresolved: bool = True


@dataclass
class Fragment:
    """Everything one reader learned from one input file.

    ``documents`` counts the documents (or records) read; every one of them is either used or
    listed in ``skipped``. ``extras`` carries format-specific objects that need the whole
    inventory before they can be resolved (Kubernetes Services and ConfigMaps across files).
    ``aliases`` (canonical name -> other names) and ``owners`` (team -> service names) are
    identity hints an input can carry for services described in *other* inputs.
    """

    location: str
    format: str
    entities: list[EntityRecord] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    documents: int = 0
    used: int = 0
    extras: list[object] = field(default_factory=list)
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    owners: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Sentences about the input as a whole for the report (sampling, broken traces ...).
    notes: list[str] = field(default_factory=list)

    def account(self) -> InputAccount:
        return InputAccount(self.location, self.format, self.documents, self.used, len(self.skipped))


# --------------------------------------------------------------------------------------------
# The resolved inventory
# --------------------------------------------------------------------------------------------


@quick_init
@dataclass(frozen=True)
class Service:
    """One logical service, joined across every source that mentions it."""

    id: str
    name: str
    namespace: str | None = None
    owner: str | None = None
    repo: str | None = None
    runtime: str | None = None
    images: tuple[str, ...] = ()
    replicas: int | None = None
    cpu_request: float | None = None
    memory_request: int | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    workloads: tuple[str, ...] = ()
    system: str | None = None
    lifecycle: str | None = None
    description: str | None = None
    aliases: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()


@quick_init
@dataclass(frozen=True)
class Resource:
    """A datastore, broker, topic or queue that services use."""

    id: str
    name: str
    kind: ResourceKind
    technology: str | None = None
    namespace: str | None = None
    owner: str | None = None
    external: bool = False
    images: tuple[str, ...] = ()
    replicas: int | None = None
    cpu_request: float | None = None
    memory_request: int | None = None
    aliases: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()


@quick_init
@dataclass(frozen=True)
class Dependency:
    """``source`` depends on ``target`` (both ids), with every piece of evidence for it.

    ``via`` is the topic or queue for messaging, and the database/schema name for datastores
    when a connection string names one. ``weight`` is the call count when traces know it, else 1.
    """

    source: str
    target: str
    kind: DependencyKind
    evidence: tuple[Evidence, ...]
    protocol: str | None = None
    via: str | None = None
    role: str | None = None
    weight: float = 1.0
    errors: int | None = None
    operations: tuple[str, ...] = ()

    @cached_property
    def bases(self) -> tuple[str, ...]:
        """How the edge is known: any of ``declared``, ``static``, ``observed`` (worked out once:
        the report and the graph each ask for every edge)."""
        return tuple(sorted({e.basis for e in self.evidence}))


@quick_init
@dataclass(frozen=True)
class Unresolved:
    """A reference to something that is not in the inventory."""

    source: str
    reference: str
    evidence: Evidence
    reason: str


@quick_init
@dataclass(frozen=True)
class Join:
    """Identity resolution joined ``names`` (as their sources spell them) into service ``id``."""

    id: str
    names: tuple[str, ...]
    rule: str


@dataclass(frozen=True)
class Inventory:
    """The resolved inventory: services, resources and dependencies, plus its accounting."""

    services: tuple[Service, ...] = ()
    resources: tuple[Resource, ...] = ()
    dependencies: tuple[Dependency, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    unresolved: tuple[Unresolved, ...] = ()
    joins: tuple[Join, ...] = ()
    inputs: tuple[InputAccount, ...] = ()
    notes: tuple[str, ...] = ()

    def service(self, service_id: str) -> Service | None:
        for s in self.services:
            if s.id == service_id:
                return s
        return None

    @property
    def usable(self) -> bool:
        """True when anything at all was read into the inventory."""
        return bool(self.services or self.resources)
