"""Services: every service with its metrics and sources; the rows picked here drive the other pages."""

from __future__ import annotations

import streamlit as st

from dashboard import cards, state
from dashboard.text import md, names, plural

st.title("Services")
loaded = state.require_loaded()
table = state.service_table(loaded)
selected = state.selected_services(loaded)
position = {sid: i for i, sid in enumerate(table["service"])}

st.caption("Click a column header to sort; tick rows to select services. The selection follows you to the "
           "graph, the matrix and the what-if panel of the Proposals page.")
event = st.dataframe(
    table, key="services_table", on_select="rerun", selection_mode="multi-row", hide_index=True, width="stretch",
    height=min(38 + 35 * len(table), 560),
    selection_default={"selection": {"rows": [position[s] for s in selected if s in position]}},
    column_config={
        "instability": st.column_config.ProgressColumn("instability", min_value=0.0, max_value=1.0, format="%.2f"),
        "pagerank": st.column_config.NumberColumn("pagerank", format="%.4f"),
        "hub": st.column_config.CheckboxColumn("hub"),
        "memory_mib": st.column_config.NumberColumn("memory (MiB)"),
        "cpu_request": st.column_config.NumberColumn("cpu (cores)"),
    },
)
rows = event["selection"]["rows"]
picked = [str(table.iloc[i]["service"]) for i in rows if 0 <= i < len(table)]
if picked != selected:
    state.select_services(loaded, picked)
    selected = picked

if not selected:
    st.caption(f"{plural(len(table), 'service')}; none selected.")
    st.stop()

st.markdown(f"Selected: {names(selected, limit=10)}")


def _open_graph(service_id: str) -> None:
    st.session_state["graph_level"] = "service"
    st.session_state["graph_service"] = service_id
    st.session_state["_advisor_keep_graph_level"] = "service"
    st.session_state["_advisor_keep_graph_service"] = service_id


row = st.columns(3)
if row[0].button(f"Show {md(selected[0])} in the coupling graph", key="services_to_graph", icon=":material/hub:"):
    _open_graph(selected[0])
    st.switch_page("app_pages/graph.py")
if len(selected) >= 2 and row[1].button("What if these were merged?", key="services_to_whatif",
                                        icon=":material/merge:"):
    st.switch_page("app_pages/proposals.py")
if len(selected) >= 2 and row[2].button("Compare them in the matrix", key="services_to_matrix",
                                        icon=":material/grid_on:"):
    st.session_state["matrix_scope"] = "selection"
    st.session_state["_advisor_keep_matrix_scope"] = "selection"
    st.switch_page("app_pages/matrix.py")

for sid in selected[:3]:
    cards.service_card(loaded, sid)
if len(selected) > 3:
    st.caption(f"Cards of the first three selected services are shown; {len(selected) - 3} more are selected.")
