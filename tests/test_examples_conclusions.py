"""The advisor's conclusions on the bundled example match examples/expected.yaml.

The reader-level facts are checked in test_examples_inventory.py; this checks the advice: which
groups are proposed with which signals, which decoys never are, hubs, infrastructure, and that
no planted secret reaches any rendering.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from advisor.api import analyze_paths
from advisor.config import load_config
from advisor.exports import render_csv, render_json, render_markdown
from advisor.model import Report
from advisor.records import render_backstage_patch, render_dot, render_graphml, render_madr_all

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="module")
def expected() -> dict:
    return yaml.safe_load((EXAMPLES / "expected.yaml").read_text())


@pytest.fixture(scope="module")
def report() -> Report:
    return analyze_paths([EXAMPLES / "inventory"], load_config(EXAMPLES / "advisor.yaml"))


def test_exactly_the_planted_groups_are_proposed(report: Report, expected: dict) -> None:
    assert len(report.proposals) == len(expected["proposals"])
    for want in expected["proposals"]:
        required = set(want["members"])
        allowed = required | set(want.get("optional_members", []))
        matches = [p for p in report.proposals if required <= set(p.members) <= allowed]
        assert len(matches) == 1, f"{want['name']}: {[p.members for p in report.proposals]}"
        proposal = matches[0]
        names = {s.name for s in proposal.signals}
        assert set(want["signals"]) <= names, (want["name"], names)
        assert not {s.name for s in proposal.counter_signals} & set(expected["counter_signals_absent"])
        assert proposal.stability is not None and proposal.stability >= 0.5
        # every signal cites evidence a person can open
        assert all(s.evidence and all(e.location for e in s.evidence) for s in proposal.signals)


def test_decoys_are_never_proposed(report: Report, expected: dict) -> None:
    proposed = {m for p in report.proposals for m in p.members}
    assert not proposed & set(expected["never_proposed"])


def test_hubs_and_infrastructure(report: Report, expected: dict) -> None:
    assert set(report.system_metrics.hubs) == set(expected["hubs"])
    assert not set(report.system_metrics.hubs) & set(expected["not_hubs"])
    infra = set(report.system_metrics.infrastructure)
    reasons = " ".join(r for e in report.coupling for r in e.reasons)
    for item in expected["infrastructure"]:
        if item.startswith("broker:"):
            # using a broker is never coupling by itself: it appears in no coupling reason
            assert item not in reasons, item
        else:
            assert item in infra, item


def test_shared_datastores_are_the_planted_ones(report: Report, expected: dict) -> None:
    shared = {k: set(v) for k, v in report.system_metrics.shared_datastores.items()}
    for resource, users in expected["shared_datastores"].items():
        assert shared.get(resource) == set(users), resource


def test_no_planted_secret_in_any_rendering(report: Report, expected: dict) -> None:
    outputs = [render_json(report), render_markdown(report), render_csv(report), render_dot(report),
               render_graphml(report), render_backstage_patch(report), *render_madr_all(report).values()]
    for secret in expected["secrets"]:
        for text in outputs:
            assert secret not in text


def test_the_report_is_byte_identical_across_runs(report: Report) -> None:
    again = analyze_paths([EXAMPLES / "inventory"], load_config(EXAMPLES / "advisor.yaml"))
    assert render_json(again) == render_json(report)
