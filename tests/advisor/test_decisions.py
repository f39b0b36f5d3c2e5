"""Decisions that stick (accept / reject / defer in SQLite) and the history of runs."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from advisor import decisions
from advisor.api import analyze_paths
from advisor.config import Config
from advisor.decisions import DecisionError, DecisionStore, apply_decisions, evidence_keys
from advisor.model import Proposal, Report

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rules"
AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)

#: Two pairs: order-history + orders share a schema; accounts + profiles call each other.
INVENTORY = (FIXTURES / "shared-datastore-MERGE.yaml").read_text(encoding="utf-8") + """\
  - {source: accounts, target: profiles, kind: sync}
  - {source: profiles, target: accounts, kind: sync}
"""
#: A second database both order services use: new evidence for the shared-datastore signal.
NEW_SHARED_DATASTORE = """\
  - {source: orders, target: database:orders-archive, kind: datastore, via: archive}
  - {source: order-history, target: database:orders-archive, kind: datastore, via: archive}
"""
ARCHIVE = "  - {name: orders-archive, kind: database}\n"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _analyse(path: Path) -> Report:
    return analyze_paths([path], Config())


def _by_members(report: Report) -> dict[tuple[str, ...], Proposal]:
    return {p.members: p for p in report.proposals}


@pytest.fixture()
def inv(tmp_path: Path) -> Path:
    return _write(tmp_path / "inv.yaml", INVENTORY)


@pytest.fixture()
def store(tmp_path: Path) -> DecisionStore:
    return DecisionStore(tmp_path / "state" / "decisions.sqlite")


def test_the_two_pairs_are_proposed(inv: Path) -> None:
    report = _analyse(inv)
    assert sorted(_by_members(report)) == [("accounts", "profiles"), ("order-history", "orders")]


def test_nothing_is_created_until_something_is_stored(store: DecisionStore, inv: Path) -> None:
    assert store.decisions() == {}
    assert store.history() == []
    report = _analyse(inv)
    assert apply_decisions(report, store) == report
    assert not store.path.exists()


@pytest.mark.parametrize(("verb", "status"), [("accept", "accepted"), ("reject", "rejected"), ("defer", "deferred"),
                                             ("ACCEPT", "accepted")])
def test_decisions_are_persisted(store: DecisionStore, inv: Path, verb: str, status: str) -> None:
    p = _by_members(_analyse(inv))[("order-history", "orders")]
    decision = store.decide(p, verb, "  the orders team agreed  ", at=AT)
    assert (decision.status, decision.reason, decision.decided_at) == (status, "the orders team agreed",
                                                                       "2026-03-01T09:30:00Z")
    # a new store object on the same file: read back from SQLite
    again = DecisionStore(store.path).decisions()
    assert list(again) == [p.id]
    d = again[p.id]
    assert (d.status, d.reason, d.decided_at, d.members) == (status, "the orders team agreed",
                                                             "2026-03-01T09:30:00Z", ("order-history", "orders"))
    assert d.evidence == evidence_keys(p)
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("SELECT proposal_id, status FROM decisions").fetchall() == [(p.id, status)]


def test_a_new_decision_replaces_the_old_one(store: DecisionStore, inv: Path) -> None:
    p = _by_members(_analyse(inv))[("order-history", "orders")]
    store.decide(p, "defer", "after the migration", at=AT)
    store.decide(p, "accept", "migration done", at=AT)
    assert [(d.status, d.reason) for d in store.decisions().values()] == [("accepted", "migration done")]


def test_bad_decisions_are_refused(store: DecisionStore, inv: Path) -> None:
    p = _by_members(_analyse(inv))[("order-history", "orders")]
    with pytest.raises(DecisionError, match="unknown decision"):
        store.decide(p, "merge", "because")
    with pytest.raises(DecisionError, match="needs a reason"):
        store.decide(p, "accept", "   ")
    assert store.decisions() == {}


def test_accepted_and_deferred_proposals_carry_their_decision(store: DecisionStore, inv: Path) -> None:
    report = _analyse(inv)
    by = _by_members(report)
    store.decide(by[("order-history", "orders")], "accept", "one team, one schema", at=AT)
    store.decide(by[("accounts", "profiles")], "defer", "next quarter", at=AT)
    applied = apply_decisions(_analyse(inv), store)
    assert {p.members: dict(p.decision or {}) for p in applied.proposals} == {
        ("order-history", "orders"): {"status": "accepted", "reason": "one team, one schema",
                                      "decided_at": "2026-03-01T09:30:00Z"},
        ("accounts", "profiles"): {"status": "deferred", "reason": "next quarter",
                                   "decided_at": "2026-03-01T09:30:00Z"},
    }


def test_a_rejected_proposal_is_withdrawn_while_its_evidence_is_the_same(store: DecisionStore, inv: Path) -> None:
    report = _analyse(inv)
    rejected = _by_members(report)[("order-history", "orders")]
    store.decide(rejected, "reject", "orders-db is being split", at=AT)
    applied = apply_decisions(_analyse(inv), store)
    assert [(p.rank, p.members, p.decision) for p in applied.proposals] == [(1, ("accounts", "profiles"), None)]


def test_moving_lines_is_not_a_material_change(store: DecisionStore, inv: Path) -> None:
    rejected = _by_members(_analyse(inv))[("order-history", "orders")]
    store.decide(rejected, "reject", "orders-db is being split", at=AT)
    # someone adds comments above: every line number in the evidence moves, nothing else changes
    _write(inv, "# reviewed in March\n# see ADR-7\n" + INVENTORY)
    moved = _analyse(inv)
    p = _by_members(moved)[("order-history", "orders")]
    assert {e.location for s in p.signals for e in s.evidence} != {
        e.location for s in rejected.signals for e in s.evidence}
    applied = apply_decisions(moved, store)
    assert [p.members for p in applied.proposals] == [("accounts", "profiles")]


def test_a_rejected_proposal_comes_back_when_the_evidence_changes(store: DecisionStore, inv: Path) -> None:
    rejected = _by_members(_analyse(inv))[("order-history", "orders")]
    store.decide(rejected, "reject", "orders-db is being split", at=AT)
    # they now share a second database
    text = INVENTORY.replace("resources:\n", "resources:\n" + ARCHIVE) + NEW_SHARED_DATASTORE
    _write(inv, text)
    changed = _analyse(inv)
    p = _by_members(changed)[("order-history", "orders")]
    assert p.id == rejected.id  # same members, same id
    applied = apply_decisions(changed, store)
    back = _by_members(applied)[("order-history", "orders")]
    decision = dict(back.decision or {})
    assert decision["status"] == "reconsider"
    assert decision["previous"] == "rejected"
    assert decision["reason"] == "orders-db is being split"
    assert decision["decided_at"] == "2026-03-01T09:30:00Z"
    assert "new evidence shared-datastore@" in decision["changed"]
    assert "orders-archive" in decision["changed"]
    assert "gone" not in decision["changed"]
    assert [p.rank for p in applied.proposals] == [1, 2]


def test_a_signal_that_appears_is_a_material_change(store: DecisionStore, inv: Path) -> None:
    rejected = _by_members(_analyse(inv))[("accounts", "profiles")]
    store.decide(rejected, "reject", "different domains", at=AT)
    # the file now says one team owns both
    text = INVENTORY.replace("services:\n", "services:\n  - {name: accounts, owner: team-identity}\n"
                                            "  - {name: profiles, owner: team-identity}\n")
    _write(inv, text)
    applied = apply_decisions(_analyse(inv), store)
    back = _by_members(applied)[("accounts", "profiles")]
    decision = dict(back.decision or {})
    assert decision["status"] == "reconsider"
    assert "new signal same-owner" in decision["changed"]


def test_new_call_counts_from_traces_are_not_a_material_change(store: DecisionStore, tmp_path: Path) -> None:
    text = (FIXTURES / "chatty-pair-MERGE.yaml").read_text(encoding="utf-8")
    edges = _write(tmp_path / "edges.yaml", text)
    [rejected] = _analyse(edges).proposals
    store.decide(rejected, "reject", "the cart is on its own roadmap", at=AT)
    _write(edges, text.replace("weight: 1200, errors: 3", "weight: 1350, errors: 5"))
    again = _analyse(edges)
    assert [p.members for p in again.proposals] == [("cart", "frontend")]
    assert apply_decisions(again, store).proposals == ()
    # a new partner in the traces is new evidence
    _write(edges, text.replace("weight: 1200, errors: 3", "weight: 1350, errors: 5")
           + "  - {source: cart, target: frontend, weight: 400}\n")
    [back] = apply_decisions(_analyse(edges), store).proposals
    assert (back.decision or {})["status"] == "reconsider"
    assert "cart -> frontend" in (back.decision or {})["changed"]


def test_runs_are_recorded(store: DecisionStore, inv: Path) -> None:
    first = _analyse(inv)
    run1 = store.record_run(first, at=AT)
    _write(inv, INVENTORY + "  - {source: accounts, target: orders, kind: sync}\n")
    second = _analyse(inv)
    run2 = store.record_run(second, at=datetime(2026, 3, 2, tzinfo=UTC))
    assert (run1, run2) == (1, 2)
    history = DecisionStore(store.path).history()
    assert [(r.id, r.at, r.services, r.resources, r.dependencies, r.proposals) for r in history] == [
        (1, "2026-03-01T09:30:00Z", 4, 1, 4, 2),
        (2, "2026-03-02T00:00:00Z", 4, 1, 5, 2),
    ]
    assert [t["id"] for t in history[0].top] == [p.id for p in first.proposals]
    assert history[0].top[0]["members"] == list(first.proposals[0].members)
    assert history[0].top[0]["evidence"] == list(evidence_keys(first.proposals[0]))
    assert history[0].clusters == len(first.clusters)
    assert history[0].cycles == len(first.system_metrics.cycles)
    # the figures alone
    figures = DecisionStore(store.path).history(top=False)
    assert [(r.id, r.dependencies, r.top) for r in figures] == [(1, 4, ()), (2, 5, ())]


def test_the_same_run_is_recorded_once_when_asked(store: DecisionStore, inv: Path) -> None:
    """``unless_same``: a dashboard restarted on unchanged inputs adds nothing to the history, however
    many proposals there are (more than 10 here), and a change anywhere in the best proposals counts."""
    report = _analyse(inv)
    many = replace(report, proposals=report.proposals * 6)
    assert store.record_run(many, unless_same=True) == 1
    assert store.record_run(many, unless_same=True) is None
    # the same figures, two proposals below the tenth swapped
    swapped = list(many.proposals)
    swapped[10], swapped[11] = swapped[11], swapped[10]
    assert store.record_run(replace(many, proposals=tuple(swapped)), unless_same=True) == 2
    # the same proposals with other evidence
    first = many.proposals[0]
    signal = replace(first.signals[0], evidence=first.signals[0].evidence[1:])
    other = replace(many, proposals=(replace(first, signals=(signal, *first.signals[1:])), *many.proposals[1:]))
    assert evidence_keys(other.proposals[0]) != evidence_keys(first)
    assert store.record_run(other, unless_same=True) == 3
    assert store.record_run(other) == 4  # without it, every run is recorded


def test_sessions_opening_together_record_the_run_once(store: DecisionStore, inv: Path) -> None:
    """The check and the insert are one write transaction: two sessions held up by another writer
    (so that both would check before either inserts) record the run once."""
    import threading
    import time
    from contextlib import closing

    report = _analyse(inv)
    store.record_run(replace(report, proposals=()))  # an earlier, different run
    with closing(sqlite3.connect(store.path)) as writer:
        writer.execute("BEGIN IMMEDIATE")  # another writer holds the store
        sessions = [threading.Thread(target=DecisionStore(store.path).record_run, args=(report,),
                                     kwargs={"unless_same": True}) for _ in range(2)]
        for t in sessions:
            t.start()
        time.sleep(0.5)  # both are waiting for the writer now
        writer.rollback()
    for t in sessions:
        t.join()
    assert [r.proposals for r in store.history()] == [0, len(report.proposals)]


def test_only_the_last_runs_keep_their_proposals(store: DecisionStore, inv: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Older runs keep their figures (the history) but not their best proposals: a large inventory
    analysed every night would otherwise grow the store by its proposals' evidence for good."""
    monkeypatch.setattr(decisions, "KEPT_TOPS", 2)
    report = _analyse(inv)
    proposal = report.proposals[0]
    for day in range(1, 5):
        store.record_run(report, at=datetime(2026, 3, day, tzinfo=UTC))
    history = store.history()
    assert [r.at[:10] for r in history] == ["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04"]
    assert [r.proposals for r in history] == [len(report.proposals)] * 4
    assert [len(r.top) for r in history] == [0, 0, len(report.proposals), len(report.proposals)]
    assert store.find_proposal(proposal.id) == history[-1].top[0]
    # the newest run that proposed it tells
    rescored = replace(report, proposals=(replace(proposal, score=proposal.score + 1), *report.proposals[1:]))
    store.record_run(rescored)
    assert (store.find_proposal(proposal.id) or {})["score"] == proposal.score + 1
    # a store whose runs have all gone past the limit (none recorded since) cannot decide by id
    monkeypatch.setattr(decisions, "KEPT_TOPS", 0)
    store.record_run(report)
    assert store.find_proposal(proposal.id) is None
    with pytest.raises(DecisionError, match="the last 0 runs keep their proposals"):
        store.decide_by_id(proposal.id, "accept", "one service")


def test_decide_by_id_uses_the_recorded_run(store: DecisionStore, inv: Path) -> None:
    report = _analyse(inv)
    p = _by_members(report)[("order-history", "orders")]
    with pytest.raises(DecisionError, match="no recorded run proposed"):
        store.decide_by_id(p.id, "reject", "not yet")
    store.record_run(report, at=AT)
    decision = store.decide_by_id(p.id, "reject", "not yet", at=AT)
    assert (decision.proposal_id, decision.status, decision.members) == (p.id, "rejected", p.members)
    assert decision.evidence == evidence_keys(p)
    # the rejection made from the run's record withdraws the proposal like one made from the report
    assert [q.members for q in apply_decisions(_analyse(inv), store).proposals] == [("accounts", "profiles")]
    with pytest.raises(DecisionError, match="no recorded run proposed"):
        store.decide_by_id("P-00000000", "accept", "why not")
