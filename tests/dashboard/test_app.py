"""Every dashboard page through Streamlit's headless AppTest: uploads, selections, decisions, exports.

The fixture inventory (tests/fixtures/dashboard/shop) has five services: orders, order-history and
returns of team-orders share orders-db and call each other (one merge proposal); storefront and
search of team-web; a Backstage component ``orders-service`` joined to orders; a reference to
``legacy-billing`` that is not in the inventory; and one file that is not valid YAML.
"""

from __future__ import annotations

import io
import json
import os
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from advisor.api import analyze_uploads
from advisor.decisions import DecisionStore

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "dashboard" / "streamlit_app.py")
SHOP = ROOT / "tests" / "fixtures" / "dashboard" / "shop"
HOSTILE = ROOT / "tests" / "fixtures" / "dashboard" / "hostile-names.json"
PROPOSAL = "P-0f6a6b6b"
TIMEOUT = 60


def shop_files() -> list[tuple[str, bytes, str]]:
    return [(p.name, p.read_bytes(), "application/yaml") for p in sorted(SHOP.iterdir())]


@pytest.fixture
def store_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "decisions.sqlite"
    monkeypatch.setenv("ADVISOR_STORE", str(path))
    monkeypatch.delenv("ADVISOR_PRELOAD", raising=False)
    monkeypatch.delenv("ADVISOR_CONFIG", raising=False)
    return path


def start(store_path: Path) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception
    return at


def upload(at: AppTest, files: list[tuple[str, bytes, str]] | None = None) -> AppTest:
    at.file_uploader(key="upload_files").set_value(files if files is not None else shop_files())
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def go(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption]


def markdown(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown]


def frames(at: AppTest) -> list[object]:
    return [d.value for d in at.dataframe]


def click(at: AppTest, chart: str, node: str) -> AppTest:
    at.session_state[chart] = {"selection": {"points": [{"customdata": node, "point_index": 0}],
                                             "point_indices": [0], "box": [], "lasso": []}}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def chart_nodes(at: AppTest) -> list[str]:
    """The node ids of the (last) plotly graph: the ``customdata`` of its marker trace."""
    spec = json.loads(at.get("plotly_chart")[-1].proto.spec)
    return [c for trace in spec["data"] for c in (trace.get("customdata") or [])]


# -- Inventory ---------------------------------------------------------------------------------


def test_empty_dashboard_says_what_to_do_and_states_the_limits(store_path: Path) -> None:
    at = start(store_path)
    assert [i.value for i in at.info] == [
        "No inventory is loaded yet: upload manifests, catalog files or a .zip on the Inventory page, or choose "
        "the bundled example there."
    ]
    assert "Uploads up to 200 MB per file; inputs up to 64 MiB per file and 2 GiB in all (details under Size limits)." \
        in captions(at)
    limits = markdown(at)
    assert "- largest file: at most **64 MiB**" in limits
    assert "- files in one .zip: at most **50,000**" in limits
    assert "- compression ratio of a .zip or .gz member: at most **200:1**" in limits
    for page in ("overview", "graph", "matrix", "services", "proposals", "export"):
        go(at, page)
        assert at.info[0].value.startswith("No inventory is loaded yet")


def test_upload_shows_what_was_read_skipped_unresolved_and_joined(store_path: Path) -> None:
    at = upload(start(store_path))
    assert metrics(at) == {
        "Files read": "4", "Documents": "14", "Documents used": "13", "Skipped": "1",
        "Unresolved references": "1", "Services": "5", "Resources": "1", "Dependencies": "9",
        "Identity joins": "1", "Proposals": "1",
    }
    per_format, per_source, skipped, unresolved, joins = frames(at)
    assert per_format.to_dict("records") == [
        {"format": "backstage", "files": 1, "documents": 1, "used": 1, "skipped": 0},
        {"format": "kubernetes", "files": 2, "documents": 12, "used": 12, "skipped": 0},
        {"format": "unrecognised", "files": 1, "documents": 1, "used": 0, "skipped": 1},
    ]
    assert list(per_source["location"]) == ["broken-SKIPPED.yaml", "catalog.yaml", "orders-MERGE.yaml",
                                             "storefront-KEEP.yaml"]
    assert skipped.iloc[0]["location"] == "broken-SKIPPED.yaml#1 (line 1)"
    assert skipped.iloc[0]["reason"].startswith("is not valid YAML")
    assert unresolved.iloc[0][["from", "reference", "where"]].tolist() == ["orders", "legacy-billing",
                                                                           "orders-MERGE.yaml:22"]
    assert joins.iloc[0].tolist() == ["orders", "orders (kubernetes), orders-service (backstage)", "normalised name"]
    assert not at.error


