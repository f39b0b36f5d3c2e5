"""Proposals: ranked merge proposals with their evidence and the decision form; a what-if panel."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from dashboard import cards, state
from dashboard.text import md, names, plural
from dashboard.views import proposal_table

PAGE_SIZE = 10
STATUSES = {"all": "every status", "undecided": "undecided", "accepted": "accepted", "deferred": "deferred",
            "reconsider": "rejected, evidence changed"}
KEYS = ("proposals_find", "proposals_status", "proposals_page", "whatif_open", "whatif_members")

st.title("Merge proposals")
state.show_flash()
loaded = state.require_loaded()
report = loaded.report
selected = state.selected_services(loaded)
state.restore_widgets(KEYS)

# -- what-if -------------------------------------------------------------------------------------
# Drawn only while open: its list holds every service (20,000 names took 0.45 s of every run of the
# page in the browser). A new selection of two or more services opens it, filled in.
fresh = len(selected) >= 2 and st.session_state.get("_whatif_from") != selected
if fresh:
    st.session_state["whatif_open"] = True
whatif = st.expander("What if these services were merged?", key="whatif_open", on_change="rerun",
                     icon=":material/science:")
if whatif.open:
    with whatif:
        index = state.service_index(loaded)
        if "whatif_members" not in st.session_state or fresh:
            st.session_state["whatif_members"] = [s for s in selected if s in index.services]
            st.session_state["_whatif_from"] = selected
        members = st.multiselect("Services to merge", sorted(index.services), key="whatif_members",
                                 placeholder="pick two or more services", max_selections=40)
        if len(members) < 2:
            st.caption("Pick two or more services (or select rows on the Services page) to see the signals for and "
                       "against merging them and what would change.")
        else:
            result = state.what_if(loaded, members)
            i = result.impact
            cols = st.columns(5)
            cols[0].metric("Score", f"{result.score:.2f}")
            cols[1].metric("Services", f"{i.services_after:,}", delta=f"{i.services_after - i.services_before:,}",
                           delta_color="inverse")
            cols[2].metric("Dependencies in-process", f"{i.edges_in_process:,}")
            cols[3].metric("Cycles removed", f"{i.cycles_removed:,}")
            cols[4].metric("Cross-team edges removed", f"{i.cross_team_edges_removed:,}")
            st.caption(f"Before → after for merging {names(members, limit=8)}.")
            cards.impact_block(i, key="whatif")
            left, right = st.columns(2)
            with left:
                cards.signals_block(result.signals, heading="For")
            with right:
                cards.signals_block(result.counter_signals, heading="Against")
            cards.evidence_block((*result.signals, *result.counter_signals), key="whatif_evidence")
            if result.plan:
                with st.expander("Staged plan"):
                    cards.plan_block(result)

# -- ranked proposals ------------------------------------------------------------------------------
if not report.proposals:
    st.info("No merge is proposed: no group of services is joined by strong enough evidence. The what-if panel "
            "above still evaluates any group you pick.", icon=":material/info:")
else:
    f = st.columns([2, 1, 1])
    find = f[0].text_input("Find proposals with a service", key="proposals_find", placeholder="part of a name")
    status = f[1].selectbox("Status", list(STATUSES), format_func=STATUSES.__getitem__, key="proposals_status")
    shown = [
        p for p in report.proposals
        if (not find.strip() or any(find.strip().lower() in m.lower() for m in p.members))
        and (status == "all" or cards.decision_status(p) == status)
    ]
    pages = max(1, math.ceil(len(shown) / PAGE_SIZE))
    if int(st.session_state.get("proposals_page", 1)) > pages:
        st.session_state["proposals_page"] = 1
    page = int(f[2].number_input(f"Page (of {pages})", min_value=1, max_value=pages, step=1, key="proposals_page"))
    st.caption(f"{plural(len(shown), 'proposal')} of {len(report.proposals):,}, best first"
               + (f"; showing {PAGE_SIZE * (page - 1) + 1}–{min(len(shown), PAGE_SIZE * page)}" if shown else "")
               + ". Each signal's evidence opens below it.")
    for p in shown[PAGE_SIZE * (page - 1): PAGE_SIZE * page]:
        cards.proposal_card(loaded, p)
    every = st.expander("All proposals as a table", key="proposals_all", on_change="rerun")
    if every.open:
        every.dataframe(proposal_table(report), hide_index=True, width="stretch", key="proposals_table")
state.remember_widgets(KEYS)

still_proposed = {q.id for q in report.proposals}
withdrawn = [p for p in loaded.base.proposals if p.id not in still_proposed]
if withdrawn:
    decisions = loaded.store.decisions()
    with st.expander(f"Rejected and withdrawn ({len(withdrawn)})", icon=":material/block:"):
        st.caption("Not proposed again while their evidence stays the same; they come back, saying what changed, "
                   "when it does.")
        st.dataframe(pd.DataFrame([
            {"proposal": p.id, "title": p.title, "reason": getattr(decisions.get(p.id), "reason", ""),
             "decided": getattr(decisions.get(p.id), "decided_at", "")} for p in withdrawn
        ], columns=["proposal", "title", "reason", "decided"]), hide_index=True, width="stretch", key="withdrawn")
st.caption(f"Decisions are kept in {md(str(loaded.store.path))}.")
