"""Plotly figures for the coupling graph and the coupling matrix (no Streamlit here).

Every text that reaches a figure is HTML-escaped first: Plotly renders a subset of HTML in hover
labels and node texts, and a service name must never become markup. Nodes carry their id in
``customdata``, which is what a click hands back to the page.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

from dashboard.views import Matrix

PALETTE: tuple[str, ...] = tuple(qualitative.Dark24) + tuple(qualitative.Light24)

#: Edge colour by kind of evidence.
KIND_COLOURS: Mapping[str, str] = {
    "datastore": "#8e44ad", "sync": "#34495e", "async": "#e67e22", "declared": "#95a5a6", "other": "#16a085",
}
#: Edge dash by how the edge is known.
BASIS_DASH: Mapping[str, str] = {"observed": "dash", "static": "solid", "declared": "dot"}
#: Above this many nodes or edges the figure uses WebGL traces. SVG is quicker below it (WebGL costs a
#: context per chart, and without a GPU it is drawn in software); the views never draw more than 500
#: nodes, so WebGL is only for the rare view with thousands of edges.
WEBGL_THRESHOLD = 3000


def colour_for(label: str, ordered: Sequence[str]) -> str:
    """The colour of a category label: its position in the full, stable list of labels."""
    try:
        i = ordered.index(label)
    except ValueError:
        i = sum(map(ord, label))
    return PALETTE[i % len(PALETTE)]


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


@dataclass(frozen=True)
class DrawNode:
    id: str
    label: str
    hover: str
    size: float
    colour: str
    symbol: str = "circle"
    highlight: bool = False


@dataclass(frozen=True)
class DrawEdge:
    a: str
    b: str
    weight: float
    kind: str
    basis: str
    hover: str = ""


def _width(weight: float, top: float) -> float:
    if top <= 0:
        return 1.0
    return 0.6 + 3.4 * min(1.0, weight / top)


def graph_figure(nodes: Sequence[DrawNode], edges: Sequence[DrawEdge],
                 positions: Mapping[str, tuple[float, float]], *, show_labels: bool, height: int = 620
                 ) -> go.Figure:
    """Nodes at ``positions`` and straight edges styled by kind (colour) and basis (dash).

    Edges go into one trace per (kind, basis, width band) so that thousands of them cost a handful
    of traces; the legend names each kind and basis present.
    """
    webgl = len(nodes) + len(edges) > WEBGL_THRESHOLD
    Scatter = go.Scattergl if webgl else go.Scatter
    top = max((e.weight for e in edges), default=0.0)
    buckets: dict[tuple[str, str, int], tuple[list[float | None], list[float | None]]] = {}
    for e in edges:
        if e.a not in positions or e.b not in positions:
            continue
        band = min(2, int(3 * e.weight / top)) if top > 0 else 0
        xs, ys = buckets.setdefault((e.kind, e.basis, band), ([], []))
        (xa, ya), (xb, yb) = positions[e.a], positions[e.b]
        xs += [xa, xb, None]
        ys += [ya, yb, None]
    traces: list[go.Scatter | go.Scattergl] = []
    named: set[tuple[str, str]] = set()
    for (kind, basis, band), (xs, ys) in sorted(buckets.items()):
        first = (kind, basis) not in named
        named.add((kind, basis))
        traces.append(Scatter(
            x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=first,
            name=f"{kind} ({basis})", legendgroup=f"{kind}-{basis}",
            line={"color": KIND_COLOURS.get(kind, "#7f8c8d"), "dash": BASIS_DASH.get(basis, "solid"),
                  "width": _width((band + 1) * top / 3, top)},
            opacity=0.55,
        ))
    tips = [e for e in edges if e.hover and e.a in positions and e.b in positions]
    if tips:
        traces.append(Scatter(
            x=[(positions[e.a][0] + positions[e.b][0]) / 2 for e in tips],
            y=[(positions[e.a][1] + positions[e.b][1]) / 2 for e in tips],
            mode="markers", marker={"size": 7, "color": "rgba(0,0,0,0)"}, hovertext=[e.hover for e in tips],
            hoverinfo="text", showlegend=False, name="edges",
        ))
    drawn = [n for n in nodes if n.id in positions]
    traces.append(Scatter(
        x=[positions[n.id][0] for n in drawn], y=[positions[n.id][1] for n in drawn],
        mode="markers+text" if show_labels else "markers",
        text=[esc(n.label) for n in drawn] if show_labels else None,
        textposition="top center", textfont={"size": 11},
        hovertext=[n.hover for n in drawn], hoverinfo="text",
        customdata=[n.id for n in drawn],
        marker={
            "size": [n.size for n in drawn], "color": [n.colour for n in drawn],
            "symbol": [n.symbol for n in drawn],
            "line": {"width": [3 if n.highlight else 0.5 for n in drawn],
                     "color": ["#c0392b" if n.highlight else "#ffffff" for n in drawn]},
        },
        name="services", showlegend=False,
    ))
    fig = go.Figure(traces)
    fig.update_layout(
        height=height, margin={"l": 10, "r": 10, "t": 10, "b": 10}, clickmode="event+select",
        dragmode="pan", hovermode="closest", plot_bgcolor="#ffffff",
        xaxis={"visible": False}, yaxis={"visible": False, "scaleanchor": "x"},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0, "title": {"text": "edges: "}},
        uirevision="keep",
    )
    return fig


def heatmap_figure(matrix: Matrix, *, height: int = 640) -> go.Figure:
    """The coupling matrix; rows and columns in the order given (by cluster), hover names both ends."""
    labels = [esc(x) for x in matrix.labels]
    groups = [esc(g) for g in matrix.groups]
    hover = [[f"{labels[i]} ({groups[i]}) – {labels[j]} ({groups[j]}): {matrix.values[i][j]:g}"
              for j in range(len(labels))] for i in range(len(labels))]
    fig = go.Figure(go.Heatmap(
        z=[list(r) for r in matrix.values], x=labels, y=labels, hovertext=hover, hoverinfo="text",
        colorscale="Blues", colorbar={"title": {"text": "coupling"}}, xgap=1 if len(labels) < 60 else 0,
        ygap=1 if len(labels) < 60 else 0,
    ))
    fig.update_layout(
        height=height, margin={"l": 10, "r": 10, "t": 10, "b": 10},
        xaxis={"showticklabels": len(labels) <= 60, "tickangle": -60},
        yaxis={"showticklabels": len(labels) <= 60, "autorange": "reversed"},
    )
    return fig


def bar_figure(labels: Sequence[str], values: Sequence[float], *, height: int = 240) -> go.Figure:
    """A small bar chart (the same chart library as the graph, so the browser loads only one)."""
    fig = go.Figure(go.Bar(x=[esc(x) for x in labels], y=list(values), marker_color="#34495e",
                           text=[f"{v:,}" for v in values], textposition="auto", hoverinfo="skip"))
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 10, "b": 10}, plot_bgcolor="#ffffff")
    return fig


def lines_figure(frame: pd.DataFrame, columns: Sequence[str], *, x: str = "run", height: int = 240) -> go.Figure:
    """One line per column of a DataFrame over ``x`` (the run history)."""
    fig = go.Figure([go.Scatter(x=list(frame[x]), y=list(frame[c]), mode="lines+markers", name=esc(c))
                     for c in columns])
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 10, "b": 10}, plot_bgcolor="#ffffff",
                      xaxis={"title": {"text": x}, "dtick": 1}, legend={"orientation": "h", "y": 1.1})
    return fig
