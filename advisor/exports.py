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
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from typing import Any

from advisor.model import Impact, PlanStep, Proposal, Report, ServiceMetrics, Signal
from inventory.model import Dependency, Evidence, Resource, Service

TOOL = {"name": "sprawl-advisor", "version": "0.1.0"}


def _evidence(items: Iterable[Evidence]) -> list[dict[str, str]]:
    return [e.as_dict() for e in items]


def _service(s: Service, metrics: ServiceMetrics | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": s.id, "name": s.name, "namespace": s.namespace, "owner": s.owner, "repo": s.repo,
        "runtime": s.runtime, "images": list(s.images), "replicas": s.replicas, "cpu_request": s.cpu_request,
        "memory_request": s.memory_request, "labels": dict(sorted(s.labels.items())), "workloads": list(s.workloads),
        "system": s.system, "lifecycle": s.lifecycle, "description": s.description, "aliases": list(s.aliases),
        "sources": list(s.sources), "evidence": _evidence(s.evidence),
    }
    if metrics is not None:
        m = asdict(metrics)
        m.pop("id", None)
        m["datastores"] = list(metrics.datastores)
        out["metrics"] = m
    return out


def _resource(r: Resource) -> dict[str, Any]:
    return {
        "id": r.id, "name": r.name, "kind": r.kind, "technology": r.technology, "namespace": r.namespace,
        "owner": r.owner, "external": r.external, "images": list(r.images), "replicas": r.replicas,
        "cpu_request": r.cpu_request, "memory_request": r.memory_request, "aliases": list(r.aliases),
        "sources": list(r.sources), "evidence": _evidence(r.evidence),
    }


def _dependency(d: Dependency) -> dict[str, Any]:
    return {
        "source": d.source, "target": d.target, "kind": d.kind, "protocol": d.protocol, "via": d.via,
        "role": d.role, "weight": d.weight, "errors": d.errors, "operations": list(d.operations),
        "bases": list(d.bases), "evidence": _evidence(d.evidence),
    }


def _signal(s: Signal) -> dict[str, Any]:
    return {"code": s.code, "name": s.name, "direction": s.direction, "points": s.points, "summary": s.summary,
            "services": list(s.services), "evidence": _evidence(s.evidence)}


def _impact(i: Impact) -> dict[str, Any]:
    out = asdict(i)
    out["assumptions"] = list(i.assumptions)
    out["extra"] = dict(i.extra)
    return out


def _plan(step: PlanStep) -> dict[str, Any]:
    return {"stage": step.stage, "title": step.title, "changes": list(step.changes), "risks": list(step.risks)}


def proposal_as_dict(p: Proposal) -> dict[str, Any]:
    return {
        "id": p.id, "rank": p.rank, "title": p.title, "members": list(p.members), "score": p.score,
        "cluster": p.cluster, "stability": p.stability,
        "signals": [_signal(s) for s in p.signals], "counter_signals": [_signal(s) for s in p.counter_signals],
        "impact": _impact(p.impact), "plan": [_plan(s) for s in p.plan],
        "decision": dict(p.decision) if p.decision else None,
    }


def report_as_dict(report: Report) -> dict[str, Any]:
    """The report as plain data in the documented schema (see docs/report-format.md)."""
    inv = report.inventory
    metrics = {m.id: m for m in report.service_metrics}
    sysm = report.system_metrics
    return {
        "schema_version": report.schema_version,
        "tool": TOOL,
        "settings": dict(report.settings),
        "summary": {
            "services": len(inv.services), "resources": len(inv.resources), "dependencies": len(inv.dependencies),
            "clusters": len(report.clusters), "proposals": len(report.proposals), "skipped": len(inv.skipped),
            "unresolved": len(inv.unresolved), "inputs": len(inv.inputs),
        },
        "inputs": [a.as_dict() for a in inv.inputs],
        "services": [_service(s, metrics.get(s.id)) for s in inv.services],
        "resources": [_resource(r) for r in inv.resources],
        "dependencies": [_dependency(d) for d in inv.dependencies],
        "joins": [{"id": j.id, "names": list(j.names), "rule": j.rule} for j in inv.joins],
        "metrics": {
            "services": sysm.services, "resources": sysm.resources, "dependencies": dict(sysm.dependencies),
            "cycles": [list(c) for c in sysm.cycles], "mutual_pairs": [list(p) for p in sysm.mutual_pairs],
            "hubs": list(sysm.hubs),
            "shared_datastores": {k: list(v) for k, v in sorted(sysm.shared_datastores.items())},
            "infrastructure": list(sysm.infrastructure), "cross_team_edges": sysm.cross_team_edges,
            "modularity": sysm.modularity,
        },
        "coupling": [{"a": e.a, "b": e.b, "weight": e.weight, "reasons": list(e.reasons)} for e in report.coupling],
        "clusters": [
            {"id": c.id, "members": list(c.members), "internal_weight": c.internal_weight,
             "external_weight": c.external_weight, "cohesion": round(c.cohesion, 4)}
            for c in report.clusters
        ],
        "proposals": [proposal_as_dict(p) for p in report.proposals],
        "notes": list(inv.notes),
        "skipped": [s.as_dict() for s in inv.skipped],
        "unresolved": [
            {"source": u.source, "reference": u.reference, "location": u.evidence.location,
             "detail": u.evidence.detail, "reader": u.evidence.reader, "reason": u.reason}
            for u in inv.unresolved
        ],
    }


def render_json(report: Report, *, pretty: bool = False) -> str:
    """The report as JSON: compact by default (the C encoder; indenting is several times slower on
    large inventories), indented with ``pretty``. Either way keys are sorted: byte-identical for
    the same inputs and seed."""
    data = report_as_dict(report)
    if pretty:
        return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"


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
