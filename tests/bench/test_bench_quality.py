"""Scoring proposals and edges against a planted truth, and the growth exponents of the harness."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # ``bench`` is not an installed package; run from a checkout
    sys.path.insert(0, str(REPO))

from bench.generate import Truth  # noqa: E402
from bench.quality import proposal_members, score_edges, score_groups, secrets_leaked  # noqa: E402
from bench.run import growth, render_markdown  # noqa: E402

TRUTH = Truth(
    seed=1, services=9, inventory="inventory", files=1, documents=1, bytes=1,
    groups=(("a", "b"), ("c", "d", "e", "f", "g")),
    hubs=("auth",), infrastructure=("kafka", "shop-pg"),
    cross_team_pairs=(("x", "y"),), neighbours=(("a", "c"),),
    broadcast_topics={}, private_topics=("shop.c.created",),
    teams={"a": "t1", "b": "t1", "c": "t2", "d": "t2", "e": "t2", "f": "t2", "g": "t2", "x": "t1", "y": "t3",
           "auth": "tp"},
    edges=(("a", "b", "sync", None), ("b", "a", "sync", None), ("a", "shop-pg", "datastore", "ab"),
           ("c", "d", "messaging", "shop.c.created"), ("c", "kafka", "broker", None)),
    external_references=1, secrets=("s3cr3t",),
)


def test_a_perfect_answer_scores_one() -> None:
    s = score_groups([["b", "a"], ["g", "f", "e", "d", "c"]], TRUTH)
    assert (s["group_recall"], s["group_precision"], s["exact_recall"], s["pair_f1"]) == (1.0, 1.0, 1.0, 1.0)
    assert s["decoy_proposals"] == 0 and s["mixed_team_proposals"] == 0


def test_near_misses_count_by_jaccard_and_pairs() -> None:
    # {c,d,e,f} vs {c,d,e,f,g}: Jaccard 4/5 = 0.8 recovers it, but not exactly; {a,b,x}: 2/3 does not.
    s = score_groups([["c", "d", "e", "f"], ["a", "b", "x"]], TRUTH)
    assert s["recovered_groups"] == 1
    assert s["group_recall"] == 0.5 and s["group_precision"] == 0.5 and s["exact_recall"] == 0.0
    # true pairs: ab + 10 in the five-group = 11; predicted: 6 + 3 = 9, of which 6 + 1 are true
    assert s["pair_precision"] == pytest.approx(7 / 9)
    assert s["pair_recall"] == pytest.approx(7 / 11)
    assert s["pair_f1"] == pytest.approx(2 * (7 / 9) * (7 / 11) / (7 / 9 + 7 / 11))
    assert s["mixed_team_proposals"] == 0


def test_decoys_are_counted_per_reason() -> None:
    s = score_groups([["x", "y"], ["auth", "a", "b"], ["a", "c"], ["kafka", "d"]], TRUTH)
    assert s["decoys"] == {"hub": 1, "infrastructure": 1, "cross_team_pair": 1, "neighbours": 1}
    assert s["decoy_proposals"] == 4
    assert s["mixed_team_proposals"] == 3  # x/y, auth/a/b and a/c; kafka has no team
    assert s["group_precision"] == 0.0


def test_no_proposals_gives_zero_recall_and_no_precision() -> None:
    s = score_groups([], TRUTH)
    assert s["group_recall"] == 0.0 and s["group_precision"] is None and s["pair_f1"] == 0.0


def test_edges_are_matched_by_name_kind_and_via() -> None:
    report = {
        "services": [{"id": i, "name": i} for i in ("a", "b", "c", "d")],
        "resources": [{"id": "database:shop-pg", "name": "shop-pg"}, {"id": "broker:kafka", "name": "kafka"}],
        "dependencies": [
            {"source": "a", "target": "b", "kind": "sync", "via": None},
            {"source": "a", "target": "database:shop-pg", "kind": "datastore", "via": None},
            {"source": "c", "target": "d", "kind": "async", "via": "shop.c.created"},
            {"source": "c", "target": "broker:kafka", "kind": "async", "via": None},
            {"source": "d", "target": "a", "kind": "sync", "via": None},
        ],
        "unresolved": [{"reference": "api.example.com"}, {"reference": "2s"}],
        "proposals": [{"members": ["a", "b"]}, {"members": ["c", "database:shop-pg"]}],
    }
    e = score_edges(report, TRUTH)
    c = e["categories"]
    assert c["sync"] == {"planted": 2, "found": 1, "recall": 0.5}
    assert c["datastore"]["found"] == 1 and c["datastore_schema"] == {"planted": 1, "found": 0, "recall": 0.0}
    assert c["messaging"]["found"] == 1 and c["broker"]["found"] == 1
    assert e["unplanted_service_edges"] == 1 and e["unplanted_examples"] == [("d", "a")]
    assert (e["unresolved"], e["expected_unresolved"]) == (2, 1)
    assert proposal_members(report) == [["a", "b"], ["c", "shop-pg"]]
    assert secrets_leaked('{"detail": "pw s3cr3t"}', TRUTH) == 1
    assert secrets_leaked('{"detail": "pw ***"}', TRUTH) == 0


def _size(n: int, read: float, e2e: float) -> dict[str, object]:
    return {"services": n, "generate": {"seconds": 0.01, "files": 1, "documents": 3 * n, "megabytes": 1.0},
            "baseline": {"seconds": e2e}, "ratio_to_libyaml": 1.0,
            "analysis": {"end_to_end_seconds": e2e, "stages": {"read": read, "cluster": 0.001}}}


def _results(sizes: list[dict[str, object]]) -> dict[str, object]:
    """A run's results around ``sizes``, as bench.run writes them."""
    return {"date": "2026-01-01 00:00 UTC", "command": "python -m bench.run", "seed": 1, "workers": None,
            "machine": {"cpu": "cpu", "usable_cores": 2, "ram_gib": 8.0, "load_average_at_start": [0.1],
                        "os": "linux", "python": "3.11", "libyaml": True,
                        "versions": {"PyYAML": "6", "networkx": "3", "scikit-learn": "1"}},
            "sizes": sizes, "growth": []}


