"""The dashboard's view computations (no Streamlit): pairs, filters, grouping, drill-downs, layout, previews."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest

from advisor.api import analyze_uploads
from advisor.model import Report
from dashboard import views
from dashboard.exporting import FORMATS, outline
from dashboard.text import human_bytes, md

SHOP = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "dashboard" / "shop"


@pytest.fixture(scope="module")
def report() -> Report:
    return analyze_uploads([(p.name, p.read_bytes()) for p in sorted(SHOP.iterdir())])


def test_coupling_pairs_carry_kinds_and_basis(report: Report) -> None:
    pairs = {(e.a, e.b): e for e in views.coupling_pairs(report)}
    assert sorted(pairs) == [("order-history", "orders"), ("order-history", "returns"), ("orders", "returns"),
                             ("orders", "storefront"), ("search", "storefront")]
    assert pairs[("order-history", "orders")].kinds == ("datastore", "sync")
    assert pairs[("order-history", "returns")].kinds == ("datastore",)  # they only share orders-db
    assert pairs[("order-history", "returns")].basis == "static"
    assert pairs[("orders", "storefront")].kinds == ("sync",)
    assert pairs[("orders", "storefront")].weight == 0.5  # cross-team


def test_reason_kinds() -> None:
    assert [views.reason_kind(r) for r in (
        "sync calls a->b", "mutual calls", "sync cycle", "shared datastore database:x", "topic topic:t (2 consumers)",
        "async messages a->b (1 consumer)", "declared dependency a->b", "cross-team t1/t2 (x0.5)",
        "changed together (80%)",
    )] == ["sync", "sync", "sync", "datastore", "async", "async", "declared", None, "other"]


def test_filters_hide_services_and_pairs_before_grouping(report: Report) -> None:
    pairs = views.coupling_pairs(report)
    view = views.apply_filters(report, pairs, views.Filters(teams=("team-orders",)))
    assert sorted(view.services) == ["order-history", "orders", "returns"]
    assert (view.services_hidden, view.edges_hidden, len(view.edges)) == (2, 2, 3)
    only_sync = views.apply_filters(report, pairs, views.Filters(kinds=("sync",)))
    assert {(e.a, e.b) for e in only_sync.edges} == {("order-history", "orders"), ("orders", "returns"),
                                                     ("orders", "storefront"), ("search", "storefront")}
    heavy = views.apply_filters(report, pairs, views.Filters(min_weight=5.0))
    assert [(e.a, e.b) for e in heavy.edges] == [("order-history", "orders"), ("orders", "returns")]


def test_group_graph_sizes_groups_and_caps_the_node_count(report: Report) -> None:
    pairs = views.coupling_pairs(report)
    view = views.apply_filters(report, pairs, views.Filters())
    groups = views.service_attribute(report, "cluster")
    graph = views.group_graph(view, groups)
    assert [(n.id, n.members) for n in graph.nodes] == [("C1", ("order-history", "orders", "returns")),
                                                        ("C2", ("search", "storefront"))]
    assert [(e.a, e.b, e.weight, e.pairs, e.kind) for e in graph.edges] == [("C1", "C2", 0.5, 1, "sync")]
    capped = views.group_graph(view, groups, limit=1)
    assert [n.id for n in capped.nodes] == ["C1"]
    assert (capped.groups_hidden, capped.services_hidden, capped.edges) == (1, 2, ())


def test_neighbourhood_goes_out_hop_by_hop_and_respects_the_limit(report: Report) -> None:
    view = views.apply_filters(report, views.coupling_pairs(report), views.Filters())
    assert views.neighbourhood(view, "search", hops=1).nodes == ("search", "storefront")
    assert views.neighbourhood(view, "search", hops=2).nodes == ("search", "storefront", "orders")
    limited = views.neighbourhood(view, "orders", hops=2, limit=2)
    assert limited.nodes == ("orders", "order-history") and limited.nodes_hidden == 3  # returns, storefront, search
    detail = views.group_detail(view, ("order-history", "orders", "returns"), neighbours=False)
    assert detail.nodes == ("order-history", "orders", "returns") and len(detail.edges) == 3


def test_layout_is_seeded_and_keeps_hubs_out_of_the_force_layout() -> None:
    spokes = [(f"n{i}", f"n{i + 1}", 1.0) for i in range(0, 80, 2)]
    hub_edges = [("hub", f"n{i}", 1.0) for i in range(80)]
    nodes = ["hub"] + [f"n{i}" for i in range(80)]
    first = views.layout(nodes, spokes + hub_edges)
    assert first == views.layout(nodes, spokes + hub_edges)
    xs = [first[f"n{i}"][0] for i in range(80)]
    ys = [first[f"n{i}"][1] for i in range(80)]
    centre = (sum(xs) / 80, sum(ys) / 80)
    assert abs(first["hub"][0] - centre[0]) < 0.1 and abs(first["hub"][1] - centre[1]) < 0.1


def test_large_layouts_are_seeded_bounded_and_keep_coupled_nodes_together() -> None:
    """Above LARGE_LAYOUT nodes the layout is igraph's: still the same every time, within [-1, 1]², and
    two densely coupled halves joined by one edge are drawn apart."""
    half = views.LARGE_LAYOUT // 2 + 20
    left = [f"a{i:03d}" for i in range(half)]
    right = [f"b{i:03d}" for i in range(half)]
    rng = random.Random(1)
    dense = [(side[i], side[rng.randrange(half)], 3.0) for side in (left, right) for i in range(half) for _ in range(4)]
    edges = [*dense, (left[0], right[0], 1.0)]
    nodes = left + right
    first = views.layout(nodes, edges)
    assert first == views.layout(list(reversed(nodes)), list(reversed(edges)))
    assert sorted(first) == sorted(nodes)
    assert all(-1.0 <= x <= 1.0 and -1.0 <= y <= 1.0 for x, y in first.values())

    def centre(ids: list[str]) -> tuple[float, float]:
        return (sum(first[v][0] for v in ids) / len(ids), sum(first[v][1] for v in ids) / len(ids))

    def spread(ids: list[str]) -> float:
        cx, cy = centre(ids)
        return sum(math.dist(first[v], (cx, cy)) for v in ids) / len(ids)

    apart = math.dist(centre(left), centre(right))
    assert apart > 3 * spread(left) and apart > 3 * spread(right)


def test_service_and_input_tables(report: Report) -> None:
    table = views.service_table(report)
    assert list(table.columns) == list(views.SERVICE_COLUMNS)
    row = table.set_index("service").loc["storefront"]
    assert (row["namespace"], row["team"], row["replicas"], row["cpu_request"], row["memory_mib"]) == \
        ("web", "team-web", 3, 0.3, 512.0)
    assert views.format_summary(report)["documents"].sum() == 14


def test_matrices_order_by_cluster_and_aggregate(report: Report) -> None:
    pairs = views.coupling_pairs(report)
    groups = views.service_attribute(report, "cluster")
    m = views.service_matrix(pairs, ["storefront", "orders", "returns"], groups)
    assert m.labels == ("orders", "returns", "storefront")
    assert m.values[0][1] == 10.0 and m.values[0][2] == 0.5
    agg = views.group_matrix(pairs, groups)
    assert agg.labels == ("C1", "C2")
    assert agg.values == ((23.75, 0.5), (0.5, 1.25))


def test_export_formats_render_and_outline(report: Report) -> None:
    json_format = next(f for f in FORMATS if f.key == "json")
    assert json_format.render(report).startswith("{")
    assert outline({"a": [1, 2, 3], "b": [{"c": [4, 5]}]}) == {"a": [1, "… 2 more"], "b": [{"c": [4, "… 1 more"]}]}
    madr = next((f for f in FORMATS if f.key == "madr"), None)
    if madr is not None and madr.renderer:
        from dashboard.exporting import available

        if available(madr):
            first, second = madr.render(report), madr.render(report)
            assert isinstance(first, bytes) and first == second  # deterministic zip


def test_a_large_export_is_outlined_in_a_forked_child(report: Report, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same outline either way; a large one is worked out in a child process, so that decoding
    the export does not hold the server's interpreter lock. The server's warm-up asks from a thread."""
    import os
    import threading

    from advisor.forking import CAN_FORK
    from dashboard import exporting

    text = next(f for f in FORMATS if f.key == "json").render(report)
    assert isinstance(text, str)
    real = exporting._outline_text

    def noted(data: str) -> str:
        return real(data) + f"\n{os.getpid()}"

    monkeypatch.setattr(exporting, "_outline_text", noted)
    here, _, pid = exporting.json_outline(text).rpartition("\n")  # small: worked out here
    assert int(pid) == os.getpid()
    assert json.loads(here) == outline(json.loads(text))
    monkeypatch.setattr(exporting, "FORKED_OUTLINE_CHARS", 0)
    answers: list[str] = []
    thread = threading.Thread(target=lambda: answers.append(exporting.json_outline(text)))
    thread.start()
    thread.join(timeout=60)
    shown, _, pid = answers[0].rpartition("\n")
    assert shown == here
    assert (int(pid) != os.getpid()) == CAN_FORK


