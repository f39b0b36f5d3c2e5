"""Every merge rule against fixtures that name their verdict (tests/fixtures/rules/*-MERGE.yaml, *-KEEP.yaml).

Each fixture is a native inventory that says what it expects under ``x-expect`` (a key the reader
ignores): the rule, the group of services to evaluate, the points when the signal fires and
whether the analysis proposes that group. The lines the signal must cite as evidence carry the
comment ``# evidence``, unless ``x-expect.evidence`` lists the locations (co-change evidence
cites commits, and ``x-expect.co_change`` gives the pairs the analysis would get from git).

The verdict in the file name is the verdict on the merge: for a rule that speaks *for* a merge,
``MERGE`` means its signal fires and ``KEEP`` that it does not; for a rule that speaks *against*
(cross-team, hub ...), ``KEEP`` means it fires and ``MERGE`` that it does not.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from advisor.analysis import analyze_inventory, what_if
from advisor.cochange import ChangeHistory, coupled_pairs
from advisor.config import Config, Proposals
from advisor.model import Proposal, Report, Signal
from advisor.proposals import evaluate_group
from advisor.rules import RULES, RULES_BY_NAME, Indexes
from inventory.model import Evidence
from inventory.reading import read_paths

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rules"
RULES_DIR = Path(__file__).resolve().parents[2] / "advisor" / "rules"
FILES = sorted(FIXTURES.glob("*.yaml"))


def _expect(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    expect: dict[str, Any] = data["x-expect"]
    return expect


def _marked(path: Path) -> set[str]:
    """``file:line`` of every line of the fixture marked ``# evidence``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return {f"{path}:{n}" for n, line in enumerate(lines, 1) if line.rstrip().endswith("# evidence")}


def _signal(p: Proposal, name: str) -> Signal | None:
    found = [s for s in (*p.signals, *p.counter_signals) if s.name == name]
    assert len(found) <= 1
    return found[0] if found else None


CoChange = dict[tuple[str, str], tuple[float, tuple[Evidence, ...]]]


def _co_change(path: Path) -> CoChange:
    out: CoChange = {}
    for entry in _expect(path).get("co_change", []):
        a, b = sorted(entry["pair"])
        out[(a, b)] = (entry["degree"], tuple(Evidence(**e) for e in entry["evidence"]))
    return out


def _history(path: Path) -> ChangeHistory | None:
    """``x-expect.history``: logical commits per service and per pair, as git would give them."""
    raw = _expect(path).get("history")
    if raw is None:
        return None
    return ChangeHistory(
        revisions=dict(raw["revisions"]),
        shared={tuple(sorted(e["pair"])): e["shared"] for e in raw.get("shared", [])},
        latest={k: Evidence(**v) for k, v in raw.get("latest", {}).items()},
    )


def _analyse(path: Path, config: Config | None = None) -> Report:
    inventory = read_paths([path])
    assert inventory.skipped == (), inventory.skipped
    assert inventory.unresolved == (), inventory.unresolved
    return analyze_inventory(inventory, config or Config(), co_change=_co_change(path) or None,
                             history=_history(path))


def _evaluate(path: Path, report: Report, group: Sequence[str], config: Config | None = None) -> Proposal:
    """The group evaluated as a merge against the analysed fixture (what-if, with the co-change)."""
    history = _history(path)
    co_change = _co_change(path) or (coupled_pairs(history) if history is not None else {})
    index = Indexes(report.inventory, config or Config(), {m.id: m for m in report.service_metrics},
                    frozenset(report.system_metrics.hubs), co_change, history=history)
    return evaluate_group(group, index, report.system_metrics)


def _fires(path: Path, direction: str) -> bool:
    verdict = path.stem.rsplit("-", 1)[1]
    assert verdict in ("MERGE", "KEEP"), path.name
    return (verdict == "MERGE") == (direction == "for")


