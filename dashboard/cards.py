"""Cards the pages share: a service with its metrics, sources and evidence; a proposal with its
signals, evidence, impact, plan and the decision form.

Input-derived text goes through ``st.dataframe``/``st.code``/``st.text`` or :func:`dashboard.text.md`;
nothing here uses ``unsafe_allow_html``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from advisor.model import Impact, Proposal, Signal
from dashboard import state
from dashboard.text import code, human_bytes, md, names, plural

DECISION_LABELS = {"accept": "Accept", "reject": "Reject", "defer": "Defer"}
STATUS_ICONS = {"accepted": ":material/check_circle:", "rejected": ":material/cancel:",
                "deferred": ":material/schedule:", "reconsider": ":material/replay:"}


def metric_row(figures: Sequence[tuple[str, int]]) -> None:
    """One row of headline counts, one column each, with thousands separators."""
    for column, (label, value) in zip(st.columns(len(figures)), figures, strict=True):
        column.metric(label, f"{value:,}")


def listed_section(title: str, rows: Sequence[Mapping[str, object]], *, key: str, caption: str, empty: str) -> None:
    """A subheading, then the rows as a table under a caption, or a line saying there are none."""
    st.subheader(title)
    if rows:
        st.caption(caption)
        st.dataframe(list(rows), hide_index=True, width="stretch", key=key)
    else:
        st.caption(empty)


def evidence_frame(items: Iterable[Any]) -> pd.DataFrame:
    """Evidence as rows: where (file:line or URL), what was seen, which reader, how it is known."""
    return pd.DataFrame(
        [{"where": e.location, "detail": e.detail, "reader": e.reader, "basis": e.basis} for e in items],
        columns=["where", "detail", "reader", "basis"],
    )


def _fmt(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def service_card(loaded: state.Loaded, service_id: str) -> None:
    """Everything known about one service: attributes, metrics, sources with evidence, dependencies."""
    index = state.service_index(loaded)
    s = index.services.get(service_id)
    if s is None:
        st.warning(f"Service {md(service_id)} is not in this inventory; pick another one.")
        return
    m = index.metrics.get(service_id)
    with st.container(border=True, key=f"service_card_{abs(hash(service_id))}"):
        st.markdown(f"#### {md(s.name)}")
        st.caption(f"id {md(s.id)} · namespace {md(s.namespace or '—')} · team {md(s.owner or '—')}"
                   + (" · **hub** (never merged)" if m and m.hub else ""))
        cols = st.columns(6)
        cols[0].metric("Fan-in", _fmt(m.fan_in if m else None))
        cols[1].metric("Fan-out", _fmt(m.fan_out if m else None))
        cols[2].metric("Instability", _fmt(m.instability if m else None))
        cols[3].metric("Mutual (SIY)", _fmt(m.siy if m else None))
        cols[4].metric("PageRank", _fmt(m.pagerank if m else None))
        cols[5].metric("Cluster", _fmt(m.cluster if m else None))
        attrs = {
            "runtime": s.runtime, "images": ", ".join(s.images), "replicas": s.replicas,
            "cpu request": None if s.cpu_request is None else f"{s.cpu_request:g} cores",
            "memory request": None if s.memory_request is None else human_bytes(s.memory_request),
            "repo": s.repo, "system": s.system, "lifecycle": s.lifecycle, "workloads": ", ".join(s.workloads),
            "aliases": ", ".join(s.aliases), "sources": ", ".join(s.sources),
            "datastores": ", ".join(m.datastores) if m else "", "sync cycle": m.cycle if m else None,
        }
        st.dataframe(pd.DataFrame([{"attribute": k, "value": _fmt(v) if v not in ("", None) else "—"}
                                   for k, v in attrs.items()]),
                     hide_index=True, width="stretch", key=f"attrs_{abs(hash(service_id))}")
        st.markdown("**Where it was seen**")
        st.dataframe(evidence_frame(s.evidence), hide_index=True, width="stretch",
                     key=f"seen_{abs(hash(service_id))}")
        deps = [("→ " + index.names.get(d.target, d.target), d) for d in index.outgoing.get(service_id, ())]
        deps += [("← " + index.names.get(d.source, d.source), d) for d in index.incoming.get(service_id, ())]
        st.markdown(f"**Dependencies** ({len(deps)})")
        st.dataframe(pd.DataFrame(
            [{"other end": other, "kind": d.kind, "via": d.via or "", "known as": ", ".join(d.bases),
              "where": d.evidence[0].location if d.evidence else "", "evidence": len(d.evidence)}
             for other, d in deps],
            columns=["other end", "kind", "via", "known as", "where", "evidence"],
        ), hide_index=True, width="stretch", key=f"deps_{abs(hash(service_id))}")


def evidence_lines(items: Iterable[Any], *, limit: int = 12) -> list[str]:
    """Markdown list items, one per piece of evidence: ``file:line`` (or URL) — detail (reader, basis)."""
    items = list(items)
    lines = [f"    - {code(e.location)} — {md(e.detail)} ({md(e.reader)}, {e.basis})" for e in items[:limit]]
    if len(items) > limit:
        lines.append(f"    - … and {len(items) - limit} more (all of them are in the JSON and Markdown exports)")
    return lines


def signals_block(signals: Sequence[Signal], *, heading: str) -> None:
    """The signals of one direction, one line each: rule name, code, points and what it found."""
    st.markdown(f"**{heading}**")
    if not signals:
        st.caption("nothing found")
        return
    st.markdown("\n".join(f"- `{s.name}` ({s.code}, {s.points:+g}): {md(s.summary)}" for s in signals))


def evidence_block(signals: Sequence[Signal], *, key: str) -> None:
    """Every piece of evidence of every signal, under the signal's name (as text: cheap to draw, easy to
    copy). Drawn only when opened: ten cards of evidence would slow down every page of proposals."""
    count = sum(len(s.evidence) for s in signals)
    if not count:
        return
    box = st.expander(f"Evidence: {plural(count, 'item')} (file:line or URL, and what was seen)", key=key,
                      on_change="rerun", icon=":material/fact_check:")
    if box.open:
        lines = []
        for s in signals:
            if s.evidence:
                lines.append(f"- `{s.name}` ({'for' if s.direction == 'for' else 'against'})")
                lines += evidence_lines(s.evidence)
        box.markdown("\n".join(lines))


def impact_frame(impact: Impact) -> pd.DataFrame:
    rows = [
        ("services", impact.services_before, impact.services_after),
        ("deployments fewer", 0, impact.deployments_fewer),
        ("repositories fewer", 0, impact.repositories_fewer),
        ("dependencies in-process", 0, impact.edges_in_process),
        ("synchronous hops in-process", 0, impact.sync_edges_in_process),
        ("cycles removed", 0, impact.cycles_removed),
        ("cross-team edges removed", 0, impact.cross_team_edges_removed),
    ]
    frame = [{"figure": name, "before": before, "after": after} for name, before, after in rows]
    frame.append({"figure": "CPU requests of the members", "before": _fmt(impact.cpu_request),
                  "after": f"−{impact.cpu_freed:g} cores freed" if impact.cpu_freed is not None else "—"})
    frame.append({"figure": "memory requests of the members", "before": human_bytes(impact.memory_request),
                  "after": f"−{human_bytes(impact.memory_freed)} freed" if impact.memory_freed is not None else "—"})
    return pd.DataFrame([{k: str(v) for k, v in r.items()} for r in frame], columns=["figure", "before", "after"])


def impact_block(impact: Impact, *, key: str) -> None:
    """Before/after figures as a small Markdown table, then what they assume."""
    frame = impact_frame(impact)
    lines = ["| figure | before | after |", "|---|---|---|"]
    lines += [f"| {md(r.figure)} | {md(r.before)} | {md(r.after)} |" for r in frame.itertuples()]
    st.markdown("\n".join(lines))
    for a in impact.assumptions:
        st.caption(f"Assumes {md(a)}")


def plan_block(p: Proposal) -> None:
    if not p.plan:
        st.caption("No staged plan for this proposal.")
        return
    lines = []
    for n, step in enumerate(p.plan, 1):
        lines.append(f"{n}. **{md(step.title)}**")
        lines += [f"    - {md(c)}" for c in step.changes]
        lines += [f"    - risk: {md(r)}" for r in step.risks]
    st.markdown("\n".join(lines))


def proposal_dot(p: Proposal, loaded: state.Loaded) -> str:
    """A small Graphviz diagram of the members and the coupled pairs among them (names quoted)."""
    members = set(p.members)

    def q(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'

    lines = ["graph proposal {", "  graph [rankdir=LR, bgcolor=transparent];",
             "  node [shape=box, style=rounded, fontname=Helvetica, fontsize=11];"]
    for m in sorted(members):
        lines.append(f"  {q(m)};")
    for e in state.pairs(loaded):
        if e.a in members and e.b in members:
            width = 1 + min(e.weight, 10) / 3
            lines.append(f"  {q(e.a)} -- {q(e.b)} [label={q(f'{e.weight:g}')}, penwidth={width:.2f}];")
    lines.append("}")
    return "\n".join(lines)


def decision_status(p: Proposal) -> str:
    if not p.decision:
        return "undecided"
    return str(p.decision.get("status", "undecided"))


def proposal_card(loaded: state.Loaded, p: Proposal) -> None:
    """One ranked proposal: score, members, signals for and against with evidence, stability, impact,
    staged plan, diagram, and the decision form (persisted through the decision store)."""
    status = decision_status(p)
    with st.container(border=True, key=f"proposal_{p.id}"):
        icon = STATUS_ICONS.get(status, "")
        st.markdown(f"#### {p.rank}. {md(p.title or p.id)}")
        st.caption(f"`{p.id}` · score **{p.score:.2f}** · {plural(len(p.members), 'member')} · "
                   + (f"together in {p.stability:.0%} of clustering runs · " if p.stability is not None else "")
                   + f"{icon} {status}")
        if p.decision:
            d = p.decision
            text = f"{md(d.get('status', ''))}: {md(d.get('reason', ''))} ({md(d.get('decided_at', ''))})"
            if d.get("changed"):
                text += f" — evidence changed since it was rejected: {md(d['changed'])}"
            st.markdown(f"Decision — {text}")
        st.markdown(f"Members: {names(p.members, limit=12)}")
        left, right = st.columns(2)
        with left:
            signals_block(p.signals, heading="For")
        with right:
            signals_block(p.counter_signals, heading="Against")
        evidence_block((*p.signals, *p.counter_signals), key=f"evidence_{p.id}")
        impact = st.expander("Impact", key=f"impact_{p.id}", on_change="rerun")
        if impact.open:
            with impact:
                impact_block(p.impact, key=p.id)
        plan = st.expander("Staged plan", key=f"plan_{p.id}", on_change="rerun")
        if plan.open:
            with plan:
                plan_block(p)
        if st.toggle("Diagram of the members", key=f"diagram_{p.id}"):
            st.graphviz_chart(proposal_dot(p, loaded))
        with st.form(key=f"decide_{p.id}", border=False, enter_to_submit=False):
            cols = st.columns([2, 4, 1])
            verb = cols[0].radio("Decision", list(DECISION_LABELS), format_func=DECISION_LABELS.__getitem__,
                                 horizontal=True, key=f"verb_{p.id}")
            reason = cols[1].text_input("Reason (what a reviewer reads later)", key=f"reason_{p.id}",
                                        max_chars=2000)
            submitted = cols[2].form_submit_button("Record", key=f"record_{p.id}", type="primary")
        if submitted:
            if not reason.strip():
                st.error("Write a reason before recording a decision: it is what a reviewer reads later.")
            else:
                try:
                    message = state.decide(loaded, p.id, verb, reason)
                except state.AdvisorError as exc:
                    st.error(f"The decision was not recorded: {md(exc)}.")
                except Exception as exc:  # sqlite or file-system trouble: say what to do
                    st.error(f"The decision was not recorded ({md(exc)}). Check that {md(str(loaded.store.path))} is "
                             "writable, or set ADVISOR_STORE to a writable file.")
                else:
                    state.flash(f"{p.id}: {message}")
                    st.rerun()