def test_text_helpers() -> None:
    assert md("<b>$5</b> [x](y)") == "&lt;b&gt;\\$5&lt;/b&gt; \\[x\\]\\(y\\)"
    assert human_bytes(64 * 1024 * 1024) == "64 MiB"
    assert human_bytes(2 * 1024**3) == "2 GiB"
    assert human_bytes(1536) == "1.5 KiB"
    assert human_bytes(12) == "12 bytes"


def test_a_layout_with_first_nodes_places_them_as_if_alone_and_the_rest_around() -> None:
    """The groups drawn before any filter are laid out on their own (so thousands of small groups do not
    squeeze them into a ball), and every other node still gets a place, without moving them."""
    rng = random.Random(2)
    nodes = [f"g{i:04d}" for i in range(900)]
    edges = [(nodes[i], nodes[rng.randrange(900)], 1.0 + rng.random()) for i in range(900) for _ in range(3)]
    first = nodes[:400]
    together = views.layout(nodes, edges, first=first)
    alone = views.layout(first, [e for e in edges if e[0] in first and e[1] in first])
    assert sorted(together) == sorted(nodes)
    assert {v: together[v] for v in first} == alone
    assert together == views.layout(nodes, edges, first=first)
    assert len({together[v] for v in nodes}) == len(nodes)  # nobody left on top of another
