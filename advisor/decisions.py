"""Decisions that stick, and the history of runs: a small SQLite store with nothing to start.

A person accepts, rejects or defers a proposal with a reason (CLI ``advisor decide``, or the
dashboard). The decision is keyed by the proposal id, which is derived from the members, and
remembers a digest of the evidence the proposal stood on. On later runs:

* an accepted or deferred proposal is shown with its decision;
* a rejected proposal is not proposed again while its evidence is materially the same; when the
  evidence changes (a signal appears or disappears, or the edges a strong signal rests on change),
  it comes back, saying what changed since the rejection.

Every analysis run is recorded too (services, edges, clusters, the top proposals), so the sprawl
can be followed over time (``advisor history``).

The store lives next to the configuration (``store:`` in ``advisor.yaml``, relative to it) or at
``.advisor/decisions.sqlite`` in the working folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from advisor.model import Proposal, Report
from inventory.errors import AdvisorError
from inventory.model import Evidence

DEFAULT_STORE = os.path.join(".advisor", "decisions.sqlite")
STATUSES = ("accepted", "rejected", "deferred")
#: Runs whose best proposals (``RunRecord.top``: members and evidence, what deciding by id needs) are
#: kept; older runs keep their figures only. A run of 20,000 services adds about 4 MB of them, so a
#: nightly analysis would otherwise grow the store by 1.5 GB a year.
KEPT_TOPS = 20
#: How many of a run's best proposals are recorded with it.
RUN_TOP = 500
_FIGURES = "services, resources, dependencies, clusters, proposals, cycles, cross_team_edges"
_RUN_FIGURES = f"id, at, {_FIGURES}"
_VERBS = {"accept": "accepted", "reject": "rejected", "defer": "deferred",
          "accepted": "accepted", "rejected": "rejected", "deferred": "deferred"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    proposal_id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    members TEXT NOT NULL,
    evidence_digest TEXT NOT NULL,
    evidence TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    services INTEGER NOT NULL,
    resources INTEGER NOT NULL,
    dependencies INTEGER NOT NULL,
    clusters INTEGER NOT NULL,
    proposals INTEGER NOT NULL,
    cycles INTEGER NOT NULL,
    cross_team_edges INTEGER NOT NULL,
    top TEXT NOT NULL
);
"""


class DecisionError(AdvisorError):
    """A decision cannot be recorded (unknown proposal, unknown status)."""


@dataclass(frozen=True)
class Decision:
    proposal_id: str
    status: str
    reason: str
    decided_at: str
    members: tuple[str, ...]
    evidence_digest: str
    evidence: tuple[str, ...]

    def as_dict(self) -> dict[str, str]:
        return {"status": self.status, "reason": self.reason, "decided_at": self.decided_at}


@dataclass(frozen=True)
class RunRecord:
    id: int
    at: str
    services: int
    resources: int
    dependencies: int
    clusters: int
    proposals: int
    cycles: int
    cross_team_edges: int
    top: tuple[dict[str, object], ...]


_LINE = re.compile(r":\d+$")
_COUNT = re.compile(r"\d[\d,.]*")


def _evidence_key(signal: str, e: Evidence) -> str:
    """One cited piece of evidence as a stable string: the file it is in and what it says, without the
    line number (an edit elsewhere in the file moves it) and, for observed traffic, without the
    counts (they change with every trace export)."""
    detail = _COUNT.sub("#", e.detail) if e.basis == "observed" else e.detail
    return f"{signal}@{_LINE.sub('', e.location)}: {detail}"


def evidence_keys(p: Proposal) -> tuple[str, ...]:
    """What a proposal stands on, as stable strings: each signal and the evidence it cites."""
    keys = []
    for s in (*p.signals, *p.counter_signals):
        keys.append(f"{s.direction}:{s.name}")
        keys.extend(_evidence_key(s.name, e) for e in s.evidence)
    return tuple(sorted(set(keys)))


