"""Rendering a :class:`~advisor.model.Report`: JSON (the schema_version 1 contract), Markdown, CSV.

The JSON is deterministic: keys sorted, floats rounded, no timestamps, so the same inputs and
seed give byte-identical output. Markdown escapes every name and text that came from an input
(no HTML or Markdown can be injected through a service name); CSV neutralises cells that a
spreadsheet would run as a formula.
"""

from __future__ import annotations

import csv
import io
import json
import re
import weakref
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from advisor.model import Impact, PlanStep, Proposal, Report, ServiceMetrics, Signal
from inventory.model import Dependency, Evidence, Inventory, Resource, Service

TOOL = {"name": "sprawl-advisor", "version": "0.1.0"}


# Evidence dicts are shared between the places that cite the same evidence (one dict per Evidence
# object in one rendering): a dependency's evidence is often cited again by a proposal's signal.


class _Evidence:
    """Evidence as plain data, one dict per :class:`Evidence` object for one rendering (keyed by the
    object's identity: the dataclass hash is a Python call, and the objects outlive the rendering)."""

    def __init__(self) -> None:
        self.seen: dict[int, dict[str, str]] = {}

    def __call__(self, items: Iterable[Evidence]) -> list[dict[str, str]]:
        seen = self.seen
        out = []
        for e in items:
            d = seen.get(id(e))
            if d is None:
                d = seen[id(e)] = {"detail": e.detail, "location": e.location, "reader": e.reader}
            out.append(d)
        return out


def _metrics(m: ServiceMetrics) -> dict[str, Any]:
    return {"acs": m.acs, "ads": m.ads, "ais": m.ais, "cluster": m.cluster, "cycle": m.cycle,
            "datastores": list(m.datastores), "fan_in": m.fan_in, "fan_out": m.fan_out, "hub": m.hub,
            "instability": m.instability, "pagerank": m.pagerank, "siy": m.siy}


def _service(s: Service, metrics: ServiceMetrics | None, evidence: _Evidence) -> dict[str, Any]:
    out: dict[str, Any] = {
        "aliases": list(s.aliases), "cpu_request": s.cpu_request, "description": s.description,
        "evidence": evidence(s.evidence), "id": s.id, "images": list(s.images),
        "labels": dict(sorted(s.labels.items())), "lifecycle": s.lifecycle, "memory_request": s.memory_request,
        "name": s.name, "namespace": s.namespace, "owner": s.owner, "replicas": s.replicas, "repo": s.repo,
        "runtime": s.runtime, "sources": list(s.sources), "system": s.system, "workloads": list(s.workloads),
    }
    if metrics is not None:
        out["metrics"] = _metrics(metrics)
    return out


def _resource(r: Resource, evidence: _Evidence) -> dict[str, Any]:
    return {
        "aliases": list(r.aliases), "cpu_request": r.cpu_request, "evidence": evidence(r.evidence),
        "external": r.external, "id": r.id, "images": list(r.images), "kind": r.kind,
        "memory_request": r.memory_request, "name": r.name, "namespace": r.namespace, "owner": r.owner,
        "replicas": r.replicas, "sources": list(r.sources), "technology": r.technology,
    }


def _dependency(d: Dependency, evidence: _Evidence) -> dict[str, Any]:
    return {
        "bases": list(d.bases), "errors": d.errors, "evidence": evidence(d.evidence), "kind": d.kind,
        "operations": list(d.operations), "protocol": d.protocol, "role": d.role, "source": d.source,
        "target": d.target, "via": d.via, "weight": d.weight,
    }


def _signal(s: Signal, evidence: _Evidence) -> dict[str, Any]:
    return {"code": s.code, "direction": s.direction, "evidence": evidence(s.evidence), "name": s.name,
            "points": s.points, "services": list(s.services), "summary": s.summary}


def _impact(i: Impact) -> dict[str, Any]:
    return {
        "assumptions": list(i.assumptions), "cpu_freed": i.cpu_freed, "cpu_request": i.cpu_request,
        "cross_team_edges_removed": i.cross_team_edges_removed, "cycles_removed": i.cycles_removed,
        "deployments_fewer": i.deployments_fewer, "edges_in_process": i.edges_in_process,
        "extra": dict(i.extra), "memory_freed": i.memory_freed, "memory_request": i.memory_request,
        "repositories_fewer": i.repositories_fewer, "services_after": i.services_after,
        "services_before": i.services_before, "sync_edges_in_process": i.sync_edges_in_process,
    }


def _plan(step: PlanStep) -> dict[str, Any]:
    return {"changes": list(step.changes), "risks": list(step.risks), "stage": step.stage, "title": step.title}


