"""A JSON report (schema_version 1, see docs/report-format.md) read back into a :class:`Report`.

The JSON holds everything a report shows: a report read back renders the very same bytes in
every format, and answers the decisions store as the original did. Two things are not in the
JSON and so not in a report read back: git change history and the co-change pairs from it (a
report made with ``--git`` still cites them in its signals, as text).

The report cache (:mod:`advisor.api`) keeps reports this way: a cache entry is the JSON the run
rendered anyway, so storing it costs a file write where a pickle of the objects cost more than
rendering, and the entry is data, not code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import orjson

from advisor.model import (
    SCHEMA_VERSION,
    Cluster,
    CouplingEdge,
    Impact,
    PlanStep,
    Proposal,
    Report,
    ServiceMetrics,
    Signal,
    SystemMetrics,
)
from inventory.errors import InputError
from inventory.model import (
    Dependency,
    Evidence,
    InputAccount,
    Inventory,
    Join,
    Resource,
    Service,
    Skipped,
    Unresolved,
)


def load_report(data: bytes | str, location: str = "report") -> Report:
    """A report from its JSON text; InputError naming ``location`` when it is not a schema_version 1
    report."""
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InputError(location, f"not JSON: {exc}") from None
    return report_from_dict(parsed, location)


def report_from_dict(data: Any, location: str = "report") -> Report:
    """A report from the plain data of :func:`advisor.exports.report_as_dict`."""
    if not isinstance(data, dict) or "schema_version" not in data:
        raise InputError(location, "not an advisor report: it has no schema_version")
    if data["schema_version"] != SCHEMA_VERSION:
        raise InputError(location, f"report schema_version {data['schema_version']!r} is not {SCHEMA_VERSION}, "
                                   "the one this advisor reads")
    try:
        return _report(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(location, f"malformed report ({type(exc).__name__}: {exc})") from None


class _Evidence:
    """One :class:`Evidence` per distinct (reader, location, detail): the JSON repeats an item
    wherever it is cited, the report shares one object."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str, str], Evidence] = {}

    def __call__(self, items: list[dict[str, str]]) -> tuple[Evidence, ...]:
        return tuple(self.one(d) for d in items)

    def one(self, d: Mapping[str, str]) -> Evidence:
        key = (d["reader"], d["location"], d["detail"])
        e = self.seen.get(key)
        if e is None:
            e = self.seen[key] = Evidence(*key)
        return e


def _pairs(items: list[list[str]]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(p) for p in items)


def _service(d: dict[str, Any], evidence: _Evidence) -> Service:
    return Service(
        id=d["id"], name=d["name"], namespace=d["namespace"], owner=d["owner"], repo=d["repo"],
        runtime=d["runtime"], images=tuple(d["images"]), replicas=d["replicas"], cpu_request=d["cpu_request"],
        memory_request=d["memory_request"], labels=d["labels"], workloads=tuple(d["workloads"]),
        system=d["system"], lifecycle=d["lifecycle"], description=d["description"], aliases=tuple(d["aliases"]),
        sources=tuple(d["sources"]), evidence=evidence(d["evidence"]),
    )


def _metrics(service_id: str, d: dict[str, Any]) -> ServiceMetrics:
    return ServiceMetrics(
        id=service_id, fan_in=d["fan_in"], fan_out=d["fan_out"], ais=d["ais"], ads=d["ads"], acs=d["acs"],
        instability=d["instability"], siy=d["siy"], pagerank=d["pagerank"], cycle=d["cycle"], hub=d["hub"],
        cluster=d["cluster"], datastores=tuple(d["datastores"]),
    )


def _resource(d: dict[str, Any], evidence: _Evidence) -> Resource:
    return Resource(
        id=d["id"], name=d["name"], kind=d["kind"], technology=d["technology"], namespace=d["namespace"],
        owner=d["owner"], external=d["external"], images=tuple(d["images"]), replicas=d["replicas"],
        cpu_request=d["cpu_request"], memory_request=d["memory_request"], aliases=tuple(d["aliases"]),
        sources=tuple(d["sources"]), evidence=evidence(d["evidence"]),
    )


