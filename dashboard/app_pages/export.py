"""Export: every download the advisor offers, with what the file contains and a preview first."""

from __future__ import annotations

import streamlit as st

from dashboard import state
from dashboard.exporting import FORMATS, available, preview

st.title("Export")
loaded = state.require_loaded()
report = loaded.report
decided = sum(1 for p in report.proposals if p.decision)
st.caption(f"Every file reflects this analysis with the decisions recorded so far ({decided:,} of "
           f"{len(report.proposals):,} proposals decided). Rendering is deterministic: the same inputs and "
           "decisions give the same bytes.")

ready = [f for f in FORMATS if available(f)]
missing = [f for f in FORMATS if not available(f)]

for fmt in ready:
    with st.container(border=True, key=f"export_{fmt.key}"):
        cols = st.columns([3, 1], vertical_alignment="center")
        cols[0].markdown(f"**{fmt.label}** · `{fmt.file_name}`")
        cols[0].caption(fmt.description)
        cols[1].download_button(
            f"Download {fmt.short}", data=fmt.deferred(loaded), file_name=fmt.file_name, mime=fmt.mime,
            key=f"download_{fmt.key}", icon=":material/download:", on_click="ignore", type="primary", width="stretch",
        )

st.subheader("Preview")
choice = st.radio("Show the beginning of", [f.key for f in ready], horizontal=True, key="export_preview",
                  format_func=lambda k: next(f.short for f in ready if f.key == k))
fmt = next(f for f in ready if f.key == choice)
text, size, total_lines = preview(loaded, fmt)
if fmt.key == "json":
    st.caption(f"{fmt.label}: {size:,} bytes, {total_lines:,} lines. Its outline is shown: every section, with the "
               "first entry of each list.")
else:
    st.caption(f"{fmt.label}: {size:,} bytes, {total_lines:,} lines; the first {min(total_lines, fmt.preview_lines)} "
               "are shown.")
st.code(text, language=fmt.language, line_numbers=True)

if missing:
    st.caption("Not available in this version: " + ", ".join(f.label for f in missing) + ".")