def test_growth_exponents_are_log_ratios_and_skip_tiny_stages() -> None:
    rows = growth([_size(1000, 1.0, 2.0), _size(4000, 4.0, 32.0)])
    assert rows[0]["read"] == 1.0 and rows[0]["end_to_end"] == 2.0 and rows[0]["libyaml"] == 2.0
    assert rows[0]["cluster"] is None and rows[0]["generate"] is None and rows[0]["graph"] is None


def test_markdown_has_a_row_per_size_and_says_when_the_advisor_is_missing() -> None:
    sizes = [_size(1000, 1.0, 2.0)]
    sizes[0]["analysis"] = {"available": False, "error": "the advisor API is not importable yet (x)"}
    sizes[0]["ratio_to_libyaml"] = None
    text = render_markdown(_results(sizes))
    assert "| 1000 | 1 | 3000 | 1.00 | 2.00 | – | – | – | – | – | – | – | – |" in text
    assert "Advisor not measured at 1000 services: the advisor API is not importable yet (x)" in text


def test_markdown_gives_the_median_ratio_of_the_pairs_and_their_range() -> None:
    sizes = [_size(1000, 1.0, 2.0)]
    sizes[0]["cli"] = {"seconds": 2.4}
    sizes[0]["ratio_to_libyaml"] = 1.2
    sizes[0]["pairs"] = [[2.0, 2.4], [2.0, 1.8], [2.0, 2.2]]
    sizes[0]["ratio_median"] = 1.1
    text = render_markdown(_results(sizes))
    assert "| ratio | median ratio | ratios (pairs) |" in text
    assert "| 1000 | 1 | 3000 | 1.00 | 2.00 | 2.40 | 1.20 | 1.10 | 0.90-1.20 (3) |" in text


def test_markdown_names_the_cpu_generation_when_known() -> None:
    """Ratios to libyaml differ between CPU generations that share a model name on a virtual machine."""
    results = _results([_size(1000, 1.0, 2.0)])
    assert "on cpu, 2 cores" in render_markdown(results)  # an older results file: no cpu_id
    machine = results["machine"]
    assert isinstance(machine, dict)
    machine["cpu_id"] = {"vendor_id": "AuthenticAMD", "cpu family": "26", "model": "2", "stepping": "1"}
    assert "on cpu (family 26, model 2), 2 cores" in render_markdown(results)
