"""Inventory: choose the inputs, and see what was read, skipped, left unresolved and joined."""

from __future__ import annotations

import streamlit as st

from dashboard import state
from dashboard.cards import listed_section, metric_row
from dashboard.text import human_bytes, md, plural
from dashboard.views import format_summary, input_table

LIMIT_LABELS = {
    "max_file_bytes": ("largest file", human_bytes),
    "max_total_bytes": ("all inputs together", human_bytes),
    "max_documents_per_file": ("documents per file", lambda n: f"{n:,}"),
    "max_expanded_nodes": ("YAML nodes after alias expansion, per file", lambda n: f"{n:,}"),
    "max_depth": ("nesting depth of a document", lambda n: f"{n:,}"),
    "max_archive_members": ("files in one .zip", lambda n: f"{n:,}"),
    "max_archive_bytes": ("a .zip, uncompressed", human_bytes),
    "max_compression_ratio": ("compression ratio of a .zip or .gz member", lambda n: f"{n:,}:1"),
}

st.title("Inventory")
st.caption("Upload what your platform already has: Kubernetes manifests (also `helm template` and "
           "`kubectl get -o json` output), docker-compose files, Backstage catalog files, AsyncAPI documents, "
           "or the advisor's own inventory format. Files are recognised by their content, not their names.")

left, right = st.columns(2)
with left:
    files = st.file_uploader("Files or .zip archives", accept_multiple_files=True, key="upload_files",
                             help="Select several files at once, or a .zip of a whole repository.")
with right:
    folder = st.file_uploader("A folder (read recursively)", accept_multiple_files="directory", key="upload_folder",
                              help="Every file under the folder is offered to every reader.")
state.take_uploads([*(files or []), *(folder or [])])

buttons = st.container(horizontal=True)
if state.example_available():
    buttons.button("Analyse the bundled example", key="use_example", on_click=state.choose_example,
                      icon=":material/inventory_2:")
if state.preload_paths():
    buttons.button("Back to the preloaded inputs", key="use_preload", on_click=state.choose_preload,
                      icon=":material/folder_open:")

with st.expander("Live sources: Jaeger, Backstage, Prometheus", icon=":material/cloud_sync:"):
    st.caption("Read a Jaeger query service's dependencies, a Backstage catalog, or Istio request metrics from "
               "Prometheus, together with the files above. Tokens come only from the environment of the "
               "dashboard (ADVISOR_JAEGER_TOKEN, ADVISOR_BACKSTAGE_TOKEN, ADVISOR_PROMETHEUS_TOKEN) and are "
               "never shown or stored.")
    with st.form("live_sources", border=False):
        jaeger = st.text_input("Jaeger query service", placeholder="http://jaeger-query:16686", key="live_jaeger")
        backstage = st.text_input("Backstage backend", placeholder="http://backstage:7007", key="live_backstage")
        prometheus = st.text_input("Prometheus", placeholder="http://prometheus:9090", key="live_prometheus")
        lookback = st.text_input("Look back", value="7d", key="live_lookback",
                                 help="How far back Jaeger and Prometheus are read: 7d, 24h, 90m ...")
        if st.form_submit_button("Read live sources", icon=":material/sync:"):
            wanted = [(kind, url.strip(), lookback.strip() or "7d")
                      for kind, url in (("jaeger", jaeger), ("backstage", backstage), ("prometheus", prometheus))
                      if url.strip()]
            try:
                state.with_live_sources(wanted)
            except state.AdvisorError as exc:
                st.error(f"{exc}. Correct the address or the look-back and read again.")

choice = state.current_input()
upload_mb = st.get_option("server.maxUploadSize")
with st.expander("Size limits", expanded=False, icon=":material/straighten:"):
    described = state.limits_description(choice)
    st.markdown(f"- an upload: at most **{upload_mb:,} MB** per file (`server.maxUploadSize`)")
    for key, value in described.items():
        label, fmt = LIMIT_LABELS.get(key, (key.replace("_", " "), lambda n: f"{n:,}"))
        st.markdown(f"- {label}: at most **{fmt(value)}**")
    st.caption("A file over a limit is skipped with the reason; the rest is still read.")
st.caption(f"Uploads up to {upload_mb:,} MB per file; inputs up to {human_bytes(described['max_file_bytes'])} "
           f"per file and {human_bytes(described['max_total_bytes'])} in all (details under Size limits).")

loaded = state.require_loaded(allow_unusable=True)
inv = loaded.base.inventory
st.subheader(f"Reading {md(loaded.choice.label)}")
documents = sum(a.documents for a in inv.inputs)
used = sum(a.used for a in inv.inputs)
metric_row([("Files read", len(inv.inputs)), ("Documents", documents), ("Documents used", used),
            ("Skipped", len(inv.skipped)), ("Unresolved references", len(inv.unresolved))])
metric_row([("Services", len(inv.services)), ("Resources", len(inv.resources)),
            ("Dependencies", len(inv.dependencies)), ("Identity joins", len(inv.joins)),
            ("Proposals", len(loaded.report.proposals))])

if not inv.usable:
    inputs = {a.location for a in inv.inputs} | {s.location.split("#", 1)[0] for s in inv.skipped}
    st.error("Nothing usable was read: no service or resource was found in "
             f"{plural(len(inputs), 'input')}. The list below says why each one was "
             "skipped; upload Kubernetes manifests, compose files, Backstage catalog files, AsyncAPI documents "
             "or an advisor inventory.", icon=":material/error:")
    st.dataframe([s.as_dict() for s in inv.skipped], hide_index=True, width="stretch", key="skipped_unusable")
    st.stop()

st.subheader("What was read, per format")
st.dataframe(format_summary(loaded.base), hide_index=True, width="stretch", key="per_format")
st.subheader("What was read, per source")
st.dataframe(input_table(loaded.base), hide_index=True, width="stretch", key="per_source")
if inv.notes:
    st.subheader("Notes on the inputs")
    for note in inv.notes:
        st.text(note)

listed_section(f"Skipped ({len(inv.skipped):,})", [s.as_dict() for s in inv.skipped], key="skipped",
               caption="Each document or file that was not used, with where it is and why.",
               empty="Every document was used.")
listed_section(f"Unresolved references ({len(inv.unresolved):,})",
               [{"from": u.source, "reference": u.reference, "where": u.evidence.location,
                 "detail": u.evidence.detail, "reason": u.reason} for u in inv.unresolved], key="unresolved",
               caption="References to something that is not in the inventory; they are not turned into services. "
                       "Add the missing manifests to resolve them.",
               empty="Every reference resolved.")
listed_section(f"Identity joins ({len(inv.joins):,})",
               [{"service": j.id, "names": ", ".join(j.names), "rule": j.rule} for j in inv.joins], key="joins",
               caption="Names of one service in different sources that were joined, and by which rule. "
                       "Configure `aliases` in advisor.yaml for joins no rule can make.",
               empty="No names were joined across sources.")
