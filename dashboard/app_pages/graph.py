"""Coupling graph: one node per group first, then one group or one service's neighbourhood.

Filters are applied before anything is drawn; layouts are computed once per input and grouping and
cached, so nodes stay where they are across reruns and filter changes. A click on a group drills into
it; a click on a service selects it and shows its card.
"""

from __future__ import annotations

import math
from collections import Counter

import streamlit as st

from dashboard import cards, state, views
from dashboard.figures import DrawEdge, DrawNode, colour_for, esc, graph_figure
from dashboard.text import md, plural

LEVELS = {"groups": "All groups", "group": "One group", "service": "A service's neighbourhood"}
GROUP_BY = ("cluster", "namespace", "team")
KEYS = ("graph_group_by", "graph_colour_by", "graph_level", "graph_group", "graph_neighbours", "graph_service",
        "graph_hops", "graph_teams", "graph_namespaces", "graph_kinds", "graph_min_weight", "graph_hubs")
#: Above this many services, hubs (linked to most clusters) are hidden at first: they hide everything else.
HIDE_HUBS_ABOVE = 200
CLICK_MARK = "_graph_last_click"

st.title("Coupling graph")
loaded = state.require_loaded()
report = loaded.base
index = state.service_index(loaded)
all_pairs = state.pairs(loaded)
selected = state.selected_services(loaded)

state.restore_widgets(KEYS)
ss = st.session_state
ss.setdefault("graph_group_by", "cluster")
ss.setdefault("graph_colour_by", "cluster")
ss.setdefault("graph_level", "groups")
ss.setdefault("graph_neighbours", True)
ss.setdefault("graph_hops", 1)
ss.setdefault("graph_min_weight", 0.0)
ss.setdefault("graph_hubs", len(index.services) <= HIDE_HUBS_ABOVE)
if ss.get("graph_service") not in index.services:
    ss["graph_service"] = selected[0] if selected else min(index.services)


def _clicked(key: str) -> str | None:
    """The id clicked in chart ``key`` since the last run that looked, if any."""
    event = ss.get(key)
    points = event["selection"]["points"] if event else []
    ids = tuple(str(p["customdata"]) for p in points if isinstance(p, dict) and p.get("customdata"))
    if not ids:
        if ss.get(CLICK_MARK, ("",))[0] == key:
            ss.pop(CLICK_MARK, None)
        return None
    if ss.get(CLICK_MARK) == (key, ids):
        return None
    ss[CLICK_MARK] = (key, ids)
    return ids[0]


members_of = state.group_members(loaded, ss["graph_group_by"])
clicked_group = _clicked("graph_chart_groups")
if clicked_group is not None and clicked_group in members_of:
    ss["graph_level"] = "group"
    ss["graph_group"] = clicked_group
clicked_service = _clicked("graph_chart_detail")
if clicked_service is not None and clicked_service in index.services:
    state.select_services(loaded, [clicked_service])
    selected = [clicked_service]
if ss.get("graph_group") not in members_of:
    ss["graph_group"] = next(iter(members_of))


def _show_neighbourhood(service_id: str) -> None:
    ss["graph_level"] = "service"
    ss["graph_service"] = service_id


def _back_to_groups() -> None:
    ss["graph_level"] = "groups"


top = st.columns([1, 1, 2.4])
group_by = top[0].selectbox("Group by", GROUP_BY, key="graph_group_by")
colour_by = top[1].selectbox("Colour by", GROUP_BY, key="graph_colour_by")
level = top[2].radio("Show", list(LEVELS), format_func=LEVELS.__getitem__, key="graph_level", horizontal=True)

present_kinds = [k for k in views.KIND_ORDER if any(k in e.kinds for e in all_pairs)]
top_weight = max((e.weight for e in all_pairs), default=1.0)
with st.expander("Filters (applied before drawing)", icon=":material/filter_alt:"):
    f = st.columns([2, 2, 2, 2, 1.2])
    teams = f[0].multiselect("Teams", state.category_order(loaded, "team"), key="graph_teams",
                             placeholder="every team")
    namespaces = f[1].multiselect("Namespaces", state.category_order(loaded, "namespace"), key="graph_namespaces",
                                  placeholder="every namespace")
    kinds = f[2].multiselect("Kinds of coupling", present_kinds, key="graph_kinds", placeholder="every kind")
    min_weight = f[3].slider("Minimum coupling weight", 0.0, float(math.ceil(top_weight)), step=0.25,
                             key="graph_min_weight")
    show_hubs = f[4].toggle("Hubs", key="graph_hubs", width="stretch",
                            help="Hubs (auth, notifications ...) are coupled to most clusters; hiding them shows "
                            "how the rest hangs together.")
filters = views.Filters(tuple(teams), tuple(namespaces), tuple(kinds), float(min_weight), bool(show_hubs))
view = views.apply_filters(report, all_pairs, filters)
colour_of = state.attribute(loaded, colour_by)
colour_order = state.category_order(loaded, colour_by)
st.caption(
    f"Edges: colour = kind (datastore, sync, async, declared); line = how it is known (solid static, dashed "
    f"observed, dotted declared); width = coupling weight. Nodes coloured by {colour_by}."
    + (f" Filtered out: {plural(view.services_hidden, 'service')} and {plural(view.edges_hidden, 'coupled pair')}"
       + ("" if show_hubs else f" (hubs hidden: {plural(len(report.system_metrics.hubs), 'hub')})") + "."
       if filters.active else "")
)


def _service_hover(sid: str) -> str:
    s = index.services[sid]
    m = index.metrics.get(sid)
    parts = [f"<b>{esc(s.name)}</b>", f"namespace {esc(s.namespace or '—')}", f"team {esc(s.owner or '—')}"]
    if m is not None:
        parts.append(f"cluster {esc(m.cluster or '—')}{' · hub' if m.hub else ''}")
        parts.append(f"fan-in {m.fan_in} · fan-out {m.fan_out}")
    return "<br>".join(parts)


