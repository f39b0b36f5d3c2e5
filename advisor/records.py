"""Exports for the places decisions and architecture live: MADR decision records, Backstage
``System`` patches, and the coupling graph as GraphML and Graphviz DOT.

* :func:`render_madr` writes one proposal as a MADR 4 decision record: status from the decisions
  store (``proposed``, ``accepted``, ``rejected``), the evidence as context, the options merge /
  keep / colocate only, the impact and counter-signals as consequences.
* :func:`render_backstage_patch` writes, per proposal, a ``System`` for the merged group and a
  patch setting ``spec.system`` on each member Component, as multi-document YAML to apply by PR.
* :func:`render_graphml` and :func:`render_dot` write the coupling graph with clusters and
  proposals as node attributes (DOT draws each cluster as a box).

Everything here is deterministic and escapes input-derived text for its target format.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

import networkx as nx
import yaml

from advisor.exports import code, md
from advisor.model import Proposal, Report, Signal

_SLUG = re.compile(r"[^a-z0-9]+")


def _slug(text: str, limit: int = 63) -> str:
    s = _SLUG.sub("-", text.lower()).strip("-")
    return (s[:limit].rstrip("-") or "group")


def _madr_status(p: Proposal) -> tuple[str, str | None, str | None]:
    d = dict(p.decision or {})
    status = d.get("status")
    if status == "accepted":
        return "accepted", d.get("decided_at", "")[:10] or None, d.get("reason")
    if status == "rejected":
        return "rejected", d.get("decided_at", "")[:10] or None, d.get("reason")
    if status == "deferred":
        return "proposed", d.get("decided_at", "")[:10] or None, f"deferred: {d.get('reason', '')}"
    if status == "reconsider":
        return "proposed", None, f"rejected earlier ({d.get('reason', '')}); evidence changed: {d.get('changed', '')}"
    return "proposed", None, None


def _bullets(signals: Sequence[Signal]) -> list[str]:
    return [f"* `{s.name}`: {md(s.summary)}" for s in signals]


def madr_filename(p: Proposal, number: int | None = None) -> str:
    n = number if number is not None else p.rank
    return f"{n:04d}-{_slug(p.title, 60)}.md"


def render_madr(p: Proposal, report: Report) -> str:
    """One proposal as a MADR 4.0 decision record (Markdown with YAML front matter)."""
    status, date, note = _madr_status(p)
    owners = sorted({s.owner for s in report.inventory.services if s.id in p.members and s.owner})
    front = {"status": status}
    if date:
        front["date"] = date
    if owners:
        front["decision-makers"] = ", ".join(owners)
    lines = ["---", yaml.safe_dump(front, sort_keys=False, allow_unicode=True).strip(), "---", ""]
    members = ", ".join(md(m) for m in p.members)
    i = p.impact
    lines += [f"# {md(p.title)}", "", "## Context and Problem Statement", ""]
    lines.append(
        f"The services {members} are coupled more tightly than their boundaries suggest. The consolidation "
        f"advisor proposed merging them (proposal `{p.id}`, score {p.score:.2f}"
        + (f", together in {p.stability:.0%} of clustering runs" if p.stability is not None else "") + ")."
    )
    if note:
        lines += ["", f"Decision note: {md(note)}"]
    lines += ["", "Evidence:", ""]
    for s in p.signals:
        lines.append(f"* `{s.name}` ({s.code}): {md(s.summary)}")
        lines += [f"  * {code(e.location)}: {md(e.detail)}" for e in s.evidence]
    lines += ["", "## Decision Drivers", ""]
    lines += _bullets(p.signals) or ["* none"]
    lines += _bullets(p.counter_signals)
    lines += ["", "## Considered Options", "",
              f"* Merge {members} into one service",
              "* Keep them as separate services",
              "* Colocate only: deploy them together (one pod or process) behind their existing APIs", ""]
    lines += ["## Decision Outcome", ""]
    if status == "accepted":
        reason = md(dict(p.decision or {}).get("reason", ""))
        lines.append(f'Chosen option: "Merge {members} into one service", because {reason}.')
    elif status == "rejected":
        reason = md(dict(p.decision or {}).get("reason", ""))
        lines.append(f'Chosen option: "Keep them as separate services", because {reason}.')
    else:
        lines.append(f'Proposed option: "Merge {members} into one service", staged as below; not decided yet.')
    lines += ["", "### Consequences", ""]
    lines += [
        f"* Good, because services go from {i.services_before} to {i.services_after}, with {i.deployments_fewer} "
        f"deployments and {i.repositories_fewer} repositories fewer",
        f"* Good, because {i.edges_in_process} dependencies become in-process calls ({i.sync_edges_in_process} "
        f"synchronous network hops) and {i.cycles_removed} cycles disappear",
    ]
    if i.cpu_freed or i.memory_freed:
        lines.append(f"* Good, because about {i.cpu_freed:g} cores and {(i.memory_freed or 0) / 1048576:,.0f} MiB of "
                     "per-pod overhead are freed")
    lines += [f"* Bad, because {md(s.summary)} (`{s.name}`)" for s in p.counter_signals]
    lines += [f"* Assumes {md(a)}" for a in i.assumptions]
    lines += ["", "### Confirmation", "",
              "The merge is done when the members deploy as one unit, the calls listed under the plan are local, "
              "and the advisor no longer finds the signals above between them.", ""]
    lines += ["## Pros and Cons of the Options", "", "### Merge into one service", ""]
    lines += [f"* Good, because {md(s.summary)}" for s in p.signals]
    lines += [f"* Bad, because {md(s.summary)}" for s in p.counter_signals]
    lines += ["", "### Keep them as separate services", "",
              "* Good, because nothing changes now",
              "* Bad, because every coupling above keeps costing a network hop, a deployment and a release "
              "to coordinate",
              "", "### Colocate only", "",
              "* Good, because the calls become local without touching the code (stage 1 of the plan)",
              "* Neutral, because repositories, pipelines and data stay separate", ""]
    lines += ["## More Information", "", "Staged plan:", ""]
    for n, step in enumerate(p.plan, 1):
        lines.append(f"{n}. {md(step.title)}")
        lines += [f"   * {md(c)}" for c in step.changes]
        lines += [f"   * risk: {md(r)}" for r in step.risks]
    lines.append("")
    return "\n".join(lines)


def render_madr_all(report: Report) -> dict[str, str]:
    """File name -> decision record, for every proposal (numbered by rank)."""
    return {madr_filename(p): render_madr(p, report) for p in report.proposals}


def _common_prefix(names: Sequence[str]) -> str:
    first, *rest = sorted(names)
    prefix = first
    for n in rest:
        while not n.startswith(prefix):
            prefix = prefix[:-1]
    return prefix.rstrip("-_.")


def system_name(p: Proposal, report: Report) -> str:
    """``<prefix>-consolidated`` from the members' common name prefix, else from the member most
    depended on inside the group."""
    prefix = _common_prefix(p.members)
    if len(prefix) < 3:
        members = set(p.members)
        callers: dict[str, int] = dict.fromkeys(p.members, 0)
        for d in report.inventory.dependencies:
            if d.source in members and d.target in members and d.source != d.target:
                callers[d.target] += 1
        prefix = max(sorted(p.members), key=lambda m: callers[m])
    return _slug(f"{prefix}-consolidated")


def render_backstage_patch(report: Report) -> str:
    """A multi-document catalog YAML: per proposal a System and a ``spec.system`` patch per member."""
    services = {s.id: s for s in report.inventory.services}
    catalog_names = _catalog_names(report)
    docs: list[dict[str, object]] = []
    for p in report.proposals:
        name = system_name(p, report)
        owners = sorted({o for m in p.members if m in services and (o := services[m].owner)})
        docs.append({
            "apiVersion": "backstage.io/v1alpha1", "kind": "System",
            "metadata": {
                "name": name, "title": p.title,
                "description": f"Proposed consolidation of {', '.join(p.members)} (score {p.score:.2f}).",
                "annotations": {"sprawl-advisor/proposal": p.id, "sprawl-advisor/score": f"{p.score:.2f}"},
            },
            "spec": {"owner": owners[0] if len(owners) == 1 else (owners[0] if owners else "unknown")},
        })
        for m in p.members:
            s = services.get(m)
            component = catalog_names.get(m, s.name if s else m)
            docs.append({"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
                         "metadata": {"name": component, "annotations": {"sprawl-advisor/patch": "spec.system"}},
                         "spec": {"system": name}})
    return yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=True, explicit_start=True)


def _catalog_names(report: Report) -> dict[str, str]:
    """Service id -> its name in the Backstage catalog, where identity resolution joined one."""
    out: dict[str, str] = {}
    for join in report.inventory.joins:
        for entry in join.names:
            name, _, reader = entry.rpartition(" (")
            if reader == "backstage)":
                out[join.id] = name
    for s in report.inventory.services:
        if s.sources == ("backstage",):
            out.setdefault(s.id, s.name)
    return out


def _graph(report: Report) -> nx.Graph:
    G = nx.Graph()
    cluster_of = {m: c.id for c in report.clusters for m in c.members}
    proposal_of = {m: p.id for p in report.proposals for m in p.members}
    for s in report.inventory.services:
        G.add_node(s.id, label=s.name, owner=s.owner or "", namespace=s.namespace or "",
                   cluster=cluster_of.get(s.id, ""), proposal=proposal_of.get(s.id, ""))
    for e in report.coupling:
        G.add_edge(e.a, e.b, weight=e.weight, reasons="; ".join(e.reasons))
    return G


def render_graphml(report: Report) -> str:
    out = io.BytesIO()
    nx.write_graphml(_graph(report), out, encoding="utf-8", prettyprint=True)
    return out.getvalue().decode("utf-8")


def _dot_id(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("\r", " ") + '"'


def render_dot(report: Report) -> str:
    """The coupling graph in Graphviz DOT: one box per cluster, proposal members filled."""
    in_proposal = {m for p in report.proposals for m in p.members}
    lines = ["graph coupling {", "  graph [overlap=false, splines=true];", "  node [shape=box, style=rounded];"]
    clustered: set[str] = set()
    for c in report.clusters:
        lines.append(f"  subgraph {_dot_id('cluster_' + c.id)} {{")
        lines.append(f"    label={_dot_id(c.id)};")
        for m in c.members:
            clustered.add(m)
            fill = ', style="rounded,filled", fillcolor="#ffe8a3"' if m in in_proposal else ""
            lines.append(f"    {_dot_id(m)} [label={_dot_id(m)}{fill}];")
        lines.append("  }")
    for s in report.inventory.services:
        if s.id not in clustered:
            lines.append(f"  {_dot_id(s.id)};")
    for e in report.coupling:
        width = min(1 + e.weight / 2, 6)
        tooltip = _dot_id("; ".join(e.reasons))
        lines.append(f"  {_dot_id(e.a)} -- {_dot_id(e.b)} [penwidth={width:.2f}, tooltip={tooltip}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
