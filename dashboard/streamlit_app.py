"""The dashboard's entry point: page set-up, navigation and the sidebar; each page is in ``app_pages/``.

Started by ``advisor dashboard [PATH...]`` (``ADVISOR_PRELOAD``, ``ADVISOR_CONFIG``) or ``make run``.
"""

from __future__ import annotations

import streamlit as st

from dashboard import state
from dashboard.text import md, names

st.set_page_config(page_title="Service-sprawl advisor", page_icon="🧭", layout="wide")

PAGES = [
    st.Page("app_pages/inventory.py", title="Inventory", icon=":material/upload_file:", default=True),
    st.Page("app_pages/overview.py", title="Overview", icon=":material/dashboard:"),
    st.Page("app_pages/graph.py", title="Coupling graph", icon=":material/hub:"),
    st.Page("app_pages/matrix.py", title="Coupling matrix", icon=":material/grid_on:"),
    st.Page("app_pages/services.py", title="Services", icon=":material/table_rows:"),
    st.Page("app_pages/proposals.py", title="Proposals", icon=":material/merge:"),
    st.Page("app_pages/export.py", title="Export", icon=":material/download:"),
]

page = st.navigation(PAGES)

with st.sidebar:
    choice = state.current_input()
    if choice is None:
        st.caption("No inventory loaded yet.")
    else:
        st.caption(f"Analysing {md(choice.label)}")
    selection = st.session_state.get(state.SELECTION_KEY)
    if choice is not None and selection and selection.get("digest") == choice.digest and selection.get("ids"):
        st.caption(f"Selected: {names(selection['ids'], limit=4)}")
        st.button("Clear the selection", key="clear_selection", on_click=state.clear_selection,
                  icon=":material/deselect:")

page.run()
