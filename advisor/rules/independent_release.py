"""independent-release (ADV206): git history shows the members change independently.

What it detects: member pairs that both changed in at least ``co_change.min_revs`` logical commits
(grouped by ticket id, or by author and day, across repositories) and shared at most 10% of the
quieter one's changes.

Why it matters: services that evolve on their own schedules get something real from their
boundary, independent releases; a merge would couple their release cycles.

Evidence: each member's most recent logical commit, with the counts in the summary.
"""

from __future__ import annotations

from advisor.model import Signal
from advisor.rules.base import GroupContext, Rule

MAX_SHARED_SHARE = 0.10


def evaluate(ctx: GroupContext, weight: float) -> Signal | None:
    history = ctx.index.history
    if history is None:
        return None
    min_revs = ctx.config.co_change.min_revs
    members = sorted(m for m in ctx.members if history.revisions.get(m, 0) >= min_revs)
    found = []
    for i, a in enumerate(members):
        for b in members[i + 1:]:
            shared = history.shared.get((a, b), 0)
            quieter = min(history.revisions[a], history.revisions[b])
            if shared <= MAX_SHARED_SHARE * quieter:
                found.append((a, b, shared))
    if not found:
        return None
    summary = "; ".join(
        f"{a} ({history.revisions[a]} changes) and {b} ({history.revisions[b]}) shared {n}" for a, b, n in found[:4])
    evidence = tuple(history.latest[s] for s in sorted({s for a, b, _ in found for s in (a, b)})
                     if s in history.latest)
    return Signal("ADV206", "independent-release", "against", round(weight, 3), summary,
                  tuple(sorted({s for a, b, _ in found for s in (a, b)})), evidence)


RULE = Rule("ADV206", "independent-release", "against", 1.5, evaluate, doc=__doc__ or "")