def proposal_as_dict(p: Proposal, evidence: _Evidence | None = None) -> dict[str, Any]:
    ev = evidence or _Evidence()
    return {
        "cluster": p.cluster, "counter_signals": [_signal(s, ev) for s in p.counter_signals],
        "decision": dict(p.decision) if p.decision else None, "id": p.id, "impact": _impact(p.impact),
        "members": list(p.members), "plan": [_plan(s) for s in p.plan], "rank": p.rank, "score": p.score,
        "signals": [_signal(s, ev) for s in p.signals], "stability": p.stability, "title": p.title,
    }


def _inventory_parts(inv: Inventory, ev: _Evidence) -> dict[str, Any]:
    """The parts of the report that depend on the inventory alone."""
    return {
        "dependencies": [_dependency(d, ev) for d in inv.dependencies],
        "inputs": [{"documents": a.documents, "format": a.format, "location": a.location, "skipped": a.skipped,
                    "used": a.used} for a in inv.inputs],
        "joins": [{"id": j.id, "names": list(j.names), "rule": j.rule} for j in inv.joins],
        "notes": list(inv.notes),
        "resources": [_resource(r, ev) for r in inv.resources],
        "skipped": [{"location": s.location, "reason": s.reason} for s in inv.skipped],
        "unresolved": [
            {"detail": u.evidence.detail, "location": u.evidence.location, "reader": u.evidence.reader,
             "reason": u.reason, "reference": u.reference, "source": u.source}
            for u in inv.unresolved
        ],
    }


def inventory_json(inventory: Inventory) -> dict[str, bytes] | None:
    """The compact JSON of the report parts that depend on ``inventory`` alone (dependencies,
    resources, unresolved references, inputs, ...), by key, for :func:`cache_json`; None when a
    value is out of orjson's range (the report is then rendered the slow way)."""
    return _dumped(_inventory_parts(inventory, _Evidence()))


def report_as_dict(report: Report) -> dict[str, Any]:
    """The report as plain data in the documented schema (see docs/report-format.md)."""
    ev = _Evidence()
    return _report_data(report, _inventory_parts(report.inventory, ev), ev)


def _measured_parts(report: Report, ev: _Evidence) -> dict[str, Any]:
    """The parts of the report known once the metrics are (before the proposals)."""
    inv = report.inventory
    metrics = {m.id: m for m in report.service_metrics}
    sysm = report.system_metrics
    return {
        "clusters": [
            {"cohesion": round(c.cohesion, 4), "external_weight": c.external_weight, "id": c.id,
             "internal_weight": c.internal_weight, "members": list(c.members)}
            for c in report.clusters
        ],
        "coupling": [{"a": e.a, "b": e.b, "reasons": list(e.reasons), "weight": e.weight} for e in report.coupling],
        "metrics": {
            "cross_team_edges": sysm.cross_team_edges, "cycles": [list(c) for c in sysm.cycles],
            "dependencies": dict(sysm.dependencies), "hubs": list(sysm.hubs),
            "infrastructure": list(sysm.infrastructure), "modularity": sysm.modularity,
            "mutual_pairs": [list(p) for p in sysm.mutual_pairs], "resources": sysm.resources,
            "services": sysm.services,
            "shared_datastores": {k: list(v) for k, v in sorted(sysm.shared_datastores.items())},
        },
        "services": [_service(s, metrics.get(s.id), ev) for s in inv.services],
    }


def measured_json(report: Report) -> dict[str, bytes] | None:
    """The compact JSON of the report parts known before its proposals (services with their
    metrics, clusters, the coupling list, the system metrics), by key, for :func:`cache_json`:
    ``report`` may have no proposals yet. None when a value is out of orjson's range."""
    return _dumped(_measured_parts(report, _Evidence()))


def _dumped(parts: Mapping[str, Any]) -> dict[str, bytes] | None:
    """Each part as compact JSON with sorted keys; None when a value is out of orjson's range."""
    try:
        return {k: orjson.dumps(v, option=orjson.OPT_SORT_KEYS) for k, v in parts.items()}
    except orjson.JSONEncodeError:
        return None


def _report_data(report: Report, inventory_parts: Mapping[str, Any], ev: _Evidence,
                 measured_parts: Mapping[str, Any] | None = None) -> dict[str, Any]:
    inv = report.inventory
    return {
        **inventory_parts,
        **(measured_parts if measured_parts is not None else _measured_parts(report, ev)),
        "proposals": [proposal_as_dict(p, ev) for p in report.proposals],
        "schema_version": report.schema_version,
        "settings": dict(report.settings),
        "summary": {
            "clusters": len(report.clusters), "dependencies": len(inv.dependencies), "inputs": len(inv.inputs),
            "proposals": len(report.proposals), "resources": len(inv.resources), "services": len(inv.services),
            "skipped": len(inv.skipped), "unresolved": len(inv.unresolved),
        },
        "tool": dict(TOOL),
    }


