"""What every merge rule sees, and the shape of a rule.

A rule is one module under :mod:`advisor.rules` exposing ``RULE``: a :class:`Rule` with a stable
code (``ADV1xx`` for signals for a merge, ``ADV2xx`` against), a kebab-case name that names the
smell ("allow shared-datastore"), a default weight and a function that looks at a candidate group
through a :class:`GroupContext` and returns a :class:`~advisor.model.Signal` or ``None``.
The module docstring is the rule's documentation: what it detects, why it matters, what
evidence it cites.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from advisor.config import Config
from advisor.model import ServiceMetrics, Signal
from inventory.lazy import cached_property
from inventory.model import DATASTORE_KINDS, Dependency, Evidence, Inventory, Resource, Service, sorted_evidence


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    direction: Literal["for", "against"]
    weight: float
    evaluate: Callable[[GroupContext, float], Signal | None]
    pairs: Callable[[GroupContext], list[tuple[str, str]]] | None = None
    doc: str = ""

    @property
    def strong(self) -> bool:
        """Strong rules say which member pairs they join; only they can make a proposal."""
        return self.pairs is not None


@dataclass
class Indexes:
    """Lookups over one inventory, built once per analysis and shared by every group."""

    inventory: Inventory
    config: Config
    metrics: Mapping[str, ServiceMetrics]
    hubs: frozenset[str]
    co_change: Mapping[tuple[str, str], tuple[float, tuple[Evidence, ...]]] = field(default_factory=dict)
    #: Change history from git (``advisor.cochange.ChangeHistory``), when it was read.
    history: Any = None
    #: Lookups that other modules build once per analysis (keyed by what they derive from).
    memo: dict[object, object] = field(default_factory=dict)

    @cached_property
    def services(self) -> dict[str, Service]:
        return {s.id: s for s in self.inventory.services}

    @cached_property
    def resources(self) -> dict[str, Resource]:
        return {r.id: r for r in self.inventory.resources}

    @cached_property
    def _by_dependency(self) -> tuple[dict[str, list[Dependency]], dict[str, list[Dependency]],
                                      dict[str, set[str]], dict[tuple[str, str | None], list[Dependency]]]:
        """:attr:`outgoing`, :attr:`incoming`, :attr:`destinations_of` and :attr:`datastore_users`,
        in one pass over the dependencies (four took twice as long at 20,000 services)."""
        outgoing: dict[str, list[Dependency]] = defaultdict(list)
        incoming: dict[str, list[Dependency]] = defaultdict(list)
        destinations: dict[str, set[str]] = defaultdict(set)
        users: dict[tuple[str, str | None], list[Dependency]] = defaultdict(list)
        resources, services = self.resources, self.services
        for d in self.inventory.dependencies:
            outgoing[d.source].append(d)
            incoming[d.target].append(d)
            res = resources.get(d.target)
            if res is not None and d.source in services:
                if res.kind in ("topic", "queue"):
                    destinations[d.source].add(d.target)
                elif res.kind in DATASTORE_KINDS:
                    users[(d.target, d.via)].append(d)
        return outgoing, incoming, destinations, users

    @cached_property
    def outgoing(self) -> dict[str, list[Dependency]]:
        return self._by_dependency[0]

    @cached_property
    def incoming(self) -> dict[str, list[Dependency]]:
        return self._by_dependency[1]

    @cached_property
    def sharing(self) -> dict[tuple[str, str | None], list[Dependency]]:
        """(datastore id, schema) -> the dependencies of everyone who may use that schema.

        A use whose schema is unknown (``via`` None) may be any of the datastore's schemas, so it
        counts among the users of each (the coupling graph reads schemas the same way); a datastore
        with no named schema has one entry under ``None``.
        """
        by_store: dict[str, dict[str | None, list[Dependency]]] = defaultdict(lambda: defaultdict(list))
        for (store, schema), deps in self.datastore_users.items():
            by_store[store][schema].extend(deps)
        out: dict[tuple[str, str | None], list[Dependency]] = {}
        for store, schemas in by_store.items():
            unknown = schemas.get(None, [])
            named = {k: v for k, v in schemas.items() if k is not None}
            if not named:
                out[(store, None)] = list(unknown)
            for schema, deps in named.items():
                out[(store, schema)] = list(deps) + list(unknown)
        return out

    @cached_property
    def datastores_of(self) -> dict[str, set[tuple[str, str | None]]]:
        """service id -> the (datastore id, schema) keys of :attr:`sharing` it appears in."""
        out: dict[str, set[tuple[str, str | None]]] = defaultdict(set)
        for key, deps in self.sharing.items():
            for d in deps:
                out[d.source].add(key)
        return out

    @cached_property
    def shared_datastores(self) -> dict[tuple[str, str | None], frozenset[str]]:
        """(datastore id, schema) -> its users, for datastores that couple their users (not infrastructure)."""
        infra = self.config.infrastructure
        out: dict[tuple[str, str | None], frozenset[str]] = {}
        for key, deps in self.sharing.items():
            users = frozenset(d.source for d in deps)
            if len(users) < 2 or len(users) > infra.max_datastore_users:
                continue
            owners = {o for u in users if (o := self.services[u].owner)}
            if len(owners) > infra.max_datastore_teams:
                continue
            out[key] = users
        return out

    @cached_property
    def destinations_of(self) -> dict[str, set[str]]:
        """service id -> the topics and queues it produces to or consumes from."""
        return self._by_dependency[2]

    @cached_property
    def datastore_users(self) -> dict[tuple[str, str | None], list[Dependency]]:
        """(datastore id, schema) -> the dependencies of services on it."""
        return self._by_dependency[3]


@dataclass
class GroupContext:
    """A candidate group of services and the slice of the inventory that concerns it."""

    members: tuple[str, ...]
    index: Indexes

    @cached_property
    def member_set(self) -> frozenset[str]:
        return frozenset(self.members)

    @cached_property
    def internal(self) -> list[Dependency]:
        """Dependencies from one member to another (services only)."""
        return [d for m in self.members for d in self.index.outgoing.get(m, ()) if d.target in self.member_set
                and d.target != d.source]

    def service(self, service_id: str) -> Service:
        return self.index.services[service_id]

    @property
    def config(self) -> Config:
        return self.index.config


def pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def limited_evidence(items: Iterable[Evidence], limit: int = 12) -> tuple[Evidence, ...]:
    """Evidence in its natural order (:func:`~inventory.model.sorted_evidence`), at most ``limit``
    items."""
    return sorted_evidence(items)[:limit]


def evidence_of(deps: Sequence[Dependency], limit: int = 12) -> tuple[Evidence, ...]:
    """The evidence of some dependencies, deduplicated, in a stable order, at most ``limit`` items."""
    seen: dict[Evidence, None] = {}
    for d in deps:
        for e in d.evidence:
            seen.setdefault(e, None)
    return limited_evidence(seen, limit)


def fmt_list(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
