"""A JSON report read back is the same report: equal objects, the same bytes in every format, the
same answers to the decisions store; anything else gets a clear error."""

from __future__ import annotations

import gc
import json
from dataclasses import replace
from pathlib import Path

import orjson
import pytest

from advisor.api import analyze_paths
from advisor.config import Config
from advisor.decisions import DecisionStore, apply_decisions, evidence_digest, evidence_keys
from advisor.exports import cache_json, keep_json, render_bytes, render_json_bytes, report_as_dict
from advisor.loading import load_report, report_from_dict
from advisor.model import Report
from advisor.records import render_madr_all
from bench.generate import generate
from inventory.cache import FileCache
from inventory.errors import InputError
from inventory.model import Evidence

ROOT = Path(__file__).resolve().parents[2]
FORMATS = ("json", "markdown", "csv", "graphml", "dot", "backstage")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    truth = generate(out, services=200, seed=5)
    return out / truth.inventory


def _reports(generated: Path) -> list[Report]:
    return [
        analyze_paths([ROOT / "examples" / "inventory"], Config()),
        analyze_paths([ROOT / "tests" / "fixtures" / "rules"], Config()),
        analyze_paths([ROOT / "tests" / "fixtures" / "exports"], Config()),
        analyze_paths([generated], Config(), workers=1),
    ]


def _same(a: Report, b: Report) -> None:
    assert b == a
    for fmt in FORMATS:
        assert render_bytes(b, fmt) == render_bytes(a, fmt), fmt
    assert render_bytes(b, "json", pretty=True) == render_bytes(a, "json", pretty=True)
    assert render_madr_all(b) == render_madr_all(a)
    assert [evidence_digest(p) for p in b.proposals] == [evidence_digest(p) for p in a.proposals]
    assert [evidence_keys(p) for p in b.proposals] == [evidence_keys(p) for p in a.proposals]


def test_a_report_read_back_is_the_same_report(generated: Path) -> None:
    for report in _reports(generated):
        assert report.proposals and report.inventory.dependencies  # something to lose
        _same(report, load_report(render_json_bytes(report)))


def test_decisions_and_missing_metrics_survive(generated: Path, tmp_path: Path) -> None:
    report = analyze_paths([ROOT / "examples" / "inventory"], Config())
    store = DecisionStore(tmp_path / "decisions.sqlite")
    store.decide(report.proposals[0], "accept", "one team owns both")
    decided = apply_decisions(report, store)
    assert decided.proposals[0].decision
    _same(decided, load_report(render_json_bytes(decided)))
    # a service without metrics (a report filtered by hand, say) stays without
    partial = replace(report, service_metrics=report.service_metrics[1:])
    back = load_report(render_json_bytes(partial))
    assert [m.id for m in back.service_metrics] == [m.id for m in partial.service_metrics]
    _same(partial, back)


def test_evidence_cited_twice_is_one_object_again() -> None:
    report = analyze_paths([ROOT / "examples" / "inventory"], Config())
    back = load_report(render_json_bytes(report))
    by_key: dict[tuple[str, str, str], Evidence] = {}
    for d in back.inventory.dependencies:
        for e in d.evidence:
            by_key.setdefault((e.reader, e.location, e.detail), e)
    cited = [e for p in back.proposals for s in p.signals for e in s.evidence
             if (e.reader, e.location, e.detail) in by_key]
    assert cited and all(by_key[(e.reader, e.location, e.detail)] is e for e in cited)


@pytest.mark.parametrize(("data", "message"), [
    (b"{not json", "not JSON"),
    (b"[]", "no schema_version"),
    (b'{"services": []}', "no schema_version"),
    (b'{"schema_version": 2}', "schema_version 2 is not 1"),
    (b'{"schema_version": 1, "services": []}', "malformed report .KeyError"),
    (b'{"schema_version": 1, "services": [1]}', "malformed report .TypeError"),
])
def test_what_is_not_a_report_is_refused_clearly(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message) as caught:
        load_report(data, "saved/report.json")
    assert caught.value.location == "saved/report.json"


def test_a_truncated_report_is_refused() -> None:
    report = analyze_paths([ROOT / "examples" / "inventory"], Config())
    data = orjson.loads(render_json_bytes(report))
    del data["services"][0]["evidence"]
    with pytest.raises(InputError, match="malformed report"):
        report_from_dict(data)