def render_json_bytes(report: Report, *, pretty: bool = False) -> bytes:
    """The report as UTF-8 JSON, compact by default, indented with ``pretty``; keys sorted either
    way, so the same inputs and seed give byte-identical output.

    The encoder is orjson: on 20,000 services the report is about 115 MB and the standard library's
    C encoder took 1.3 s of it where orjson takes 0.15 s; it also makes the bytes a file needs
    directly (decoding them to text and encoding that again cost another 0.7 s). Floats are written
    in their shortest round-trip form (``0.0000603547``, not ``6.03547e-05``). What orjson refuses,
    which only a hostile input can produce (an integer beyond 64 bits, a lone surrogate in a name
    from a JSON input), goes through the standard library instead, with the same keys and structure
    (and ``\\ud800``-style escapes where UTF-8 cannot hold a character).

    The compact JSON of a report kept by :func:`cache_json` is returned as it was kept.
    """
    if not pretty:
        kept = _kept_json(report)
        if kept is not None:
            return kept
    option = orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE | (orjson.OPT_INDENT_2 if pretty else 0)
    try:
        return orjson.dumps(report_as_dict(report), option=option)
    except orjson.JSONEncodeError:
        return _standard_json(report_as_dict(report), pretty)


def _standard_json(data: dict[str, Any], pretty: bool) -> bytes:
    layout: dict[str, Any] = {"indent": 2} if pretty else {"separators": (",", ":")}
    try:
        return (json.dumps(data, sort_keys=True, ensure_ascii=False, **layout) + "\n").encode()
    except UnicodeEncodeError:  # a lone surrogate: escaped, as JSON allows
        return (json.dumps(data, sort_keys=True, ensure_ascii=True, **layout) + "\n").encode()


def cache_json(report: Report, inventory_parts: Mapping[str, bytes | memoryview] | None = None,
               measured_parts: Mapping[str, bytes | memoryview] | None = None) -> bytes | None:
    """The compact JSON of ``report`` for a cache entry, kept with the report so that
    :func:`render_json_bytes` returns these bytes for it; None (and nothing kept) when orjson
    cannot render it, since :mod:`advisor.loading` could not then read back the same report.

    ``inventory_parts`` is :func:`inventory_json` of ``report.inventory`` and ``measured_parts``
    :func:`measured_json` of the report, when worked out already (by the analysis, in forked
    children, while it had a core to spare; views of the children's memory, which are copied
    once, into the report's JSON).
    """
    ev = _Evidence()
    data = _report_data(report, _inventory_parts(report.inventory, ev) if inventory_parts is None else {}, ev,
                        None if measured_parts is None else {})
    try:
        rendered: dict[str, bytes | memoryview] = {
            k: orjson.dumps(v, option=orjson.OPT_SORT_KEYS) for k, v in data.items()}
    except orjson.JSONEncodeError:
        return None
    rendered.update(inventory_parts or {})
    rendered.update(measured_parts or {})
    joined = _joined(rendered)
    keep_json(report, joined)
    return joined


def _joined(parts: Mapping[str, bytes | memoryview]) -> bytes:
    """The JSON object of values rendered already, keys sorted, and a newline: the bytes of
    ``orjson.dumps`` of those values (as ``orjson.Fragment``) with ``OPT_SORT_KEYS`` and
    ``OPT_APPEND_NEWLINE``, every value copied once (116 MB at 20,000 services)."""
    pieces: list[bytes | memoryview] = []
    for key in sorted(parts):
        pieces.append(b"," if pieces else b"{")
        pieces.append(orjson.dumps(key) + b":")
        pieces.append(parts[key])
    pieces.append(b"}\n" if pieces else b"{}\n")
    return b"".join(pieces)


# The compact JSON kept for reports, by the report's identity (a Report's dataclass hash would hash
# the whole inventory), each dropped when its report is collected. No lock: each dictionary
# operation is atomic, and a lock taken by ``forget`` could deadlock when the collector runs it in
# a thread that holds that lock. A race can at worst drop an entry (rendered again), never serve
# one report's JSON for another (:func:`_kept_json` checks the object itself).
_KEPT: dict[int, tuple[weakref.ref[Report], bytes]] = {}


