"""cross-team (ADV201): the members are owned by different teams.

What it detects: at least two members with known, different owners.

Why it matters: service boundaries that follow team boundaries are the ones worth keeping
(Conway's law); a merge across teams needs the teams to merge too, or creates a shared codebase
nobody owns. It is a decision for the organisation before it is one for the architecture.

Evidence: where each member's owner was read.
"""

from __future__ import annotations

from collections import defaultdict

from advisor.model import Signal
from advisor.rules.base import GroupContext, Rule, fmt_list, limited_evidence


def evaluate(ctx: GroupContext, weight: float) -> Signal | None:
    by_owner: dict[str, list[str]] = defaultdict(list)
    for m in ctx.members:
        owner = ctx.service(m).owner
        if owner:
            by_owner[owner].append(m)
    if len(by_owner) < 2:
        return None
    summary = "owned by different teams: " + "; ".join(
        f"{o} ({fmt_list(sorted(ms))})" for o, ms in sorted(by_owner.items()))
    evidence = limited_evidence({e for ms in by_owner.values() for m in ms for e in ctx.service(m).evidence})
    return Signal("ADV201", "cross-team", "against", round(weight * (len(by_owner) - 1), 3), summary,
                  tuple(sorted(m for ms in by_owner.values() for m in ms)), evidence)


RULE = Rule("ADV201", "cross-team", "against", 4.0, evaluate, doc=__doc__ or "")
