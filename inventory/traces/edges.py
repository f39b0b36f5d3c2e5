"""Tallying observed edges per distinct edge, and turning the tally into one :class:`Fragment`.

Every observed reader (spans, call-graph rows, mesh metrics) feeds an :class:`EdgeBook`: it counts
records (read, used, skipped), keeps one tally per service it saw and one per distinct edge
``(source, target, kind, via, role)`` with its call count, error count and a capped set of
operations. Nothing here grows with the number of records: a million spans over three hundred edges
are three hundred tallies. :meth:`EdgeBook.fragment` then emits one :class:`EntityRecord` per
service or datastore and one :class:`Claim` per edge whose ``weight`` is the call count.

Skipped records are listed one by one up to :data:`MAX_LISTED_SKIPS`; past that one summary entry
says how many more there were (the accounting then shows fewer skipped entries than records not
used, and the summary entry says so).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from inventory.addresses import SCHEME_TECHNOLOGY
from inventory.classify import TECHNOLOGY_ROLE, classify
from inventory.model import Address, Claim, DependencyKind, EntityRecord, EntityRole, Evidence, Fragment, NamedTarget
from inventory.model import Skipped as Skip

#: How many skipped records are listed one by one per input; the rest are counted in one entry.
MAX_LISTED_SKIPS = 200
#: How many distinct operations are kept per edge (the resolver keeps at most 50 per dependency).
MAX_OPERATIONS = 20

_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")


@dataclass(frozen=True)
class TraceSummary:
    """What one observed input held, for the report: volume, sampling and broken traces.

    ``orphan_spans`` are spans whose parent span is not in the input (the trace was cut at a
    pipeline boundary or sampled away): the call *into* them is not known. ``late_spans`` arrived
    after their trace had been closed for lack of memory (see :mod:`inventory.traces.spans`).
    """

    reader: str
    location: str
    records: int
    used: int
    skipped: int
    spans: int = 0
    traces: int = 0
    services: int = 0
    edges: int = 0
    orphan_spans: int = 0
    traces_with_orphans: int = 0
    late_spans: int = 0
    unresolved_links: int = 0
    silent_clients: int = 0
    sampling: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}

    def describe(self) -> str:
        """One paragraph a person reads: what was seen and what is missing."""
        parts = [f"{_plural(self.records, 'record')} read, {self.used:,} used, {self.skipped:,} skipped"]
        if self.spans:
            parts.append(f"{_plural(self.spans, 'span')} in {_plural(self.traces, 'trace')} "
                         f"from {_plural(self.services, 'service')}")
        if self.orphan_spans:
            parts.append(f"{_plural(self.orphan_spans, 'span')} in {_plural(self.traces_with_orphans, 'trace')} "
                         "have a parent span that is not in the input (traces cut or sampled): the calls into them "
                         "are not counted")
        if self.late_spans:
            parts.append(f"{_plural(self.late_spans, 'span')} arrived after their trace was closed to keep memory flat")
        if self.unresolved_links:
            parts.append(f"{_plural(self.unresolved_links, 'span link')} point to spans not in the input")
        if self.silent_clients:
            parts.append(f"{_plural(self.silent_clients, 'client span')} with no server span name no peer")
        if self.sampling:
            parts.append("sampling: " + ", ".join(self.sampling))
        parts.extend(self.notes)
        return "; ".join(parts)


@dataclass
class _ServiceTally:
    key: str
    name: str
    location: str
    role: EntityRole
    technology: str | None
    spans: int = 0
    traces: int = 0
    orphans: int = 0
    namespace: str | None = None
    runtime: str | None = None
    aliases: set[str] = field(default_factory=set)
    workloads: set[str] = field(default_factory=set)
    note: str | None = None


@dataclass
class _EdgeTally:
    calls: float = 0.0
    errors: int = 0
    errors_known: bool = False
    operations: set[str] = field(default_factory=set)
    location: str = ""
    example: str | None = None
    protocol: str | None = None
    what: str = "call"


@lru_cache(maxsize=4096)
def service_role(name: str) -> tuple[EntityRole, str | None]:
    """The role of a name seen as a service in telemetry (``redis`` is a cache, ``jaeger-query`` plumbing)."""
    return classify(name)


def datastore_role(system: str) -> tuple[EntityRole, str | None]:
    """Role and technology of a ``db.system`` value (``postgresql`` -> database/postgres)."""
    system = system.lower()
    tech = SCHEME_TECHNOLOGY.get(system)
    hit = TECHNOLOGY_ROLE.get(tech or system) or TECHNOLOGY_ROLE.get(system)
    if hit is not None and hit[1] in ("database", "cache", "search", "storage"):
        return hit[1], hit[0]
    role, found = classify(system)
    if role in ("database", "cache", "search", "storage"):
        return role, found
    return "database", tech or system


def is_ip(host: str) -> bool:
    return bool(_IPV4.match(host)) or ":" in host


def _plural(n: float, word: str) -> str:
    shown = f"{n:,.0f}" if float(n).is_integer() else f"{n:,.2f}"
    return f"{shown} {word}" + ("" if n == 1 else "s")


class EdgeBook:
    """The running tally of one observed input: services, datastores, edges and the accounting."""

    def __init__(self, reader: str, location: str) -> None:
        self.reader = reader
        self.location = location
        self.records = 0
        self.used = 0
        self.skipped_total = 0
        self._skips: list[Skip] = []
        self._services: dict[str, _ServiceTally] = {}
        self._edges: dict[tuple[str, Address | NamedTarget, DependencyKind | None, str | None, str | None],
                          _EdgeTally] = {}
        self.notes: list[str] = []

    # -- accounting -----------------------------------------------------------------------------

    def skip(self, location: str, reason: str, *, always: bool = False) -> None:
        """One record not used (counted in ``records`` by the caller), listed while under the cap.

        ``always`` lists it past the cap too: for the one entry that says why a file stopped early.
        """
        self.skipped_total += 1
        if always or len(self._skips) < MAX_LISTED_SKIPS:
            self._skips.append(Skip(location, reason))

    # -- entities -------------------------------------------------------------------------------

    def key(self, name: str) -> str:
        """The entity key of service ``name`` in this reader's output."""
        return f"{self.reader}:{name}"

    def service(self, name: str, location: str) -> _ServiceTally:
        """The tally of service ``name`` (created on first sight, role from its name)."""
        key = f"{self.reader}:{name}"
        tally = self._services.get(key)
        if tally is None:
            role, tech = service_role(name)
            tally = self._services[key] = _ServiceTally(key, name, location, role, tech)
        return tally

    def datastore(self, name: str, role: EntityRole, technology: str | None, location: str) -> str:
        """Register a datastore seen only as the peer of client calls; returns its entity key."""
        key = f"{self.reader}:{role}/{name}"
        if key not in self._services:
            self._services[key] = _ServiceTally(key, name, location, role, technology)
        return key

    def service_tally(self, key: str) -> _ServiceTally:
        """The tally registered under entity ``key`` (by :meth:`service` or :meth:`datastore`)."""
        return self._services[key]

    # -- edges ----------------------------------------------------------------------------------

    def edge(self, source: str, target: Address | NamedTarget | str, location: str, *,
             kind: DependencyKind | None = None, via: str | None = None, role: str | None = None,
             protocol: str | None = None, operation: str | None = None, error: bool | None = None,
             weight: float = 1.0, errors: int = 0, example: str | None = None, what: str = "call",
             operations: Iterable[str] = ()) -> None:
        """Count ``weight`` observations of ``source`` depending on ``target`` (both entity keys).

        ``target`` is an entity key of this book (a string) or an :class:`Address`/:class:`NamedTarget`
        for the resolver to find. ``error`` counts one error when True (False: a known success);
        ``errors`` adds a known number of errors.
        """
        if isinstance(target, str):
            target = NamedTarget(name=target)
        k = (source, target, kind, via, role)
        tally = self._edges.get(k)
        if tally is None:
            tally = self._edges[k] = _EdgeTally(location=location, example=example, protocol=protocol, what=what)
        tally.calls += weight
        if error is not None:
            tally.errors_known = True
            if error:
                tally.errors += 1
        if errors:
            tally.errors_known = True
            tally.errors += errors
        if operation and len(tally.operations) < MAX_OPERATIONS:
            tally.operations.add(operation[:200])
        for op in operations:
            if len(tally.operations) >= MAX_OPERATIONS:
                break
            tally.operations.add(op[:200])
        if tally.protocol is None and protocol:
            tally.protocol = protocol

    # -- output ---------------------------------------------------------------------------------

    @property
    def edge_count(self) -> int:
        return len(self._edges)

    @property
    def service_count(self) -> int:
        return sum(1 for t in self._services.values() if t.key == self.key(t.name))

    def fragment(self, summary: TraceSummary | None = None) -> Fragment:
        """The fragment: one record per service/datastore, one claim per distinct edge."""
        fragment = Fragment(self.location, self.reader, documents=self.records, used=self.used)
        for key, t in sorted(self._services.items()):
            fragment.entities.append(EntityRecord(
                key=key, name=t.name, role=t.role, reader=self.reader,
                evidence=Evidence(self.reader, t.location, self._service_detail(t)),
                namespace=t.namespace, technology=t.technology, runtime=t.runtime,
                aliases=tuple(sorted(t.aliases - {t.name})), workloads=tuple(sorted(t.workloads)),
            ))
        for (source, target, kind, via, role), e in self._edges.items():
            fragment.claims.append(Claim(
                source=source, target=target,
                evidence=Evidence(self.reader, e.location, self._edge_detail(e, target, via, role)),
                kind=kind, protocol=e.protocol, via=via, role=role, weight=e.calls,
                errors=e.errors if e.errors_known else None, operations=tuple(sorted(e.operations)),
                report_unresolved=True,
            ))
        fragment.skipped.extend(self._skips)
        hidden = self.skipped_total - len(self._skips)
        if hidden > 0:
            fragment.skipped.append(Skip(self.location, f"{hidden:,} more records were skipped for the reasons "
                                                        f"listed above (only the first {MAX_LISTED_SKIPS} are listed)"))
        if summary is not None:
            fragment.extras.append(summary)
            fragment.notes.append(f"{self.location}: {summary.describe()}")
        return fragment

    def summary(self, **counts: object) -> TraceSummary:
        return TraceSummary(self.reader, self.location, self.records, self.used, self.skipped_total,
                            services=self.service_count, edges=self.edge_count,
                            notes=tuple(self.notes), **counts)  # type: ignore[arg-type]

    @staticmethod
    def _service_detail(t: _ServiceTally) -> str:
        if t.note:
            return t.note
        if t.spans:
            detail = f"seen in {_plural(t.spans, 'span')} of {_plural(t.traces, 'trace')}"
            if t.orphans:
                detail += (f"; {_plural(t.orphans, 'span')} whose parent span is missing "
                           "(the trace was cut or sampled)")
            return detail
        if t.role != "service":
            return f"{t.technology or t.role} named by client spans (not instrumented itself)"
        return "named as the peer of client calls (not instrumented itself)"

    def _edge_detail(self, e: _EdgeTally, target: Address | NamedTarget, via: str | None, role: str | None) -> str:
        if role == "produce":
            detail = f"published {_plural(e.calls, 'message')} to '{via}'"
        elif role == "consume":
            detail = f"consumed {_plural(e.calls, 'message')} from '{via}'"
        else:
            detail = _plural(e.calls, e.what)
            if isinstance(target, Address):
                detail += f" to {target.raw or target.host}"
            if via:
                detail += f" via '{via}'"
        if e.errors:
            detail += f", {_plural(e.errors, 'error')}"
        if e.example:
            detail += f" (first in trace {e.example})"
        if e.operations:
            ops = sorted(e.operations)
            detail += "; operations: " + ", ".join(ops[:5]) + (f" and {len(ops) - 5} more" if len(ops) > 5 else "")
        return detail