def keep_json(report: Report, data: bytes) -> None:
    """Remember ``data`` as ``report``'s compact JSON (see :func:`render_json_bytes`); the caller
    vouches that it is exactly what rendering ``report`` gives, as for a report read back from it
    (:mod:`advisor.loading`)."""
    key = id(report)

    def forget(ref: weakref.ref[Report]) -> None:
        entry = _KEPT.get(key)
        if entry is not None and entry[0] is ref:
            _KEPT.pop(key, None)

    _KEPT[key] = (weakref.ref(report, forget), data)


def _kept_json(report: Report) -> bytes | None:
    entry = _KEPT.get(id(report))
    if entry is None or entry[0]() is not report:
        return None
    return entry[1]


def render_json(report: Report, *, pretty: bool = False) -> str:
    """:func:`render_json_bytes` as text."""
    return render_json_bytes(report, pretty=pretty).decode("utf-8")


# ----------------------------------------------------------------------------------------------
# Markdown
# ----------------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>])")


def md(text: object) -> str:
    """Escape input-derived text for Markdown: HTML entities and Markdown punctuation.

    >>> md("<script>alert(1)</script> *x*")
    '&lt;script&gt;alert\\\\(1\\\\)&lt;/script&gt; \\\\*x\\\\*'
    """
    s = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = s.replace("\r", " ").replace("\n", " ")
    return _MD_SPECIAL.sub(r"\\\1", s)


def code(text: object) -> str:
    """Input-derived text as an inline code span (safe in tables: no backticks, no pipes)."""
    s = str(text).replace("`", "'").replace("|", "\\|").replace("\r", " ").replace("\n", " ")
    return f"`{s}`"


def _fmt_mem(n: int | None) -> str:
    return "unknown" if n is None else f"{n / (1024 * 1024):,.0f} MiB"


def _fmt_cpu(c: float | None) -> str:
    return "unknown" if c is None else f"{c:g} cores"


def render_markdown(report: Report) -> str:
    """A human-readable report: summary, proposals with evidence, clusters, skipped, unresolved."""
    inv = report.inventory
    sysm = report.system_metrics
    lines = ["# Service consolidation report", ""]
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(sysm.dependencies.items()))
    lines += [
        f"- **{len(inv.services)}** services, **{len(inv.resources)}** resources, "
        f"**{len(inv.dependencies)}** dependencies ({kinds or 'none'})",
        f"- **{len(report.clusters)}** clusters, **{len(report.proposals)}** merge proposals",
        f"- {len(sysm.cycles)} synchronous cycles, {len(sysm.mutual_pairs)} mutually dependent pairs, "
        f"hubs: {', '.join(md(h) for h in sysm.hubs) or 'none'}",
        f"- {sum(a.documents for a in inv.inputs)} documents read from {len(inv.inputs)} files; "
        f"{len(inv.skipped)} skipped, {len(inv.unresolved)} unresolved references",
        "",
    ]
    lines.append("## Proposals")
    lines.append("")
    if not report.proposals:
        lines += ["No merge is proposed: no group of services is joined by strong enough evidence.", ""]
    for p in report.proposals:
        lines += render_proposal_markdown(p, heading="###")
    if report.clusters:
        lines += ["## Clusters", "", "| cluster | members | cohesion |", "|---|---|---|"]
        for c in report.clusters:
            lines.append(f"| {md(c.id)} | {', '.join(md(m) for m in c.members)} | {c.cohesion:.2f} |")
        lines.append("")
    if inv.notes:
        lines += ["## Notes on the inputs", ""]
        lines += [f"- {md(n)}" for n in inv.notes]
        lines.append("")
    if inv.unresolved:
        lines += ["## Unresolved references", "", "| from | reference | where | reason |", "|---|---|---|---|"]
        for u in inv.unresolved:
            lines.append(f"| {md(u.source)} | {md(u.reference)} | {code(u.evidence.location)} | {md(u.reason)} |")
        lines.append("")
    if inv.skipped:
        lines += ["## Skipped inputs", "", "| where | reason |", "|---|---|"]
        for s in inv.skipped:
            lines.append(f"| {code(s.location)} | {md(s.reason)} |")
        lines.append("")
    return "\n".join(lines)


