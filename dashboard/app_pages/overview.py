"""Overview: the headline figures of the system and the sprawl history."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import state
from dashboard.cards import metric_row
from dashboard.figures import bar_figure, lines_figure
from dashboard.text import md, names

st.title("Overview")
loaded = state.require_loaded()
report = loaded.report
inv = report.inventory
sysm = report.system_metrics

metric_row([("Services", len(inv.services)), ("Resources", len(inv.resources)),
            ("Dependencies", len(inv.dependencies)), ("Clusters", len(report.clusters)),
            ("Merge proposals", len(report.proposals))])
metric_row([("Sync cycles", len(sysm.cycles)), ("Mutually dependent pairs", len(sysm.mutual_pairs)),
            ("Hubs", len(sysm.hubs)), ("Shared datastores", len(sysm.shared_datastores)),
            ("Cross-team edges", sysm.cross_team_edges)])

left, right = st.columns(2)
with left:
    st.subheader("Dependencies by kind")
    kinds = sorted(sysm.dependencies.items())
    st.plotly_chart(bar_figure([k for k, _ in kinds], [n for _, n in kinds]), key="kinds_chart",
                    config={"displayModeBar": False})
    if sysm.modularity is not None:
        st.caption(f"Modularity of the clustering: {sysm.modularity:.3f}")
with right:
    st.subheader("Hubs")
    if sysm.hubs:
        st.caption("Called by a large share of the services; reported, never merged.")
        index = state.service_index(loaded)
        st.dataframe(pd.DataFrame([
            {"hub": h, "team": getattr(index.services.get(h), "owner", None),
             "callers": getattr(index.metrics.get(h), "ais", None)} for h in sysm.hubs
        ], columns=["hub", "team", "callers"]), hide_index=True, width="stretch", key="hubs")
    else:
        st.caption("No service is called by enough of the others to be a hub.")

left, right = st.columns(2)
with left:
    st.subheader(f"Synchronous cycles ({len(sysm.cycles)})")
    if sysm.cycles:
        st.dataframe(pd.DataFrame([{"services": len(c), "members": ", ".join(c)} for c in sysm.cycles],
                                  columns=["services", "members"]), hide_index=True, width="stretch", key="cycles")
    else:
        st.caption("No synchronous cycles.")
with right:
    st.subheader(f"Shared datastores ({len(sysm.shared_datastores)})")
    if sysm.shared_datastores:
        st.dataframe(pd.DataFrame([{"datastore": k, "users": len(v), "services": ", ".join(v)}
                                   for k, v in sorted(sysm.shared_datastores.items())],
                                  columns=["datastore", "users", "services"]),
                     hide_index=True, width="stretch", key="shared")
    else:
        st.caption("No datastore is shared by a small group of services.")
    if sysm.infrastructure:
        st.caption(f"Treated as infrastructure (couples nobody): {names(sysm.infrastructure, limit=8)}")

st.subheader("Sprawl history")
history = loaded.store.history(top=False)
if len(history) >= 2:
    frame = pd.DataFrame([{"run": r.id, "at": r.at, "services": r.services, "dependencies": r.dependencies,
                           "clusters": r.clusters, "proposals": r.proposals, "cycles": r.cycles,
                           "cross-team edges": r.cross_team_edges} for r in history])
    st.caption(f"{len(history)} analyses recorded in {md(str(loaded.store.path))}, oldest first.")
    left, right = st.columns(2)
    left.plotly_chart(lines_figure(frame, ["services", "dependencies"]), key="history_size",
                      config={"displayModeBar": False})
    right.plotly_chart(lines_figure(frame, ["proposals", "cycles", "cross-team edges"]), key="history_findings",
                       config={"displayModeBar": False})
    st.dataframe(frame, hide_index=True, width="stretch", key="history")
elif history:
    st.caption(f"One run recorded so far ({md(history[0].at)}); the history appears after the next analysis "
               f"of changed inputs. Runs are kept in {md(str(loaded.store.path))}.")
else:
    st.caption("No runs recorded yet.")