def evidence_digest(p: Proposal) -> str:
    return hashlib.sha256("\n".join(evidence_keys(p)).encode()).hexdigest()[:16]


def what_changed(before: Sequence[str], after: Sequence[str]) -> list[str]:
    """Sentences naming the signals and evidence that appeared or disappeared."""
    b, a = set(before), set(after)
    out = []
    for k in sorted(a - b):
        out.append(f"new signal {k.split(':', 1)[1]}" if ":" in k and "@" not in k else f"new evidence {k}")
    for k in sorted(b - a):
        out.append(f"signal gone: {k.split(':', 1)[1]}" if ":" in k and "@" not in k else f"evidence gone: {k}")
    return out


def _material(before: Sequence[str], after: Sequence[str]) -> bool:
    """Whether evidence changed enough to reconsider a rejection: a signal came or went, or the
    evidence of a strong signal changed (a new location for the same signal counts)."""
    return set(before) != set(after)


def _checked(verb: str, reason: str, at: datetime | None) -> tuple[str, str]:
    """The status a verb means and the timestamp to record; a DecisionError for a bad verb or no reason."""
    status = _VERBS.get(verb.lower())
    if status is None:
        raise DecisionError(f"unknown decision '{verb}'; use accept, reject or defer")
    if not reason.strip():
        raise DecisionError("a decision needs a reason (--reason): it is what a reviewer reads later")
    return status, (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _as_list(value: object) -> list[object]:
    return list(value) if isinstance(value, list | tuple) else []


class DecisionStore:
    """The SQLite file holding decisions and run history; created on first use."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else Path(DEFAULT_STORE)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.path, timeout=10)) as conn:
            conn.executescript(_SCHEMA)
            with conn:
                yield conn

    # -- decisions -----------------------------------------------------------------------------

    def decide(self, proposal: Proposal, verb: str, reason: str, *, at: datetime | None = None) -> Decision:
        status, when = _checked(verb, reason, at)
        decision = Decision(proposal.id, status, reason.strip(), when, proposal.members, evidence_digest(proposal),
                            evidence_keys(proposal))
        self._save(decision)
        return decision

    def decide_by_id(self, proposal_id: str, verb: str, reason: str, *, at: datetime | None = None) -> Decision:
        """Decide on a proposal seen in a recorded run (the CLI knows proposals only by id)."""
        entry = self.find_proposal(proposal_id)
        if entry is None:
            raise DecisionError(
                f"no recorded run proposed '{proposal_id}' (the last {KEPT_TOPS} runs keep their proposals); run "
                "`advisor analyze` with the same store first (proposal ids are printed in every report)"
            )
        status, when = _checked(verb, reason, at)
        members = tuple(str(m) for m in _as_list(entry.get("members")))
        evidence = tuple(str(e) for e in _as_list(entry.get("evidence")))
        decision = Decision(proposal_id, status, reason.strip(), when, members, str(entry.get("digest", "")), evidence)
        self._save(decision)
        return decision

    def _save(self, decision: Decision) -> None:
        with self._connect() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO decisions VALUES (?, ?, ?, ?, ?, ?, ?)",
                (decision.proposal_id, decision.status, decision.reason, decision.decided_at,
                 json.dumps(list(decision.members)), decision.evidence_digest, json.dumps(list(decision.evidence))),
            )

    def decisions(self) -> dict[str, Decision]:
        if not self.path.exists():
            return {}
        with self._connect() as conn:
            rows = conn.execute("SELECT * FROM decisions ORDER BY proposal_id").fetchall()
        return {
            r[0]: Decision(r[0], r[1], r[2], r[3], tuple(json.loads(r[4])), r[5], tuple(json.loads(r[6])))
            for r in rows
        }

    # -- runs ----------------------------------------------------------------------------------

    def record_run(self, report: Report, *, at: datetime | None = None, top: int = RUN_TOP,
                   unless_same: bool = False) -> int | None:
        """Record a run: its figures and its ``top`` best proposals with their evidence; returns its id.

        With ``unless_same`` nothing is recorded (None) when the last recorded run has the same figures
        and the same best proposals, evidence included (a dashboard restarted on unchanged inputs). The
        check and the write are one transaction, so sessions opening together record the run once."""
        when = (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
        inv = report.inventory
        figures = (len(inv.services), len(inv.resources), len(inv.dependencies), len(report.clusters),
                   len(report.proposals), len(report.system_metrics.cycles), report.system_metrics.cross_team_edges)
        best = json.dumps([
            {"id": p.id, "members": list(p.members), "score": p.score, "title": p.title,
             "digest": evidence_digest(p), "evidence": list(evidence_keys(p))}
            for p in report.proposals[:top]
        ], sort_keys=True)
        with self._connect() as conn:
            if unless_same:
                conn.execute("BEGIN IMMEDIATE")  # no other writer between the check and the insert
                last = conn.execute(f"SELECT {_FIGURES}, top FROM runs ORDER BY id DESC LIMIT 1").fetchone()  # noqa: S608
                if last is not None and (tuple(last[:-1]), last[-1]) == (figures, best):
                    return None
            cur = conn.execute(
                "INSERT INTO runs (at, services, resources, dependencies, clusters, proposals, cycles, "
                "cross_team_edges, top) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (when, *figures, best))
            run_id = int(cur.lastrowid or 0)
            # SQLite reuses the pages freed here: the file stops growing by the runs' proposals (it does
            # not shrink without VACUUM)
            conn.execute("UPDATE runs SET top = '[]' WHERE top != '[]' AND id NOT IN "
                         "(SELECT id FROM runs ORDER BY id DESC LIMIT ?)", (KEPT_TOPS,))
            return run_id

    def history(self, *, top: bool = True) -> list[RunRecord]:
        """Every recorded run, oldest first (the best proposals of the last :data:`KEPT_TOPS` only).
        Without ``top`` every run's ``top`` is empty: the figures alone, without reading and decoding
        up to 500 proposals' evidence per run."""
        if not self.path.exists():
            return []
        best = "top" if top else "'[]'"  # the column, or an empty list in its place
        query = f"SELECT {_RUN_FIGURES}, {best} FROM runs ORDER BY id"  # noqa: S608 - built from constants only
        with self._connect() as conn:
            rows = conn.execute(query).fetchall()
        return [RunRecord(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], tuple(json.loads(r[9]))) for r in rows]

    def find_proposal(self, proposal_id: str) -> dict[str, object] | None:
        """The most recent recorded run's entry for a proposal id (members, evidence), if any: the
        runs are read newest first, up to the first that proposed it."""
        if not self.path.exists():
            return None
        with self._connect() as conn:
            for (top,) in conn.execute("SELECT top FROM runs WHERE top != '[]' ORDER BY id DESC"):
                for entry in json.loads(top):
                    if entry.get("id") == proposal_id:
                        return dict(entry)
        return None


def apply_decisions(report: Report, store: DecisionStore) -> Report:
    """The report with each proposal's decision attached, and rejected proposals withdrawn.

    A rejected proposal whose evidence changed materially since the rejection stays, with a
    decision entry ``status: reconsider`` naming what changed.
    """
    decisions = store.decisions()
    if not decisions:
        return report
    kept: list[Proposal] = []
    for p in report.proposals:
        d = decisions.get(p.id)
        if d is None:
            kept.append(p)
            continue
        if d.status == "rejected":
            now = evidence_keys(p)
            if not _material(d.evidence, now):
                continue
            changes = what_changed(d.evidence, now)
            note = {"status": "reconsider", "reason": d.reason, "decided_at": d.decided_at,
                    "previous": "rejected", "changed": "; ".join(changes[:8])}
            kept.append(replace(p, decision=note))
            continue
        kept.append(replace(p, decision=d.as_dict()))
    ranked = [replace(p, rank=i + 1) for i, p in enumerate(kept)]
    return replace(report, proposals=tuple(ranked))