def test_a_restarted_dashboard_reads_an_unchanged_inventory_back_from_the_parse_cache(
        store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The dashboard uses the CLI's per-user parse cache: after a restart (its in-memory caches empty)
    the same files give the report written the first time, read back, not analysed again."""
    import streamlit as st

    cache = tmp_path / "cache-home" / "sprawl-advisor"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache-home"))
    monkeypatch.delenv("ADVISOR_NO_CACHE", raising=False)
    st.cache_resource.clear()
    first = upload(start(store_path))
    reports = list(cache.glob("*/*.json"))
    assert len(reports) == 1 and len(list(cache.glob("*/*.pickle"))) == len(shop_files())
    os.utime(reports[0], ns=(10**18, 10**18))

    st.cache_resource.clear()  # a restart
    again = upload(start(store_path))
    assert reports[0].stat().st_mtime_ns > 10**18  # read back (and marked as used)
    assert list(cache.glob("*/*.json")) == reports
    assert metrics(again) == metrics(first)


def test_no_parse_cache_with_advisor_no_cache(store_path: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import streamlit as st

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache-home"))
    monkeypatch.setenv("ADVISOR_NO_CACHE", "1")
    st.cache_resource.clear()
    assert metrics(upload(start(store_path)))["Services"] == "5"
    assert not list(tmp_path.glob("cache-home/**/*.*"))


def test_a_zip_upload_is_read_like_the_files_in_it(store_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data, _ in shop_files():
            archive.writestr(f"shop/{name}", data)
    at = upload(start(store_path), [("shop.zip", buffer.getvalue(), "application/zip")])
    assert metrics(at)["Services"] == "5"
    assert metrics(at)["Files read"] == "4"
    assert list(frames(at)[1]["location"]) == ["shop.zip!shop/broken-SKIPPED.yaml", "shop.zip!shop/catalog.yaml",
                                               "shop.zip!shop/orders-MERGE.yaml", "shop.zip!shop/storefront-KEEP.yaml"]


def test_unusable_input_is_one_sentence_not_a_traceback(store_path: Path) -> None:
    at = upload(start(store_path), [("notes.txt", b"just some notes\n", "text/plain"),
                                    ("broken.yaml", b"a: [unclosed\n", "application/yaml")])
    assert at.error[0].value.startswith("Nothing usable was read: no service or resource was found in 2 inputs.")
    assert metrics(at)["Services"] == "0"
    for page in ("overview", "graph", "proposals", "export"):
        go(at, page)
        assert at.error[0].value.startswith("Nothing usable was read from these inputs")


def test_the_bundled_example_can_be_chosen(store_path: Path) -> None:
    at = start(store_path)
    at.button(key="use_example").click().run()
    assert not at.exception
    assert metrics(at)["Services"] == "35"
    assert "Reading the bundled example inventory" in [s.value for s in at.subheader]


def test_preloaded_paths_are_analysed_at_start(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADVISOR_PRELOAD", str(SHOP))
    at = start(store_path)
    assert "Reading preloaded: shop" in [s.value for s in at.subheader]
    assert metrics(at)["Services"] == "5"
    # an upload replaces it; the button brings the preloaded inputs back
    upload(at, [f for f in shop_files() if f[0] != "storefront-KEEP.yaml"])
    assert metrics(at)["Services"] == "3"
    at.button(key="use_preload").click().run()
    assert metrics(at)["Services"] == "5"


def test_an_unusable_configuration_is_one_sentence(store_path: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "advisor.yaml"
    bad.write_text("weights:\n  shared_datastor: 5\n", encoding="utf-8")
    monkeypatch.setenv("ADVISOR_CONFIG", str(bad))
    at = upload(start(store_path))
    message = at.error[0].value
    shown = str(bad).replace("_", "\\_")  # the path is Markdown-escaped on the page
    assert message.startswith(f"The configuration {shown} cannot be used: unknown setting 'weights.shared\\_datastor'")
    assert message.endswith("Fix it (or start the dashboard without --config) and reload the page.")


# -- Overview ------------------------------------------------------------------------------------


def test_overview_headline_figures_and_history(store_path: Path) -> None:
    at = go(upload(start(store_path)), "overview")
    assert metrics(at) == {
        "Services": "5", "Resources": "1", "Dependencies": "9", "Clusters": "2", "Merge proposals": "1",
        "Sync cycles": "1", "Mutually dependent pairs": "2", "Hubs": "0", "Shared datastores": "1",
        "Cross-team edges": "1",
    }
    assert any(c.startswith("One run recorded so far") for c in captions(at))
    history = DecisionStore(store_path).history()
    assert [(r.services, r.proposals) for r in history] == [(5, 1)]

    # a second, different analysis: the history now has two runs and is drawn
    smaller = [f for f in shop_files() if f[0] != "storefront-KEEP.yaml"]
    at = go(upload(start(store_path), smaller), "overview")
    assert [(r.services, r.proposals) for r in DecisionStore(store_path).history()] == [(5, 1), (3, 1)]
    table = frames(at)[-1]
    assert list(table["services"]) == [5, 3]


def test_the_same_inputs_are_not_recorded_twice(store_path: Path) -> None:
    go(upload(start(store_path)), "overview")
    go(upload(start(store_path)), "overview")
    assert len(DecisionStore(store_path).history()) == 1


def test_a_run_of_the_command_is_the_same_run(store_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from advisor.cli import main

    assert main(["analyze", str(SHOP), "--store", str(store_path), "-o", os.devnull]) == 0
    assert main(["decide", PROPOSAL, "reject", "--reason", "apart", "--store", str(store_path)]) == 0
    assert main(["analyze", str(SHOP), "--store", str(store_path), "-o", os.devnull]) == 0
    capsys.readouterr()
    assert [r.proposals for r in DecisionStore(store_path).history()] == [1, 0]  # the rejection withdrew it
    # the dashboard on the same inputs and decisions: the run the command recorded last
    monkeypatch.setenv("ADVISOR_PRELOAD", str(SHOP))
    at = start(store_path)
    assert metrics(at)["Services"] == "5"
    assert [r.proposals for r in DecisionStore(store_path).history()] == [1, 0]
    # after another run of the command on other inputs, the dashboard records its own run, decided
    other = ROOT / "tests" / "fixtures" / "rules" / "mutual-calls-MERGE.yaml"
    assert main(["analyze", str(other), "--store", str(store_path), "-o", os.devnull]) == 0
    start(store_path)
    assert [(r.services, r.proposals) for r in DecisionStore(store_path).history()] == [(5, 1), (5, 0), (2, 1), (5, 0)]


# -- Coupling graph ------------------------------------------------------------------------------


def test_graph_opens_at_cluster_level_and_drills_into_a_cluster_and_a_service(store_path: Path) -> None:
    at = go(upload(start(store_path)), "graph")
    assert chart_nodes(at) == ["C1", "C2"]
    assert "2 groups of 5 services by cluster, 1 link between groups. Click a group to open it." in captions(at)

    click(at, "graph_chart_groups", "C1")
    assert at.session_state["graph_level"] == "group"
    assert at.session_state["graph_group"] == "C1"
    assert sorted(chart_nodes(at)) == ["order-history", "orders", "returns", "storefront"]
    assert any(c.startswith("4 services and 4 coupled pairs drawn.") for c in captions(at))

    click(at, "graph_chart_detail", "orders")
    assert at.session_state["advisor_selection"]["ids"] == ["orders"]
    assert "Selected service" in [s.value for s in at.subheader]
    assert "#### orders" in markdown(at)
    card_frames = frames(at)
    assert list(card_frames[1]["where"]) == ["catalog.yaml:1", "orders-MERGE.yaml:1"]  # where it was seen
    assert len(card_frames[2]) == 6  # its dependencies, both directions

    # the selection survives a rerun and the drill-down can go one service's neighbourhood
    at.button(key="graph_card_neighbourhood").click().run()
    assert at.session_state["graph_level"] == "service"
    assert sorted(chart_nodes(at)) == ["order-history", "orders", "returns", "storefront"]


def test_graph_filters_apply_before_drawing(store_path: Path) -> None:
    at = go(upload(start(store_path)), "graph")
    at.multiselect(key="graph_teams").set_value(["team-web"]).run()
    assert chart_nodes(at) == ["C2"]
    assert any("Filtered out: 3 services and 4 coupled pairs." in c for c in captions(at))
    at.multiselect(key="graph_teams").set_value([]).run()
    at.slider(key="graph_min_weight").set_value(5.0).run()
    assert chart_nodes(at) == ["C1", "C2"]
    assert "2 groups of 5 services by cluster, 0 links between groups. Click a group to open it." in captions(at)

    at.slider(key="graph_min_weight").set_value(0.0).run()
    at.radio(key="graph_level").set_value("service").run()
    at.selectbox(key="graph_service").set_value("search").run()
    assert sorted(chart_nodes(at)) == ["search", "storefront"]
    at.radio(key="graph_hops").set_value(2).run()
    assert sorted(chart_nodes(at)) == ["orders", "search", "storefront"]


def test_graph_layout_is_stable_across_reruns_and_filters(store_path: Path) -> None:
    at = go(upload(start(store_path)), "graph")

    def positions() -> dict[str, tuple[float, float]]:
        spec = json.loads(at.get("plotly_chart")[-1].proto.spec)
        trace = next(t for t in spec["data"] if t.get("customdata"))
        return {c: (x, y) for c, x, y in zip(trace["customdata"], trace["x"], trace["y"], strict=True)}

    before = positions()
    at.run()
    assert positions() == before
    at.multiselect(key="graph_teams").set_value(["team-web"]).run()
    assert positions() == {"C2": before["C2"]}


# -- Coupling matrix -------------------------------------------------------------------------------


def test_matrix_orders_by_cluster_for_the_system_and_the_selection(store_path: Path) -> None:
    at = go(upload(start(store_path)), "matrix")
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["data"][0]["x"] == ["order-history", "orders", "returns", "search", "storefront"]
    assert "5 services, ordered by cluster." in captions(at)
    at.session_state["advisor_selection"] = {"digest": at.session_state["advisor_input"].digest,
                                             "ids": ["storefront", "orders"]}
    at.radio(key="matrix_scope").set_value("selection").run()
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["data"][0]["x"] == ["orders", "storefront"]
    assert spec["data"][0]["z"] == [[0.0, 0.5], [0.5, 0.0]]


# -- Services --------------------------------------------------------------------------------------


def test_services_table_selection_drives_the_other_views(store_path: Path) -> None:
    at = go(upload(start(store_path)), "services")
    table = frames(at)[0]
    assert list(table["service"]) == ["order-history", "orders", "returns", "search", "storefront"]
    assert table.set_index("service").loc["orders", ["team", "cluster", "fan_in", "fan_out", "sources"]].tolist() \
        == ["team-orders", "C1", 3, 3, "backstage, kubernetes"]

    at.session_state["services_table"] = {"selection": {"rows": [0, 2], "columns": [], "cells": []}}
    at.run()
    assert at.session_state["advisor_selection"]["ids"] == ["order-history", "returns"]
    assert "Selected: order-history, returns" in markdown(at)

    go(at, "proposals")
    assert at.multiselect(key="whatif_members").value == ["order-history", "returns"]
    go(at, "services")  # the table comes back with the same rows ticked
    assert at.session_state["advisor_selection"]["ids"] == ["order-history", "returns"]

    at.button(key="services_to_graph").click().run()  # opens the first one's neighbourhood in the graph
    assert not at.exception
    assert at.session_state["graph_level"] == "service"
    assert at.session_state["graph_service"] == "order-history"
    assert sorted(chart_nodes(at)) == ["order-history", "orders", "returns"]


# -- Proposals -------------------------------------------------------------------------------------


def test_proposal_card_shows_signals_evidence_impact_and_plan(store_path: Path) -> None:
    at = go(upload(start(store_path)), "proposals")
    assert not any(t.startswith("| figure | before | after |") for t in markdown(at))  # drawn when opened
    for expander in (f"evidence_{PROPOSAL}", f"impact_{PROPOSAL}", f"plan_{PROPOSAL}"):
        at.session_state[expander] = True
    at.run()
    texts = markdown(at)
    assert "#### 1. Merge order-history, orders and returns" in texts
    assert "Members: order-history, orders, returns" in texts
    signals = next(t for t in texts if t.startswith("- `shared-datastore`"))
    assert "`sync-cycle`" in signals and "`mutual-calls`" in signals
    evidence = next(t for t in texts if t.startswith("- `shared-datastore` (for)\n"))
    assert "    - `orders-MERGE.yaml:19` — env DATABASE\\_URL=postgres:\\/\\/orders\\@orders-db:5432/orders in " \
           "Deployment/orders container orders (kubernetes, static)" in evidence
    impact = next(t for t in texts if t.startswith("| figure | before | after |"))
    assert "| services | 5 | 3 |" in impact
    assert "| cycles removed | 0 | 1 |" in impact
    assert any(t.startswith("1. **Deploy together**") for t in texts)


def test_a_decision_is_persisted_and_shown_after_a_rerun(store_path: Path) -> None:
    at = go(upload(start(store_path)), "proposals")
    at.radio(key=f"verb_{PROPOSAL}").set_value("accept")
    at.button(key=f"record_{PROPOSAL}").click().run()
    assert at.error[0].value == "Write a reason before recording a decision: it is what a reviewer reads later."
    assert DecisionStore(store_path).decisions() == {}

    at.text_input(key=f"reason_{PROPOSAL}").input("one team, one database, a cycle")
    at.button(key=f"record_{PROPOSAL}").click().run()
    assert not at.exception
    assert at.success[0].value.startswith(f"{PROPOSAL}: Recorded: accepted (")
    stored = DecisionStore(store_path).decisions()[PROPOSAL]
    assert (stored.status, stored.reason) == ("accepted", "one team, one database, a cycle")

    # a new session (a reload) reads it back from the store
    at = go(upload(start(store_path)), "proposals")
    assert any(t.startswith("Decision — accepted: one team, one database, a cycle") for t in markdown(at))
    assert any(c.endswith("accepted") for c in captions(at))


def test_a_rejected_proposal_is_withdrawn(store_path: Path) -> None:
    at = go(upload(start(store_path)), "proposals")
    at.radio(key=f"verb_{PROPOSAL}").set_value("reject")
    at.text_input(key=f"reason_{PROPOSAL}").input("different release cadence")
    at.button(key=f"record_{PROPOSAL}").click().run()
    assert at.info[0].value.startswith("No merge is proposed")
    withdrawn = frames(at)[-1]
    assert withdrawn.iloc[0][["proposal", "reason"]].tolist() == [PROPOSAL, "different release cadence"]


def test_what_if_shows_before_and_after_figures(store_path: Path) -> None:
    at = go(upload(start(store_path)), "proposals")
    # closed, the panel draws nothing: its list of every service is not sent to the browser
    assert not [w for w in at.multiselect if w.key == "whatif_members"]
    at.session_state["whatif_open"] = True  # opened
    at.run()
    at.multiselect(key="whatif_members").set_value(["orders", "returns"]).run()
    expected = analyze_uploads([(n, d) for n, d, _ in shop_files()])
    from advisor.analysis import what_if
    from advisor.config import Config

    result = what_if(expected, ["orders", "returns"], Config())
    shown = metrics(at)
    assert shown["Score"] == f"{result.score:.2f}"
    assert shown["Services"] == "4"
    assert shown["Dependencies in-process"] == "2"
    assert shown["Cycles removed"] == "0"
    assert shown["Cross-team edges removed"] == "0"
    assert "Before → after for merging orders, returns." in captions(at)
    go(go(at, "services"), "proposals")  # still open and filled in when the page is shown again
    assert at.multiselect(key="whatif_members").value == ["orders", "returns"]


# -- Export ----------------------------------------------------------------------------------------


def test_export_offers_every_available_format_with_a_preview(store_path: Path) -> None:
    at = go(upload(start(store_path)), "export")
    labels = [b.label for b in at.get("download_button")]
    assert labels[:3] == ["Download JSON", "Download Markdown", "Download CSV"]
    assert set(labels) <= {"Download JSON", "Download Markdown", "Download CSV", "Download MADR",
                           "Download Backstage", "Download GraphML", "Download DOT"}
    outline = json.loads(at.code[0].value)
    assert outline["schema_version"] == 1
    assert outline["summary"]["services"] == 5
    assert outline["services"][0]["id"] == "order-history"
    assert outline["services"][1] == "… 4 more"
    assert outline["proposals"][0]["id"] == PROPOSAL
    at.radio(key="export_preview").set_value("csv").run()
    assert at.code[0].value.startswith("proposal_id,rank,title,score")
    assert f"\n{PROPOSAL},1,\"Merge order-history, orders and returns\",0.7931," in at.code[0].value


def test_exports_carry_the_decisions(store_path: Path) -> None:
    from dashboard.exporting import FORMATS

    at = go(upload(start(store_path)), "proposals")
    at.text_input(key=f"reason_{PROPOSAL}").input("agreed in review")
    at.button(key=f"record_{PROPOSAL}").click().run()
    report = analyze_uploads([(n, d) for n, d, _ in shop_files()])
    from advisor.decisions import apply_decisions

    decided = apply_decisions(report, DecisionStore(store_path))
    json_format = next(f for f in FORMATS if f.key == "json")
    data = json.loads(json_format.render(decided))
    assert data["proposals"][0]["decision"]["status"] == "accepted"
    assert data["proposals"][0]["decision"]["reason"] == "agreed in review"
    go(at, "export")
    assert json.loads(at.code[0].value)["proposals"][0]["decision"]["status"] == "accepted"


# -- Escaping --------------------------------------------------------------------------------------


def test_service_names_are_escaped_everywhere(store_path: Path) -> None:
    at = upload(start(store_path), [("hostile-names.json", HOSTILE.read_bytes(), "application/json")])
    assert metrics(at)["Services"] == "2"
    seen: list[str] = []
    for page in ("overview", "graph", "services", "proposals"):
        go(at, page)
        seen += markdown(at) + captions(at) + [s.value for s in at.subheader]
    at.session_state["services_table"] = {"selection": {"rows": [0, 1], "columns": [], "cells": []}}
    go(at, "services")
    at.session_state["services_table"] = {"selection": {"rows": [0, 1], "columns": [], "cells": []}}
    at.run()
    seen += markdown(at) + [b.label for b in at.button]
    go(at, "graph")
    click(at, "graph_chart_groups", "C1")
    spec = at.get("plotly_chart")[-1].proto.spec
    seen += markdown(at)
    text = "\n".join(seen)
    assert "<img" not in text
    assert "&lt;img src=x onerror=alert\\(1\\)&gt;" in text
    assert "[link](javascript" not in text
    assert "\\*\\*bold\\*\\* \\[link\\]\\(javascript:alert\\(2\\)\\) \\$x\\$" in text
    assert "<img" not in spec and "&lt;img src=x onerror=alert(1)&gt;" in spec


# -- Live sources ------------------------------------------------------------------------------


class _Jaeger(BaseHTTPRequestHandler):
    """A Jaeger query service answering /api/dependencies, as the live reader expects."""

    def do_GET(self) -> None:
        if self.path.startswith("/api/dependencies"):
            body = json.dumps({"data": [{"parent": "orders", "child": "payments", "callCount": 420}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_response(404)
            self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def jaeger() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Jaeger)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_live_sources_are_read_with_the_uploaded_files(store_path: Path, jaeger: str) -> None:
    at = upload(start(store_path))
    at.text_input(key="live_jaeger").set_value(jaeger)
    at.button[[b.label for b in at.button].index("Read live sources")].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    report = at.session_state["advisor_input"]
    assert report.live == (("jaeger", jaeger, "7d"),)
    go(at, "services")
    shown = "\n".join(str(frame) for frame in frames(at))
    assert "payments" in shown  # a service only the traces know


def test_a_bad_live_address_is_a_sentence_not_a_traceback(store_path: Path) -> None:
    at = upload(start(store_path))
    at.text_input(key="live_jaeger").set_value("jaeger:16686")
    at.button[[b.label for b in at.button].index("Read live sources")].click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "the jaeger address must start with http:// or https:// (got 'jaeger:16686'). "
        "Correct the address or the look-back and read again."
    ]
