"""The renderings of a report: JSON (the schema_version 1 contract), Markdown and CSV."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from advisor.api import analyze_paths
from advisor.config import Config
from advisor.exports import code, csv_cell, md, render, render_csv, render_json, render_markdown, report_as_dict
from advisor.model import Report

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
RULES = FIXTURES / "rules"
EXPORTS = FIXTURES / "exports"
DOC = ROOT / "docs" / "report-format.md"

SECRETS = ("Arg5ecretPw", "Sup3rS3cretPw", "tok_live_9f8e7d6c5b4a", "An0therS3cret", "r3disPassw0rd",
           "PgR00tS3cret", "StringDataS3cret", "QmFzZTY0U2VjcmV0VmFsdWU=", "Base64SecretValue")
HOSTILE = ("<img src=x onerror=alert(1)>", "*evil*|pipe", "=cmd|' /C calc'!A0", "+sum(A1)",
           "[link](javascript:alert(1))", "<svg onload=alert(2)>")


def _report(*paths: Path) -> Report:
    return analyze_paths(list(paths), Config())


@pytest.fixture(scope="module")
def rules_report() -> Report:
    return _report(RULES)


# --------------------------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------------------------


def _documented_top_level_keys() -> set[str]:
    text = DOC.read_text(encoding="utf-8")
    block = text.split("```json", 1)[1].split("```", 1)[0]
    return set(re.findall(r'^  "(\w+)":', block, re.MULTILINE))


def test_top_level_keys_are_exactly_the_documented_ones(rules_report: Report) -> None:
    documented = _documented_top_level_keys()
    assert {"schema_version", "services", "resources", "dependencies", "clusters", "proposals", "skipped",
            "unresolved"} <= documented  # issue 2's contract
    data = json.loads(render_json(rules_report))
    assert set(data) == documented
    assert data["schema_version"] == 1
    assert data["tool"] == {"name": "sprawl-advisor", "version": "0.1.0"}


def test_documented_fields_of_each_section(rules_report: Report) -> None:
    data = json.loads(render_json(rules_report))
    assert data["services"] and data["dependencies"] and data["clusters"] and data["proposals"]
    for s in data["services"]:
        assert {"id", "name", "namespace", "owner", "repo", "runtime", "images", "replicas", "cpu_request",
                "memory_request", "labels", "workloads", "aliases", "sources", "evidence", "metrics"} <= set(s)
    for r in data["resources"]:
        assert {"id", "name", "kind", "technology", "evidence"} <= set(r)
        assert r["id"] == f"{r['kind']}:{r['name']}"
    for d in data["dependencies"]:
        assert {"source", "target", "kind", "protocol", "via", "weight", "evidence", "bases"} <= set(d)
        assert d["kind"] in ("sync", "async", "datastore", "declared")
    for c in data["clusters"]:
        assert {"id", "members"} <= set(c)
    for p in data["proposals"]:
        assert {"id", "rank", "members", "score", "signals", "counter_signals", "impact", "plan"} <= set(p)
        assert re.fullmatch(r"P-[0-9a-f]{8}", p["id"])
        for s in p["signals"] + p["counter_signals"]:
            assert {"code", "name", "direction", "points", "summary", "services", "evidence"} == set(s)
    assert [p["rank"] for p in data["proposals"]] == list(range(1, len(data["proposals"]) + 1))
    summary = data["summary"]
    assert summary["services"] == len(data["services"])
    assert summary["dependencies"] == len(data["dependencies"])
    assert summary["proposals"] == len(data["proposals"])
    assert summary["skipped"] == len(data["skipped"])


def test_every_dependency_has_evidence(rules_report: Report) -> None:
    data = report_as_dict(rules_report)
    assert len(data["dependencies"]) > 50
    for d in data["dependencies"]:
        assert d["evidence"], d
        for e in d["evidence"]:
            assert set(e) == {"reader", "location", "detail"}
            assert all(isinstance(v, str) and v for v in e.values())
            assert re.search(r":\d+$", e["location"]), e  # file:line


def test_json_is_byte_identical_across_runs(rules_report: Report) -> None:
    first = render_json(rules_report)
    second = render_json(_report(RULES))
    assert first == second
    assert first.endswith("\n")
    json.loads(first)


def test_json_keys_are_sorted_in_every_object_and_pretty_is_the_same_data(rules_report: Report) -> None:
    objects = 0

    def sorted_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
        nonlocal objects
        objects += 1
        keys = [k for k, _ in pairs]
        assert keys == sorted(keys)
        return dict(pairs)

    data = json.loads(render_json(rules_report), object_pairs_hook=sorted_keys)
    assert objects > 100
    assert json.loads(render_json(rules_report, pretty=True)) == data
    assert render_json(rules_report, pretty=True).startswith('{\n  "clusters": [')


def test_an_integer_beyond_64_bits_still_renders(rules_report: Report) -> None:
    import dataclasses

    service = dataclasses.replace(rules_report.inventory.services[0], replicas=2**70)
    inventory = dataclasses.replace(rules_report.inventory,
                                    services=(service, *rules_report.inventory.services[1:]))
    data = json.loads(render_json(dataclasses.replace(rules_report, inventory=inventory)))
    assert data["services"][0]["replicas"] == 2**70


def test_json_does_not_depend_on_the_order_files_were_written(tmp_path: Path) -> None:
    # four fixtures that share no service name
    names = ["shared-datastore-MERGE.yaml", "mutual-calls-MERGE.yaml", "pass-through-MERGE.yaml",
             "chatty-pair-MERGE.yaml"]
    folder = tmp_path / "inputs"
    outputs = []
    for order in (names, list(reversed(names))):
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir()
        for name in order:
            shutil.copyfile(RULES / name, folder / name)
        outputs.append(render_json(_report(folder)))
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0])["summary"]["proposals"] == 4


def test_the_json_report_reads_back_as_the_same_inventory(tmp_path: Path, rules_report: Report) -> None:
    path = tmp_path / "report.json"
    path.write_text(render_json(rules_report), encoding="utf-8")
    again = report_as_dict(_report(path))
    before = report_as_dict(rules_report)
    assert again["skipped"] == []
    # services and resources keep ids, names, attributes, evidence (and so their metrics);
    # ``sources`` becomes the reader of the report itself
    for section in ("services", "resources"):
        assert [{k: v for k, v in s.items() if k != "sources"} for s in again[section]] == \
               [{k: v for k, v in s.items() if k != "sources"} for s in before[section]]
    assert again["dependencies"] == before["dependencies"]
    assert again["unresolved"] == before["unresolved"]
    assert [p["id"] for p in again["proposals"]] == [p["id"] for p in before["proposals"]]


# --------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------


def test_md_escapes_html_and_markdown() -> None:
    assert md("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert\\(1\\)&gt;"
    assert md("*evil*|pipe") == "\\*evil\\*\\|pipe"
    assert md("a\nb\r") == "a b "
    assert md("[x](javascript:y)") == "\\[x\\]\\(javascript:y\\)"
    assert md("&lt;") == "&amp;lt;"
    assert code("a|b`c") == "`a\\|b'c`"


def test_markdown_escapes_hostile_names() -> None:
    report = _report(EXPORTS / "hostile-names.yaml")
    assert {s.name for s in report.inventory.services} >= set(HOSTILE[:4])
    assert report.proposals, "the hostile names must reach the proposals, or this test tests nothing"
    assert report.inventory.unresolved
    text = render_markdown(report)
    lowered = text.lower()
    for name in HOSTILE:
        assert name not in text and name.lower() not in lowered, name
    assert "<" not in text.replace("<!--", "")  # no raw tag at all
    assert "&lt;img src=x onerror=alert\\(1\\)&gt;" in text
    assert "\\*evil\\*\\|pipe" in text
    assert "&lt;svg onload=alert\\(2\\)&gt;" in text
    # table rows keep their column count: an escaped pipe does not split a cell
    for line in text.splitlines():
        if line.startswith("| C"):
            assert len(re.findall(r"(?<!\\)\|", line)) == 4, line


def test_render_dispatch(rules_report: Report) -> None:
    assert render(rules_report, "json") == render_json(rules_report)
    assert render(rules_report, "markdown") == render_markdown(rules_report)
    assert render(rules_report, "csv") == render_csv(rules_report)
    with pytest.raises(ValueError, match="unknown format"):
        render(rules_report, "xml")


def test_markdown_lists_every_proposal_with_its_evidence(rules_report: Report) -> None:
    text = render_markdown(rules_report)
    for p in rules_report.proposals:
        assert f"`{p.id}`" in text
        for s in p.signals:
            for e in s.evidence:
                assert f"`{e.location}`" in text


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------


def test_csv_cell_neutralises_formulas() -> None:
    assert csv_cell("=cmd|' /C calc'!A0") == "'=cmd|' /C calc'!A0"
    assert csv_cell("+1") == "'+1"
    assert csv_cell("-1+2") == "'-1+2"
    assert csv_cell("@SUM(A1)") == "'@SUM(A1)"
    assert csv_cell("\t=1") == "'\t=1"
    assert csv_cell("orders") == "orders"
    assert csv_cell(-1.5) == "-1.5"  # numbers stay numbers
    assert csv_cell(None) == ""
    assert csv_cell(True) == "true"


def test_csv_neutralises_hostile_names() -> None:
    report = _report(EXPORTS / "hostile-names.yaml")
    text = render_csv(report)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "proposal_id"
    assert len(rows) == len(report.proposals) + 1 >= 3
    for row in rows:
        assert len(row) == len(rows[0])
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    members = {r[5] for r in rows[1:]}
    assert "'+sum(a1);=cmd|' /c calc'!a0" in members
    assert "'-minus;@at" in members
    owners = {r[7] for r in rows[1:]}
    assert "'@team-formula" in owners


def test_csv_has_a_row_per_proposal(rules_report: Report) -> None:
    rows = list(csv.DictReader(io.StringIO(render_csv(rules_report))))
    assert [r["proposal_id"] for r in rows] == [p.id for p in rules_report.proposals]
    for r, p in zip(rows, rules_report.proposals, strict=True):
        assert r["members"] == ";".join(p.members)
        assert float(r["score"]) == p.score
        assert int(r["services_fewer"]) == len(p.members) - 1


# --------------------------------------------------------------------------------------------
# Secrets
# --------------------------------------------------------------------------------------------


def test_no_secret_value_in_any_rendering() -> None:
    report = _report(EXPORTS / "secrets-in-manifests.yaml")
    assert {s.id for s in report.inventory.services} == {"order-history", "orders", "payments"}
    assert report.proposals  # the evidence with the connection strings is cited
    renderings = {fmt: render(report, fmt) for fmt in ("json", "markdown", "csv")}
    for fmt, text in renderings.items():
        for secret in SECRETS:
            assert secret not in text, (fmt, secret)
    # the connection strings are still cited, with the password masked
    assert "postgres://app:***@orders-db:5432/orders" in renderings["json"]
    assert "postgres://app:\\*\\*\\*@orders-db:5432/orders" in renderings["markdown"]


def test_trace_notes_reach_the_report() -> None:
    """Sampling and broken traces are reported: the trace reader's summary is a note of the report."""
    from advisor.api import analyze_paths

    broken = Path(__file__).resolve().parents[1] / "fixtures" / "traces" / "otlp-shop-kafka-db-broken.jsonl"
    report = analyze_paths([str(broken)])
    data = json.loads(render_json(report))
    assert len(data["notes"]) == 1
    note = data["notes"][0]
    assert note.startswith(f"{broken}: ")
    assert "have a parent span that is not in the input" in note
    assert "## Notes on the inputs" in render_markdown(report)


@pytest.mark.parametrize("data", [{}, {"b": [1, {"y": 2, "x": None}], "a": "é\u2028", "ab": 1.5, "A": True}])
def test_values_rendered_apart_join_into_the_bytes_orjson_gives_for_the_whole(data: dict[str, Any]) -> None:
    """The report's JSON is joined from parts rendered in forked children (views of their memory)
    and here: the same bytes as rendering it whole."""
    import orjson

    from advisor.exports import _joined

    parts = {k: orjson.dumps(v, option=orjson.OPT_SORT_KEYS) for k, v in data.items()}
    views = {k: memoryview(v) for k, v in parts.items()}
    whole = orjson.dumps(data, option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)
    assert _joined(parts) == _joined(views) == whole