def test_every_rule_has_a_merge_and_a_keep_fixture() -> None:
    stems = {p.stem for p in FILES}
    for rule in RULES:
        assert f"{rule.name}-MERGE" in stems, rule.name
        assert f"{rule.name}-KEEP" in stems, rule.name
    for path in FILES:
        rule_name = _expect(path)["rule"]
        assert rule_name in RULES_BY_NAME, path.name
        assert path.stem.startswith(rule_name + "-"), path.name


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_rule_fixture(path: Path) -> None:
    expect = _expect(path)
    rule = RULES_BY_NAME[expect["rule"]]
    group = tuple(sorted(expect["group"]))
    report = _analyse(path)
    evaluated = _evaluate(path, report, group)
    assert evaluated.members == group
    signal = _signal(evaluated, rule.name)

    if _fires(path, rule.direction):
        assert signal is not None, f"{rule.name} should fire on {group}"
        assert (signal.code, signal.name, signal.direction) == (rule.code, rule.name, rule.direction)
        assert signal.points == expect["points"]
        assert set(signal.services) <= set(group) and len(signal.services) >= 1
        marked = {str(e) for e in expect["evidence"]} if "evidence" in expect else _marked(path)
        assert marked, "a firing fixture names its evidence"
        assert {e.location for e in signal.evidence} == marked
        assert signal.summary
        bucket = evaluated.signals if rule.direction == "for" else evaluated.counter_signals
        assert signal in bucket
    else:
        assert signal is None, f"{rule.name} should not fire on {group}: {signal}"
        assert "points" not in expect

    together = [p for p in report.proposals if set(group) <= set(p.members)]
    if expect["proposed"]:
        assert [p.members for p in together] == [group]
        proposal = together[0]
        assert proposal.score > 0
        # the analysis cites the same signal as the what-if of the same group
        assert _signal(proposal, rule.name) == signal
        assert proposal.score == evaluated.score
    else:
        assert together == []


WEAK = [p for p in FILES if not RULES_BY_NAME[_expect(p)["rule"]].strong
        and RULES_BY_NAME[_expect(p)["rule"]].direction == "for" and p.stem.endswith("-MERGE")]


def test_the_weak_rules_are_the_documented_ones() -> None:
    weak = sorted(r.name for r in RULES if r.direction == "for" and not r.strong)
    assert weak == ["declared-dependency", "entity-overlap", "same-owner", "sync-calls"]
    assert all(not r.strong for r in RULES if r.direction == "against")
    assert {p.stem for p in WEAK} == {"declared-dependency-MERGE", "entity-overlap-MERGE", "same-owner-MERGE",
                                      "sync-calls-MERGE"}


@pytest.mark.parametrize("name", ["sync-calls-MERGE", "declared-dependency-MERGE"])
def test_a_weak_signal_alone_never_makes_a_proposal(name: str) -> None:
    path = FIXTURES / f"{name}.yaml"
    config = Config(proposals=Proposals(min_score=0.0))
    report = _analyse(path, config)
    group = tuple(sorted(_expect(path)["group"]))
    evaluated = what_if(report, group, config)
    assert evaluated.score > 0  # the group has points for it ...
    assert not any(RULES_BY_NAME[s.name].strong for s in evaluated.signals)
    assert report.proposals == ()  # ... but nothing strong, so no proposal


def test_evaluate_group_directly_matches_what_if() -> None:
    path = FIXTURES / "shared-datastore-MERGE.yaml"
    report = _analyse(path)
    index = Indexes(report.inventory, Config(), {m.id: m for m in report.service_metrics},
                    frozenset(report.system_metrics.hubs))
    # members in any order, with a duplicate
    p = evaluate_group(["orders", "order-history", "orders"], index, report.system_metrics)
    assert p.members == ("order-history", "orders")
    assert [(s.name, s.points) for s in p.signals] == [("shared-datastore", 3.0), ("same-owner", 1.0)]
    assert p.score == round(4 / 7, 4)
    whatif = what_if(report, ["orders", "order-history"], Config())
    extra = {k: v for k, v in whatif.impact.extra.items() if not k.startswith("modularity_")}
    assert p == replace(whatif, impact=replace(whatif.impact, extra=extra))