def test_kept_json_is_returned_for_that_report_only_and_while_it_lives() -> None:
    report = analyze_paths([ROOT / "examples" / "inventory"], Config())
    rendered = cache_json(report)
    assert render_json_bytes(report) is rendered
    assert render_json_bytes(report, pretty=True) != rendered  # indented JSON is rendered afresh
    other = replace(report, proposals=report.proposals[1:])
    assert render_json_bytes(other) != rendered  # an equal-looking copy is another object
    keep_json(other, b"{}\n")
    assert render_json_bytes(other) == b"{}\n"
    del other
    gc.collect()
    from advisor import exports

    assert all(ref() is not None for ref, _ in exports._KEPT.values())  # the copy's entry went with it
    assert render_json_bytes(report) is rendered


_COLLECTOR_IN_KEEP_JSON = """
import gc
from dataclasses import replace
from advisor.exports import keep_json
from advisor.model import Report, SystemMetrics
from inventory.model import Inventory
base = Report(Inventory(), (), SystemMetrics(0, 0, {}, (), (), (), {}, (), 0), (), (), ())
for threshold in range(1, 40):  # one of them makes the collector run inside keep_json
    a, b = replace(base), replace(base)
    keep_json(a, b"A")
    gc.collect()
    cycle = [a]
    cycle.append(cycle)  # a is now freed only by the collector, which runs its weakref callback
    del a, cycle
    gc.set_threshold(threshold)
    keep_json(b, b"B")
    gc.set_threshold(700)
print("returned")
"""


def test_the_collector_freeing_a_kept_report_inside_keep_json_does_not_hang() -> None:
    # in a child process: a lock taken by the callback would hang it for good (it did, before)
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _COLLECTOR_IN_KEEP_JSON], capture_output=True, text=True,
                          timeout=60, cwd=ROOT, check=True)
    assert done.stdout.strip() == "returned"


def _surrogate_inventory(folder: Path) -> Path:
    # a JSON input may carry a lone surrogate (\ud800) in a name, which UTF-8 cannot hold
    folder.mkdir()
    (folder / "k.json").write_text(
        '{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"apps/v1","kind":"Deployment",'
        '"metadata":{"name":"a\\ud800b"},"spec":{"template":{"metadata":{"labels":{"app":"x"}},'
        '"spec":{"containers":[{"name":"c","image":"i"}]}}}}]}')
    return folder


def test_a_report_orjson_refuses_is_not_cached_and_still_renders(tmp_path: Path) -> None:
    inventory = _surrogate_inventory(tmp_path / "inv")
    report = analyze_paths([inventory], Config(), cache=FileCache(tmp_path / "cache"))  # must not raise
    assert not list((tmp_path / "cache").glob("*/*.json"))  # not stored: it could not be read back the same
    assert cache_json(report) is None
    data = render_json_bytes(report)
    assert b"a\\ud800b" in data and json.loads(data)["services"]  # escaped, valid JSON (orjson refuses it)
    for fmt in FORMATS:
        assert isinstance(render_bytes(report, fmt), bytes)  # no UnicodeEncodeError
    assert b"a\\ud800b" in render_bytes(report, "dot")


def test_an_integer_beyond_64_bits_is_not_cached_as_a_float(tmp_path: Path) -> None:
    inventory = tmp_path / "inv"
    inventory.mkdir()
    (inventory / "deploy.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: orders, namespace: shop}\n"
        "spec:\n  replicas: 123456789012345678901234567890\n  template:\n    metadata: {labels: {app: orders}}\n"
        "    spec:\n      containers: [{name: orders, image: 'orders:1'}]\n")
    first = analyze_paths([inventory], Config(), cache=FileCache(tmp_path / "cache"))
    again = analyze_paths([inventory], Config(), cache=FileCache(tmp_path / "cache"))
    assert again == first
    assert b"123456789012345678901234567890" in render_json_bytes(again)
    assert render_json_bytes(again, pretty=True) == render_json_bytes(first, pretty=True)


def test_the_json_joined_from_parts_rendered_ahead_is_the_json_rendered_here() -> None:
    """What the analysis's forked children render (the inventory's parts, the measured ones: views
    of their memory files) joins into the very bytes rendering the whole report here gives."""
    from advisor.exports import inventory_json, measured_json

    report = analyze_paths([ROOT / "examples" / "inventory"], Config())
    here = cache_json(report)
    inventory, measured = inventory_json(report.inventory), measured_json(report)
    assert here is not None and inventory is not None and measured is not None
    ahead = cache_json(report, {k: memoryview(v) for k, v in inventory.items()}, measured)
    whole = orjson.dumps(report_as_dict(report), option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)
    assert ahead == here == whole
