"""Coupling matrix: a heatmap ordered by cluster, for the whole system, one group or the selection."""

from __future__ import annotations

import streamlit as st

from dashboard import state, views
from dashboard.figures import heatmap_figure
from dashboard.text import md, plural

SCOPES = {"system": "Whole system", "group": "One cluster and its neighbours", "selection": "Selected services"}
KEYS = ("matrix_scope", "matrix_group")

st.title("Coupling matrix")
loaded = state.require_loaded()
pairs = state.pairs(loaded)
group_of = state.attribute(loaded, "cluster")
members_of = state.group_members(loaded, "cluster")
selected = state.selected_services(loaded)

state.restore_widgets(KEYS)
st.session_state.setdefault("matrix_scope", "selection" if len(selected) >= 2 else "system")
if st.session_state.get("matrix_group") not in members_of:
    st.session_state["matrix_group"] = next(iter(members_of))

scope = st.radio("Scope", list(SCOPES), format_func=SCOPES.__getitem__, key="matrix_scope", horizontal=True)
if scope == "system":
    services = sorted(group_of)
    if len(services) <= views.MAX_MATRIX_SERVICES:
        matrix = views.service_matrix(pairs, services, group_of)
        note = f"{plural(len(services), 'service')}, ordered by cluster."
    else:
        matrix = views.group_matrix(pairs, group_of)
        note = (f"{plural(len(services), 'service')} are too many for one cell each: the matrix sums the coupling "
                f"between clusters (the diagonal is the coupling inside one)."
                + (f" The {views.MAX_MATRIX_GROUPS} most coupled groups are shown; {matrix.left_out} more are not."
                   if matrix.left_out else ""))
elif scope == "group":
    group = st.selectbox("Cluster", list(members_of), key="matrix_group",
                         format_func=lambda g: f"{g} · {plural(len(members_of[g]), 'service')}")
    full = views.FilteredView(frozenset(group_of), pairs, 0, 0)
    detail = views.group_detail(full, members_of[group], neighbours=True, limit=views.MAX_MATRIX_SERVICES)
    matrix = views.service_matrix(pairs, detail.nodes, group_of)
    note = (f"{md(group)} and the services it is coupled with ({plural(len(detail.nodes), 'service')}), "
            "ordered by cluster.")
else:
    if len(selected) < 2:
        state.stop_with("Select two or more services first: tick rows in the Services table or click services in "
                        "the Coupling graph.", kind="info")
    chosen = selected[: views.MAX_MATRIX_SERVICES]
    matrix = views.service_matrix(pairs, chosen, group_of)
    note = f"{plural(len(chosen), 'selected service')}, ordered by cluster."
state.remember_widgets(KEYS)

st.caption(note)
if not any(any(v for v in row) for row in matrix.values):
    st.info("None of these services are coupled to each other.", icon=":material/info:")
st.plotly_chart(heatmap_figure(matrix), key="matrix_chart", width="stretch", config={"displaylogo": False})
