"""lockstep-change (ADV106): members are changed together across repositories.

What it detects: member pairs whose logical commits (grouped by ticket id, or by author and day
across repositories) overlap above code-maat's thresholds: both changed at least 5 times, at least
5 changes shared, a degree of coupling (shared / average changes) of at least 30%.

Why it matters: services that always change together are released together; the boundary between
them costs coordinated deployments and versioned contracts without giving independent change, the
one thing a service boundary is for.

Evidence: up to five shared logical commits per pair (repository, commit, subject).
"""

from __future__ import annotations

from advisor.model import Signal
from advisor.rules.base import GroupContext, Rule


def pairs(ctx: GroupContext) -> list[tuple[str, str]]:
    return sorted(p for p in ctx.index.co_change if p[0] in ctx.member_set and p[1] in ctx.member_set)


def evaluate(ctx: GroupContext, weight: float) -> Signal | None:
    found = pairs(ctx)
    if not found:
        return None
    summary = "; ".join(f"{a} and {b} change together ({ctx.index.co_change[(a, b)][0]:.0%} of their changes)"
                        for a, b in found[:6])
    evidence = tuple(e for p in found for e in ctx.index.co_change[p][1])[:12]
    return Signal("ADV106", "lockstep-change", "for", round(weight * min(len(found), 2), 3), summary,
                  tuple(sorted({s for p in found for s in p})), evidence)


RULE = Rule("ADV106", "lockstep-change", "for", 2.0, evaluate, pairs, doc=__doc__ or "")