def test_shared_datastore_counts_each_shared_schema_up_to_two() -> None:
    text = (FIXTURES / "shared-datastore-MERGE.yaml").read_text(encoding="utf-8")
    text += ("  - {source: orders, target: events-db, kind: datastore, via: events}\n"
             "  - {source: order-history, target: events-db, kind: datastore, via: events}\n"
             "  - {source: orders, target: audit-db, kind: datastore}\n"
             "  - {source: order-history, target: audit-db, kind: datastore}\n")
    text = text.replace("resources:\n", "resources:\n  - {name: events-db, kind: database}\n"
                                         "  - {name: audit-db, kind: database}\n")
    # three shared datastores, counted as two: 3.0 x 2
    _check_capped(text, "shared-datastore", 6.0, "use orders-db (schema orders)", "use events-db (schema events)",
                  "use audit-db")


def _check_capped(text: str, rule: str, points: float, *parts: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "inv.yaml"
        path.write_text(text, encoding="utf-8")
        report = _analyse(path)
        group = tuple(sorted(_expect(path)["group"]))
        signal = _signal(what_if(report, group, Config()), rule)
    assert signal is not None
    assert signal.points == points
    for part in parts:
        assert part in signal.summary


# --------------------------------------------------------------------------------------------
# The rule modules themselves
# --------------------------------------------------------------------------------------------

KEBAB = re.compile(r"^[a-z]+(-[a-z]+)*$")


def test_every_rule_module_documents_itself() -> None:
    modules = sorted(p for p in RULES_DIR.glob("*.py") if p.name not in ("__init__.py", "base.py"))
    assert len(modules) == len(RULES)
    seen_in_modules = set()
    for module in modules:
        doc = ast.get_docstring(ast.parse(module.read_text(encoding="utf-8")))
        assert doc, module.name
        for heading in ("What it detects:", "Why it matters:", "Evidence:"):
            assert heading in doc, f"{module.name} lacks {heading!r}"
        first = doc.splitlines()[0]
        m = re.match(r"^([a-z-]+) \((ADV\d{3})\): ", first)
        assert m, f"{module.name}: first line {first!r} should be 'name (ADVnnn): ...'"
        name, rule_code = m.groups()
        assert module.stem == name.replace("-", "_")
        rule = RULES_BY_NAME[name]
        assert rule.code == rule_code
        assert rule.doc.strip() == doc.strip()
        seen_in_modules.add(name)
    assert seen_in_modules == set(RULES_BY_NAME)


def test_rule_codes_and_names_are_unique_and_well_formed() -> None:
    codes = [r.code for r in RULES]
    names = [r.name for r in RULES]
    assert len(set(codes)) == len(codes)
    assert len(set(names)) == len(names)
    for r in RULES:
        assert KEBAB.match(r.name), r.name
        assert re.fullmatch(r"ADV[12]\d\d", r.code), r.code
        # ADV1xx speak for a merge, ADV2xx against
        assert r.direction == ("for" if r.code.startswith("ADV1") else "against"), r.code
        assert r.weight > 0
    assert codes == sorted(codes)


# --------------------------------------------------------------------------------------------
# Switching rules off and re-weighting them in the configuration
# --------------------------------------------------------------------------------------------


def _with_rules(rules: dict[str, dict[str, Any]]) -> Config:
    return Config(proposals=Proposals(rules=rules))


def test_switching_a_rule_off_removes_its_signal() -> None:
    path = FIXTURES / "mutual-calls-MERGE.yaml"
    group = ("accounts", "profiles")
    on = _analyse(path)
    assert _signal(what_if(on, group, Config()), "mutual-calls") is not None
    assert [p.members for p in on.proposals] == [group]

    config = _with_rules({"mutual-calls": {"enabled": False}})
    off = _analyse(path, config)
    evaluated = what_if(off, group, config)
    assert _signal(evaluated, "mutual-calls") is None
    # the other signals stay; without its only strong signal the pair is not proposed
    assert [s.name for s in evaluated.signals] == ["same-owner", "sync-calls"]
    assert off.proposals == ()


def test_switching_an_against_rule_off_lets_the_merge_through() -> None:
    path = FIXTURES / "cross-team-KEEP.yaml"
    config = _with_rules({"cross-team": {"enabled": False}})
    report = _analyse(path, config)
    assert [p.members for p in report.proposals] == [("accounts", "ledger")]
    assert report.proposals[0].counter_signals == ()


def test_reweighting_a_rule_changes_its_points_and_the_score() -> None:
    path = FIXTURES / "shared-datastore-MERGE.yaml"
    group = ("order-history", "orders")
    config = _with_rules({"shared-datastore": {"weight": 5}, "same-owner": {"weight": 0.5}})
    report = _analyse(path, config)
    evaluated = what_if(report, group, config)
    assert [(s.name, s.points) for s in evaluated.signals] == [("shared-datastore", 5.0), ("same-owner", 0.5)]
    assert evaluated.score == round(5.5 / 8.5, 4)
    assert report.proposals[0].score == evaluated.score


def test_reweighting_an_against_rule() -> None:
    path = FIXTURES / "security-boundary-KEEP.yaml"
    config = _with_rules({"security-boundary": {"weight": 1.5}})
    report = _analyse(path, config)
    [proposal] = report.proposals
    [counter] = proposal.counter_signals
    assert (counter.name, counter.points) == ("security-boundary", 1.5)
    assert proposal.score == round(2.5 / 5.5, 4)  # 3 + 1 - 1.5


def test_rule_settings_from_yaml_config() -> None:
    from advisor.config import parse_config

    config = parse_config({"proposals": {"rules": {"chatty-pair": {"enabled": False}}}})
    report = _analyse(FIXTURES / "chatty-pair-MERGE.yaml", config)
    assert _signal(what_if(report, ("cart", "frontend"), config), "chatty-pair") is None
    assert report.proposals == ()


# --------------------------------------------------------------------------------------------
# Kubernetes inputs
# --------------------------------------------------------------------------------------------

NO_REQUESTS = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {team: team-web}}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: acme/web:1
          env: [{name: API_ADDR, value: "api:8080"}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, labels: {team: team-web}}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: acme/api:1}]