def render_proposal_markdown(p: Proposal, *, heading: str = "###") -> list[str]:
    lines = [f"{heading} {p.rank}. {md(p.title)} (`{p.id}`, score {p.score:.2f})", ""]
    if p.decision:
        lines += [f"Decision: **{md(p.decision.get('status', ''))}** — {md(p.decision.get('reason', ''))}", ""]
    lines.append(f"Members: {', '.join(md(m) for m in p.members)}")
    if p.stability is not None:
        lines.append(f"Stability: together in {p.stability:.0%} of clustering runs")
    lines.append("")
    lines.append("**For**")
    lines.append("")
    for s in p.signals:
        lines += _signal_md(s)
    lines.append("")
    lines.append("**Against**")
    lines.append("")
    if not p.counter_signals:
        lines.append("- nothing found")
    for s in p.counter_signals:
        lines += _signal_md(s)
    lines.append("")
    i = p.impact
    lines += [
        "**Impact**", "",
        f"- services {i.services_before} → {i.services_after}; deployments −{i.deployments_fewer}; "
        f"repositories −{i.repositories_fewer}",
        f"- {i.edges_in_process} dependencies become in-process ({i.sync_edges_in_process} synchronous hops); "
        f"{i.cycles_removed} cycles removed; {i.cross_team_edges_removed} cross-team edges removed",
        f"- requests of the members: {_fmt_cpu(i.cpu_request)}, {_fmt_mem(i.memory_request)}; "
        f"per-pod overhead freed: {_fmt_cpu(i.cpu_freed)}, {_fmt_mem(i.memory_freed)}",
    ]
    lines += [f"- assumes {md(a)}" for a in i.assumptions]
    lines.append("")
    if p.plan:
        lines += ["**Plan**", ""]
        for n, step in enumerate(p.plan, 1):
            lines.append(f"{n}. {md(step.title)}")
            lines += [f"   - {md(c)}" for c in step.changes]
            lines += [f"   - risk: {md(r)}" for r in step.risks]
        lines.append("")
    return lines


def _signal_md(s: Signal) -> list[str]:
    out = [f"- `{s.name}` ({s.code}, {s.points:+g}): {md(s.summary)}"]
    for e in s.evidence:
        out.append(f"  - {code(e.location)} — {md(e.detail)} ({md(e.reader)})")
    return out


# ----------------------------------------------------------------------------------------------
# CSV
# ----------------------------------------------------------------------------------------------

_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A CSV cell a spreadsheet will not execute: formula-looking text gets a leading quote.

    >>> csv_cell("=HYPERLINK(1)"), csv_cell(-1.5), csv_cell("orders")
    ("'=HYPERLINK(1)", '-1.5', 'orders')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA) else text


PROPOSAL_COLUMNS = (
    "proposal_id", "rank", "title", "score", "stability", "members", "member_count", "owners", "signals",
    "counter_signals", "services_fewer", "deployments_fewer", "repositories_fewer", "edges_in_process",
    "sync_edges_in_process", "cycles_removed", "cross_team_edges_removed", "cpu_request_cores",
    "memory_request_bytes", "cpu_freed_cores", "memory_freed_bytes", "decision",
)


def render_csv(report: Report) -> str:
    """One row per proposal (members joined with ``;``)."""
    owners = {s.id: s.owner for s in report.inventory.services}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(PROPOSAL_COLUMNS)
    for p in report.proposals:
        i = p.impact
        row = [
            p.id, p.rank, p.title, p.score, p.stability, ";".join(p.members), len(p.members),
            ";".join(sorted({owners.get(m) or "" for m in p.members} - {""})),
            ";".join(s.name for s in p.signals), ";".join(s.name for s in p.counter_signals),
            len(p.members) - 1, i.deployments_fewer, i.repositories_fewer, i.edges_in_process,
            i.sync_edges_in_process, i.cycles_removed, i.cross_team_edges_removed, i.cpu_request, i.memory_request,
            i.cpu_freed, i.memory_freed, (p.decision or {}).get("status"),
        ]
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue()


def render(report: Report, fmt: str, *, pretty: bool = False) -> str:
    from advisor import records

    renderers: Mapping[str, Any] = {"json": render_json, "markdown": render_markdown, "md": render_markdown,
                                    "csv": render_csv, "graphml": records.render_graphml, "dot": records.render_dot,
                                    "backstage": records.render_backstage_patch}
    if fmt not in renderers:
        raise ValueError(f"unknown format {fmt!r}; choose json, markdown, csv, graphml, dot or backstage")
    if fmt == "json":
        return render_json(report, pretty=pretty)
    result: str = renderers[fmt](report)
    return result


def render_bytes(report: Report, fmt: str, *, pretty: bool = False) -> bytes:
    """:func:`render` as the UTF-8 bytes a file or a pipe takes (JSON without a detour through text)."""
    if fmt == "json":
        return render_json_bytes(report, pretty=pretty)
    # a lone surrogate (from a JSON input) cannot be UTF-8: it is written as a backslash escape
    return render(report, fmt, pretty=pretty).encode("utf-8", errors="backslashreplace")