def _dependency(d: dict[str, Any], evidence: _Evidence) -> Dependency:
    return Dependency(
        source=d["source"], target=d["target"], kind=d["kind"], evidence=evidence(d["evidence"]),
        protocol=d["protocol"], via=d["via"], role=d["role"], weight=d["weight"], errors=d["errors"],
        operations=tuple(d["operations"]),
    )


def _signal(d: dict[str, Any], evidence: _Evidence) -> Signal:
    return Signal(code=d["code"], name=d["name"], direction=d["direction"], points=d["points"],
                  summary=d["summary"], services=tuple(d["services"]), evidence=evidence(d["evidence"]))


def _impact(d: dict[str, Any]) -> Impact:
    return Impact(
        services_before=d["services_before"], services_after=d["services_after"],
        deployments_fewer=d["deployments_fewer"], repositories_fewer=d["repositories_fewer"],
        edges_in_process=d["edges_in_process"], sync_edges_in_process=d["sync_edges_in_process"],
        cycles_removed=d["cycles_removed"], cross_team_edges_removed=d["cross_team_edges_removed"],
        cpu_request=d["cpu_request"], memory_request=d["memory_request"], cpu_freed=d["cpu_freed"],
        memory_freed=d["memory_freed"], assumptions=tuple(d["assumptions"]), extra=d["extra"],
    )


def _proposal(d: dict[str, Any], evidence: _Evidence) -> Proposal:
    return Proposal(
        id=d["id"], rank=d["rank"], members=tuple(d["members"]), score=d["score"],
        signals=tuple(_signal(s, evidence) for s in d["signals"]),
        counter_signals=tuple(_signal(s, evidence) for s in d["counter_signals"]),
        impact=_impact(d["impact"]), title=d["title"], cluster=d["cluster"], stability=d["stability"],
        plan=tuple(PlanStep(stage=s["stage"], title=s["title"], changes=tuple(s["changes"]), risks=tuple(s["risks"]))
                   for s in d["plan"]),
        decision=d["decision"],
    )


def _system(d: dict[str, Any]) -> SystemMetrics:
    return SystemMetrics(
        services=d["services"], resources=d["resources"], dependencies=d["dependencies"],
        cycles=_pairs(d["cycles"]), mutual_pairs=_pairs(d["mutual_pairs"]),  # type: ignore[arg-type]
        hubs=tuple(d["hubs"]), shared_datastores={k: tuple(v) for k, v in d["shared_datastores"].items()},
        infrastructure=tuple(d["infrastructure"]), cross_team_edges=d["cross_team_edges"],
        modularity=d["modularity"],
    )


def _all(items: list[Any], make: Callable[[Any], Any]) -> tuple[Any, ...]:
    return tuple(make(x) for x in items)


def _report(data: Mapping[str, Any]) -> Report:
    ev = _Evidence()
    services = data["services"]
    inventory = Inventory(
        services=tuple(_service(s, ev) for s in services),
        resources=tuple(_resource(r, ev) for r in data["resources"]),
        dependencies=tuple(_dependency(d, ev) for d in data["dependencies"]),
        skipped=_all(data["skipped"], lambda s: Skipped(location=s["location"], reason=s["reason"])),
        unresolved=_all(data["unresolved"], lambda u: Unresolved(
            source=u["source"], reference=u["reference"], reason=u["reason"],
            evidence=ev.one(u))),
        joins=_all(data["joins"], lambda j: Join(id=j["id"], names=tuple(j["names"]), rule=j["rule"])),
        inputs=_all(data["inputs"], lambda a: InputAccount(
            location=a["location"], format=a["format"], documents=a["documents"], used=a["used"],
            skipped=a["skipped"])),
        notes=tuple(data["notes"]),
    )
    return Report(
        inventory=inventory,
        service_metrics=tuple(_metrics(s["id"], s["metrics"]) for s in services if "metrics" in s),
        system_metrics=_system(data["metrics"]),
        coupling=_all(data["coupling"], lambda e: CouplingEdge(a=e["a"], b=e["b"], weight=e["weight"],
                                                                reasons=tuple(e["reasons"]))),
        clusters=_all(data["clusters"], lambda c: Cluster(
            id=c["id"], members=tuple(c["members"]), internal_weight=c["internal_weight"],
            external_weight=c["external_weight"])),
        proposals=tuple(_proposal(p, ev) for p in data["proposals"]),
        settings=data["settings"],
        schema_version=data["schema_version"],
    )