---
apiVersion: v1
kind: Service
metadata: {name: api}
spec: {selector: {app: api}, ports: [{port: 8080}]}
"""


def test_a_workload_without_resource_requests_is_not_a_nano_service(tmp_path: Path) -> None:
    path = tmp_path / "k8s.yaml"
    path.write_text(NO_REQUESTS, encoding="utf-8")
    report = analyze_inventory(read_paths([path]), Config())
    assert {(d.source, d.target) for d in report.inventory.dependencies} == {("web", "api")}
    evaluated = what_if(report, ("api", "web"), Config())
    # unknown size is not a small size: api runs one replica and serves only web, but nobody said how big it is
    assert _signal(evaluated, "nano-service") is None
    assert report.proposals == ()


def test_the_dependency_lookups_built_in_one_pass_are_each_what_its_definition_says() -> None:
    from inventory.model import DATASTORE_KINDS

    inv = read_paths([Path(__file__).resolve().parents[2] / "examples" / "inventory"])
    index = Indexes(inv, Config(), {}, frozenset())
    services = {s.id for s in inv.services}
    kinds = {r.id: r.kind for r in inv.resources}
    deps = inv.dependencies
    assert {k: v for k, v in index.outgoing.items()} == {
        s: [d for d in deps if d.source == s] for s in dict.fromkeys(d.source for d in deps)}
    assert {k: v for k, v in index.incoming.items()} == {
        t: [d for d in deps if d.target == t] for t in dict.fromkeys(d.target for d in deps)}
    assert dict(index.destinations_of) == {
        s: {d.target for d in deps if d.source == s and kinds.get(d.target) in ("topic", "queue")}
        for s in services if any(d.source == s and kinds.get(d.target) in ("topic", "queue") for d in deps)}
    used = [d for d in deps if d.source in services and kinds.get(d.target) in DATASTORE_KINDS]
    assert dict(index.datastore_users) == {
        key: [d for d in used if (d.target, d.via) == key] for key in dict.fromkeys((d.target, d.via) for d in used)}
    assert index.destinations_of and index.datastore_users  # the example has both