def _pair_hover(e: views.PairEdge) -> str:
    reasons = "<br>".join(esc(r) for r in e.reasons[:6])
    return f"{esc(e.a)} – {esc(e.b)}: weight {e.weight:g} ({esc(e.basis)})<br>{reasons}"


def _draw_groups() -> None:
    graph = views.group_graph(view, state.attribute(loaded, group_by))
    positions = state.group_layout(loaded, group_by)
    nodes = []
    for g in graph.nodes:
        colours = Counter(colour_of[m] for m in g.members)
        label = g.id if colour_by == group_by else colours.most_common(1)[0][0]
        hover = (f"<b>{esc(g.id)}</b><br>{plural(len(g.members), 'service')}: "
                 f"{esc(', '.join(g.members[:8]))}{' …' if len(g.members) > 8 else ''}"
                 f"<br>{esc(colour_by)}: {esc(label)}<br>click to open")
        nodes.append(DrawNode(g.id, g.id, hover, 10 + 6 * math.sqrt(len(g.members)),
                              colour_for(label, colour_order), highlight=any(m in selected for m in g.members)))
    edges = [DrawEdge(e.a, e.b, e.weight, e.kind, e.basis,
                      f"{esc(e.a)} – {esc(e.b)}: weight {e.weight:g} from {plural(e.pairs, 'pair')} "
                      f"({esc(', '.join(f'{k} {n}' for k, n in e.kinds.items()))})")
             for e in graph.edges]
    st.plotly_chart(graph_figure(nodes, edges, positions, show_labels=len(nodes) <= 80), key="graph_chart_groups",
                    on_select="rerun", selection_mode="points", width="stretch",
                    config={"displaylogo": False, "scrollZoom": True})
    hidden = (f" {plural(graph.groups_hidden, 'small group')} ({plural(graph.services_hidden, 'service')}) not "
              f"drawn: at most {views.MAX_DRAWN_NODES} nodes are drawn at once; filter to see them."
              if graph.groups_hidden else "")
    st.caption(f"{plural(len(graph.nodes), 'group')} of {plural(len(view.services), 'service')} by {group_by}, "
               f"{plural(len(graph.edges), 'link')} between groups. Click a group to open it.{hidden}")


def _draw_detail(detail: views.DetailView, *, title: str) -> None:
    if not detail.nodes:
        st.info("Nothing to draw: the filters hide every service of this view. Loosen the filters above.",
                icon=":material/filter_alt_off:")
        return
    positions = state.detail_layout(loaded, detail.nodes)
    focus = set(detail.focus)
    nodes = []
    for sid in detail.nodes:
        m = index.metrics.get(sid)
        degree = (m.fan_in + m.fan_out) if m else 0
        symbol = "diamond" if m and m.hub else ("circle" if sid in focus else "circle-open")
        nodes.append(DrawNode(sid, index.services[sid].name, _service_hover(sid), 14 + 4 * math.sqrt(degree),
                              colour_for(colour_of.get(sid, ""), colour_order), symbol, sid in selected))
    edges = [DrawEdge(e.a, e.b, e.weight, views.restyle_for_kinds(e, filters.kinds).kind, e.basis, _pair_hover(e))
             for e in detail.edges]
    st.markdown(title)
    st.plotly_chart(graph_figure(nodes, edges, positions, show_labels=len(nodes) <= 60), key="graph_chart_detail",
                    on_select="rerun", selection_mode="points", width="stretch",
                    config={"displaylogo": False, "scrollZoom": True})
    hidden = (f" {plural(detail.nodes_hidden, 'more service')} not drawn (at most {views.MAX_DETAIL_NODES}; the "
              "most strongly coupled are kept)." if detail.nodes_hidden else "")
    st.caption(f"{plural(len(detail.nodes), 'service')} and {plural(len(detail.edges), 'coupled pair')} drawn. "
               f"Click a service to see its card; hollow circles are outside the group, diamonds are hubs.{hidden}")


if level == "groups":
    _draw_groups()
elif level == "group":
    row = st.columns([2, 1, 1])
    row[0].selectbox("Group", list(members_of), key="graph_group",
                     format_func=lambda g: f"{g} · {plural(len(members_of[g]), 'service')}")
    row[1].toggle("With coupled neighbours", key="graph_neighbours")
    row[2].button("Back to all groups", on_click=_back_to_groups, icon=":material/arrow_back:", key="graph_back")
    group = ss["graph_group"]
    detail = views.group_detail(view, members_of[group], neighbours=ss["graph_neighbours"])
    _draw_detail(detail, title=f"**{md(group)}** ({group_by}): {plural(len(detail.focus), 'service')} shown")
else:
    row = st.columns([2, 1, 1])
    row[0].selectbox("Service", sorted(index.services), key="graph_service")
    row[1].radio("Hops", (1, 2), key="graph_hops", horizontal=True)
    row[2].button("Back to all groups", on_click=_back_to_groups, icon=":material/arrow_back:", key="graph_back")
    center = ss["graph_service"]
    detail = views.neighbourhood(view, center, hops=int(ss["graph_hops"]))
    _draw_detail(detail, title=f"Within {plural(int(ss['graph_hops']), 'hop')} of **{md(center)}**")

state.remember_widgets(KEYS)

card = selected[0] if selected else ""
if level != "groups" and card in index.services:
    st.subheader("Selected service")
    st.button(f"Show the neighbourhood of {md(card)}", on_click=_show_neighbourhood, args=(card,),
              key="graph_card_neighbourhood", icon=":material/hub:")
    cards.service_card(loaded, card)
